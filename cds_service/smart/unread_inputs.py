"""Which inputs a failed query may have held: an input the record left unknown is named as
"could not be read from the EHR" when a resource type it is read from could not be read. The
table errs towards naming an input (a wrong "may be there" costs a look; a wrong "not recorded"
could cost a missed fact); inputs it does not list stay plain "unknown"."""

from __future__ import annotations

from collections.abc import Iterable

from scoring.assessment import InputResult

_PATHOLOGY = frozenset({"Observation", "DiagnosticReport", "Specimen"})

# input id -> resource types it is read from (each with the module that reads it)
INPUT_SOURCE_TYPES: dict[str, frozenset[str]] = {
    "sex": frozenset({"Patient"}),  # fhir_mappers.record._sex
    # fhir_mappers.observations (pathology Observations; their specimen: fhir_mappers.provenance)
    # and the reports' text (fhir_mappers.report_text)
    "tumor_size_cm": _PATHOLOGY,
    "grade_reported": _PATHOLOGY,
    "ki67_percent": _PATHOLOGY,
    "mitoses_per_2mm2": _PATHOLOGY,
    "lymphovascular_invasion": _PATHOLOGY,
    "nodes_examined": _PATHOLOGY,
    "nodes_positive": _PATHOLOGY,
    "pn_positive": _PATHOLOGY,
    "perineural_invasion": _PATHOLOGY,
    "who_grade": _PATHOLOGY,  # scoring.grade, from the reported grade, Ki-67 and mitoses
    "symptomatic": frozenset({"Condition", "Observation"}),  # fhir_mappers.presentation
    "functional": frozenset({"Condition"}),  # fhir_mappers.conditions
    "primary_site": frozenset({"Condition"}),  # fhir_mappers.conditions
    "diagnosis": frozenset({"Condition"}),  # fhir_mappers.conditions
    "resection": frozenset({"Procedure"}),  # fhir_mappers.procedures
    # fhir_mappers.medications
    "adjuvant_therapy": frozenset({"MedicationRequest", "MedicationStatement", "Procedure"}),
    "preop_chromogranin_elevated": frozenset({"Observation"}),  # fhir_mappers.labs
}


def unread_inputs(inputs: Iterable[InputResult], unread_types: set[str]) -> list[InputResult]:
    """The inputs left unknown that a resource type in `unread_types` may have held."""
    return [
        i
        for i in inputs
        if i.value is None and INPUT_SOURCE_TYPES.get(i.id, frozenset()) & unread_types
    ]
