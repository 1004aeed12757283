"""State at surgery: symptoms at presentation (Zaidi RRS). Distant metastasis and recurrence are
read by `fhir_mappers.spread`.

Symptomatic: True when a jaundice / abdominal pain / GI bleeding Condition or Observation began
before the resection date; False only when a record made on or before surgery says
"asymptomatic" / "incidental finding"; otherwise unknown (clinical.md §3: absent record → unknown).
"""

from __future__ import annotations

from datetime import date

from fhir_mappers import clinical_codes as cc
from fhir_mappers import values
from fhir_mappers.concepts import Concept, field, holds_any, items, text_of
from fhir_mappers.conditions import condition_onset, has_icd10_prefix
from fhir_mappers.index import Entry, RecordIndex
from fhir_mappers.observations import is_final, observation_time
from fhir_mappers.selection import NO_FACT
from fhir_mappers.timing import Span
from scoring.inputs import Fact


def _is_symptom(code: Concept) -> bool:
    return (
        code.has_any(cc.SYMPTOMS)
        or has_icd10_prefix(code, cc.SYMPTOM_ICD10_PREFIXES)
        or (holds_any(code.text, cc.SYMPTOM_STEMS) and code.says(cc.SYMPTOM_TEXT))
    )


def _is_asymptomatic(code: Concept) -> bool:
    return code.has_any(cc.ASYMPTOMATIC) or (
        holds_any(code.text, cc.ASYMPTOMATIC_STEMS) and code.says(cc.ASYMPTOMATIC_TEXT)
    )


# Joins the Observations' code texts for one stem search: no stem holds it, so a stem is in
# the joined text exactly when it is in one of them (tests/test_mappers_presentation_skip.py)
_TEXT_JOIN = "\n"
_PRESENTATION_CODES = cc.SYMPTOMS | cc.ASYMPTOMATIC
_PRESENTATION_STEMS = (*cc.SYMPTOM_STEMS, *cc.ASYMPTOMATIC_STEMS)


def _any_presentation_record(observations: list[Entry]) -> bool:
    """Whether any of `observations` may be a symptom record (`_is_symptom` or
    `_is_asymptomatic` of its code): False only when none has a symptom / asymptomatic code, an
    ICD-10 coding or a stem of their text patterns (both need one), so the scan that would find
    none is skipped (most records: pathology Observations only)."""
    for entry in observations:
        for coding in entry.code.codings:
            if coding in _PRESENTATION_CODES or coding[0] in cc.ICD10_SYSTEMS:
                return True
    text = _TEXT_JOIN.join([entry.code.text for entry in observations])
    return holds_any(text, _PRESENTATION_STEMS)


def symptomatic(
    index: RecordIndex,
    conditions: list[tuple[Entry, Concept]],
    surgery: date | None,
    warnings: list[str],
) -> Fact[bool]:
    symptoms: list[str] = []
    quiet: list[str] = []
    dated: list[tuple[Entry, Span | None, bool]] = []
    for entry, code in conditions:
        notes = " ".join(text_of(field(n, "text")) for n in items(entry.raw, "note"))
        if _is_symptom(code):
            dated.append((entry, condition_onset(index, entry), True))
        elif _is_asymptomatic(code | Concept(text=notes) if notes else code):
            dated.append((entry, condition_onset(index, entry), False))
    observations = index.of_type("Observation")
    for entry in observations if _any_presentation_record(observations) else ():
        code = entry.code
        kind = True if _is_symptom(code) else False if _is_asymptomatic(code) else None
        if kind is None:
            continue
        if not is_final(entry, "symptom record", warnings):
            continue
        model = index.model(entry)
        if kind and values.presence(model)[0] is False:
            continue  # a symptom recorded as absent is not a symptom
        dated.append((entry, observation_time(model), kind))
    if dated and surgery is None:
        warnings.append("symptoms: no resection date on record, so 'before surgery' is unknown")
        return NO_FACT
    for entry, when, is_symptom in dated:
        if when is None:
            warnings.append(f"{entry.ref}: symptom record without a date; not used")
        elif is_symptom and surgery is not None and when.before(surgery):
            symptoms.append(entry.ref)
        elif not is_symptom and surgery is not None and when.on_or_before(surgery):
            quiet.append(entry.ref)
    if symptoms:
        note = f"also recorded as asymptomatic: {', '.join(quiet)}" if quiet else None
        return Fact(True, tuple(symptoms), note)
    if quiet:
        return Fact(False, tuple(quiet), "recorded as asymptomatic / incidental finding")
    return NO_FACT
