"""`inputs_from_resources`: a patient's FHIR R4 resources → `scoring.inputs.ClinicalInputs`.

Reads clinical.md §3 inputs; grade derivation (§3.1) is left to `scoring`. Every Fact keeps the
`Type/id` references it came from; anything seen but not usable is listed in `warnings`.
"""

from __future__ import annotations

from typing import Any

from fhir_mappers import conditions, presentation, report_text, spread
from fhir_mappers.concepts import field, items, one_record
from fhir_mappers.imaging import imaging_events
from fhir_mappers.index import RecordIndex, RecordNeedsValidation
from fhir_mappers.labs import preop_chromogranin_elevated
from fhir_mappers.medications import adjuvant_therapy
from fhir_mappers.observation_codes import clinically_relevant
from fhir_mappers.observations import ExtraCodes, pathology_facts
from fhir_mappers.procedures import report_standing_in, resection_procedures
from fhir_mappers.provenance import ResectionEvidence
from fhir_mappers.selection import NO_FACT
from fhir_mappers.spread_events import all_events
from scoring.inputs import ClinicalInputs, Fact, Grade, Resection, Sex


def inputs_from_resources(
    resources: list[Any],
    *,
    extra_codes: ExtraCodes | None = None,
    fhir_base: str | None = None,
) -> ClinicalInputs:
    """Map one patient's resources (as from `resources_from_payload`) to ClinicalInputs;
    `extra_codes` adds a site's local Observation codes per input (clinical.md §6c);
    `fhir_base` is the FHIR server the record came from, when known (absolute references to the
    Patient must be on it).

    An invalid resource, or one not about the record's Patient, is left out with a warning
    (`RecordIndex`); raises FhirInputError only for several Patients."""
    with one_record():  # each code read once per record, however many mappers ask
        index = RecordIndex(resources, fhir_base=fhir_base)
        index.validate_where(clinically_relevant)
        try:
            return _map_record(index, extra_codes)
        except RecordNeedsValidation:
            # a resource a mapper used is invalid: map again with every resource validated
            # before any mapper sees it (the index is now eager), so each invalid one is only
            # left out
            return _map_record(index, extra_codes)


def _map_record(index: RecordIndex, extra_codes: ExtraCodes | None) -> ClinicalInputs:
    warnings: list[str] = []
    procedures = resection_procedures(index, warnings)
    evidence = ResectionEvidence(index, frozenset(r.source for r in procedures))
    text = report_text.read_reports(index, warnings, evidence.is_resection_report)
    resection = procedures[0] if procedures else _report_resection(index, evidence, text, warnings)
    if procedures and resection is not None and resection.performed is None:
        resection = _dated_by_report(index, evidence, text, resection, warnings)
    surgery = resection.performed if resection else None
    if resection is None:
        warnings.append("no completed resection on record")

    usable = conditions.usable_conditions(index, warnings)
    histology = conditions.histology_morphology(index, warnings)
    registry = conditions.registry_diagnoses(index, warnings)
    found = conditions.diagnoses(index, usable + registry, histology)
    chosen = conditions.choose_diagnosis(found, _reasons(index, resection))
    events = all_events(index, usable, {d.ref for d in found}, evidence, warnings)
    pathology = pathology_facts(index, evidence, warnings, extra_codes)

    discrete = ClinicalInputs(
        patient=index.patient.ref if index.patient else None,
        sex=_sex(index),
        tumor_size_cm=pathology["tumor_size_cm"],
        grade_reported=_as(pathology["grade_reported"], Grade),
        ki67_percent=pathology["ki67_percent"],
        mitoses_per_2mm2=pathology["mitoses_per_2mm2"],
        lymphovascular_invasion=pathology["lymphovascular_invasion"],
        nodes_examined=pathology["nodes_examined"],
        nodes_positive=pathology["nodes_positive"],
        pn_positive=pathology["pn_positive"],
        perineural_invasion=pathology["perineural_invasion"],
        symptomatic=presentation.symptomatic(index, usable, surgery, warnings),
        functional=conditions.functional(usable),
        adjuvant_therapy=adjuvant_therapy(index, surgery, {d.ref for d in found}, warnings),
        primary_site=conditions.primary_site(chosen, found),
        poorly_differentiated=conditions.poorly_differentiated(found),
        metastatic_at_surgery=spread.metastatic_at_surgery(events, surgery),
        recurrence=spread.recurrence(events, surgery, warnings),
        diagnosis=chosen.ref if chosen else None,
        resection=resection,
        preop_chromogranin_elevated=preop_chromogranin_elevated(index, surgery, warnings),
        imaging=imaging_events(index, warnings),
        warnings=tuple(dict.fromkeys(index.warnings + warnings)),
    )
    # Report text fills what discrete data lack; disagreement: the worse value (§3.3)
    return report_text.apply_text(discrete, text)


def _sex(index: RecordIndex) -> Fact[Sex]:
    if index.patient is None:
        return NO_FACT
    gender = index.patient.raw.get("gender")
    if gender in ("male", "female"):
        return Fact(Sex(gender), (index.patient.ref,))
    note = f"Patient.gender is '{gender}'" if gender else "Patient.gender not recorded"
    return Fact(None, (index.patient.ref,), note)


def _report_resection(
    index: RecordIndex,
    evidence: ResectionEvidence,
    text: report_text.TextReading,
    warnings: list[str],
) -> Resection | None:
    for report in index.of_type("DiagnosticReport"):
        if evidence.is_resection_report(report):
            return report_standing_in(index, report, evidence.specimen_of(report), warnings)
    for read in text.resection_reports:  # the report's own text names the resection
        return report_standing_in(index, read.entry, evidence.specimen_of(read.entry), warnings)
    return None


def _dated_by_report(
    index: RecordIndex,
    evidence: ResectionEvidence,
    text: report_text.TextReading,
    undated: Resection,
    warnings: list[str],
) -> Resection:
    """An undated resection Procedure takes its date from the resection pathology report."""
    report = _report_resection(index, evidence, text, warnings)
    if report is None or report.performed is None:
        return undated
    when = report.performed.isoformat()
    warnings.append(f"{undated.source}: no performed date; {when} taken from {report.source}")
    description = f"{undated.description} (date from {report.source})".strip()
    return Resection(report.performed, undated.source, description)


def _reasons(index: RecordIndex, resection: Resection | None) -> set[str]:
    if resection is None:
        return set()
    entry = index.resolve(resection.source)
    if entry is None:
        return set()
    found = set()
    for reason in items(entry.raw, "reasonReference"):
        target = index.resolve(field(reason, "reference"), entry)
        if target is not None:
            found.add(target.ref)
    return found


def _as(fact: Fact[Any], kind: type) -> Fact[Any]:
    return fact if fact.value is None or isinstance(fact.value, kind) else NO_FACT
