"""Inputs read from Conditions (and symptom/staging Observations): diagnosis, primary site,
NEC, functional syndrome, symptoms at presentation, metastasis at surgery (clinical.md §1, §3).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fhir_mappers import clinical_codes as cc
from fhir_mappers.codes import ICD10CM, ICDO3
from fhir_mappers.concepts import Concept, concept, field, items, text_of
from fhir_mappers.index import Entry, RecordIndex
from fhir_mappers.timing import Span, first_span
from scoring.inputs import Fact, PrimarySite

_IGNORED_VERIFICATION = ("entered-in-error", "refuted")


@dataclass(frozen=True)
class Diagnosis:
    ref: str
    site: PrimarySite | None
    site_note: str
    poorly_differentiated: bool | None
    onset: Span | None


def usable_conditions(index: RecordIndex, warnings: list[str]) -> list[tuple[Entry, Concept]]:
    """Conditions not entered-in-error/refuted, each with its code (+ morphology) concept."""
    out: list[tuple[Entry, Concept]] = []
    for entry in index.of_type("Condition"):
        verification = concept(entry.raw.get("verificationStatus"))
        if any(code in _IGNORED_VERIFICATION for _, code in verification.codings):
            warnings.append(f"{entry.ref}: verification status {verification.text}; not used")
            continue
        out.append((entry, condition_concept(entry.raw)))
    return out


def condition_concept(raw: dict[str, object]) -> Concept:
    code = concept(raw.get("code"))
    for ext in items(raw, "extension"):
        url = text_of(field(ext, "url"))
        if url.endswith("histology-morphology-behavior"):
            code = code | concept(field(ext, "valueCodeableConcept"))
    return code


def condition_onset(index: RecordIndex, entry: Entry) -> Span | None:
    model = index.model(entry)
    # onset <= recordedDate, so recordedDate bounds the onset from above when onset is absent
    return first_span(model.onsetDateTime, model.onsetPeriod, model.onsetString, model.recordedDate)


def _icd10_rule(code: Concept) -> cc.DiagnosisRule | None:
    best: cc.DiagnosisRule | None = None
    for icd in code.codes_of(ICD10CM):
        for rule in cc.DIAGNOSIS_RULES:
            if icd.upper().startswith(rule.prefix) and (
                best is None or len(rule.prefix) > len(best.prefix)
            ):
                best = rule
    return best


def diagnoses(index: RecordIndex, conditions: list[tuple[Entry, Concept]]) -> list[Diagnosis]:
    found: list[Diagnosis] = []
    for entry, code in conditions:
        rule = _icd10_rule(code)
        morphology = set(code.codes_of(ICDO3))
        if rule is None and not morphology & cc.MORPHOLOGY_NET and not code.says(cc.NET_TEXT):
            continue
        index.model(entry)
        site, note = _site(entry, code, rule)
        found.append(
            Diagnosis(
                entry.ref, site, note, _nec(code, rule, morphology), condition_onset(index, entry)
            )
        )
    return found


def _site(
    entry: Entry, code: Concept, rule: cc.DiagnosisRule | None
) -> tuple[PrimarySite | None, str]:
    if rule is not None and rule.site is not None:
        return rule.site, ""
    if rule is not None and rule.note:
        return None, rule.note
    where = code | concept(entry.raw.get("bodySite"))
    if where.says(cc.PANCREAS_TEXT):
        return PrimarySite.PANCREAS, "site read from text"
    if where.says(cc.OTHER_GEP_TEXT):
        return PrimarySite.OTHER_GEP, "site read from text"
    return None, ""


def _nec(code: Concept, rule: cc.DiagnosisRule | None, morphology: set[str]) -> bool | None:
    well = code.says(r"well[- ]differentiated")
    if morphology & cc.MORPHOLOGY_NEC or (rule and rule.poorly_differentiated):
        return True
    if code.says(cc.NEC_TEXT) and not well:
        return True
    well_coded = morphology & cc.MORPHOLOGY_WELL_DIFFERENTIATED
    if well_coded or (rule and rule.poorly_differentiated is False):
        return False
    return False if well else None


def choose_diagnosis(found: list[Diagnosis], resection_reasons: set[str]) -> Diagnosis | None:
    """The diagnosis the resection was for, else the earliest by onset."""
    linked = [d for d in found if d.ref in resection_reasons]
    pool = linked or found
    return min(
        pool,
        key=lambda d: (d.onset is None, d.onset or Span(date.max, date.max), d.ref),
        default=None,
    )


def primary_site(chosen: Diagnosis | None, found: list[Diagnosis]) -> Fact[PrimarySite]:
    if chosen is None:
        return Fact()
    ordered = [chosen] + [d for d in found if d is not chosen]
    sited = [d for d in ordered if d.site is not None]
    if not sited:
        return Fact(note=chosen.site_note or None)
    first = sited[0]
    others = {d.site for d in sited} - {first.site}
    notes = [first.site_note] if first.site_note else []
    if others:
        notes.append(f"other diagnoses name {', '.join(sorted(s.value for s in others))}")
    return Fact(first.site, (first.ref,), "; ".join(notes) or None)


def poorly_differentiated(found: list[Diagnosis]) -> Fact[bool]:
    nec = [d.ref for d in found if d.poorly_differentiated]
    if nec:
        return Fact(True, tuple(nec), "a diagnosis names a neuroendocrine carcinoma (NEC)")
    well = [d.ref for d in found if d.poorly_differentiated is False]
    return Fact(False, tuple(well)) if well else Fact()


def functional(conditions: list[tuple[Entry, Concept]]) -> Fact[bool]:
    yes = [e.ref for e, code in conditions if _functional(code)]
    no = [e.ref for e, code in conditions if code.says(cc.NON_FUNCTIONING_TEXT)]
    if yes:
        note = "also recorded as non-functioning: " + ", ".join(no) if no else None
        return Fact(True, tuple(yes), note)
    return Fact(False, tuple(no), "recorded as non-functioning") if no else Fact()


def _functional(code: Concept) -> bool:
    if code.has_any(cc.FUNCTIONAL):
        return True
    if any(m.split("/")[0] in cc.MORPHOLOGY_FUNCTIONAL for m in code.codes_of(ICDO3)):
        return True
    return not code.says(cc.NON_FUNCTIONING_TEXT) and code.says(cc.FUNCTIONAL_TEXT)


def has_icd10_prefix(code: Concept, prefixes: tuple[str, ...]) -> bool:
    return any(icd.upper().startswith(prefixes) for icd in code.codes_of(ICD10CM))
