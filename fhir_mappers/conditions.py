"""Inputs read from Conditions (and symptom/staging Observations): diagnosis, primary site,
NEC, functional syndrome, symptoms at presentation, metastasis at surgery (clinical.md §1, §3).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from fhir_mappers import clinical_codes as cc
from fhir_mappers.codes import ICDO3
from fhir_mappers.concepts import (
    Concept,
    concept,
    field,
    holds_any,
    items,
    per_record,
    text_of,
)
from fhir_mappers.index import Entry, RecordIndex
from fhir_mappers.observations import is_final, observation_time
from fhir_mappers.selection import NO_FACT
from fhir_mappers.timing import Span, first_span
from scoring.inputs import Fact, PrimarySite

_IGNORED_VERIFICATION = ("entered-in-error", "refuted")
_UNCERTAIN_VERIFICATION = ("provisional", "differential", "unconfirmed")
# "C25.4", "c254", "C25.4 G", "C78.7+" -> "C25.4"; "C7B.02" -> "C7B.02"
_ICD10_SHAPE = re.compile(r"([A-Z][0-9][0-9A-Z])\.?([0-9A-Z]{0,4})")


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
        if cc.GM_EXCLUDED in gm_certainty(entry.raw):
            warnings.append(f"{entry.ref}: ICD-10-GM diagnosis certainty 'A' (excluded); not used")
            continue
        out.append((entry, condition_concept(entry.raw)))
    return out


def registry_diagnoses(index: RecordIndex, warnings: list[str]) -> list[tuple[Entry, Concept]]:
    """Final diagnosis Observations (a cancer registry's ICD-10 code as the value), each with
    its value as the diagnosis concept, for `diagnoses`."""
    out: list[tuple[Entry, Concept]] = []
    if cc.DIAGNOSIS_OBSERVATION.isdisjoint(index.codings_of("Observation")):
        return out  # no Observation has such a code (most records): no scan
    for entry in index.of_type("Observation"):
        if not entry.code.has_any(cc.DIAGNOSIS_OBSERVATION):
            continue
        if is_final(entry, "diagnosis", warnings):
            out.append((entry, concept(entry.raw.get("valueCodeableConcept"))))
    return out


def condition_concept(raw: dict[str, object]) -> Concept:
    code = concept(raw.get("code"))
    for ext in items(raw, "extension"):
        url = text_of(field(ext, "url"))
        if cc.MORPHOLOGY_EXTENSION_MARK in url:
            code = code | concept(field(ext, "valueCodeableConcept"))
    return code


def gm_certainty(raw: dict[str, object]) -> set[str]:
    """ICD-10-GM diagnosis certainty codes (A/V/Z/G) on the Condition's codings."""
    found: set[str] = set()
    for coding in items(raw.get("code"), "coding"):
        for ext in items(coding, "extension"):
            if field(ext, "url") != cc.GM_CERTAINTY_URL:
                continue
            value = field(ext, "valueCoding", "code") or field(ext, "valueCode")
            if isinstance(value, str):
                found.add(value.strip().upper())
    return found


def uncertain(entry: Entry) -> str | None:
    """Why a Condition is only suspected (not a finding), or None."""
    verification = concept(entry.raw.get("verificationStatus"))
    status = [c for _, c in verification.codings if c in _UNCERTAIN_VERIFICATION]
    if status:
        return f"verification status '{status[0]}'"
    if cc.GM_SUSPECTED in gm_certainty(entry.raw):
        return "ICD-10-GM diagnosis certainty 'V' (suspected)"
    return None


def icd10_codings(code: Concept) -> tuple[tuple[str, str], ...]:
    """(system, code) of every ICD-10 edition (CM, WHO, GM), codes normalised to 'A00.0'."""
    # a Condition's code is read so by the diagnosis rule, its site, the symptom and the
    # metastasis checks: normalised once per record
    return per_record("icd10 codings", code, None, lambda: _icd10_codings(code))


def _icd10_codings(code: Concept) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    for system, value in code.codings:
        if system not in cc.ICD10_SYSTEMS:
            continue
        match = _ICD10_SHAPE.match(value.strip().upper())
        if match:
            tail = match.group(2)
            out.append((system, f"{match.group(1)}.{tail}" if tail else match.group(1)))
    return tuple(out)


def icd10_codes(code: Concept) -> tuple[str, ...]:
    return tuple(icd for _, icd in icd10_codings(code))


def condition_onset(index: RecordIndex, entry: Entry) -> Span | None:
    model = index.model(entry)
    # onset <= recordedDate, so recordedDate bounds the onset from above when onset is absent
    return first_span(model.onsetDateTime, model.onsetPeriod, model.onsetString, model.recordedDate)


def _diagnosis_onset(index: RecordIndex, entry: Entry) -> Span | None:
    if entry.rtype == "Observation":  # a registry diagnosis: when it was recorded
        return observation_time(index.model(entry))
    return condition_onset(index, entry)


def _icd10_rule(code: Concept) -> cc.DiagnosisRule | None:
    """The longest matching rule. C7A/C7B/D3A exist only in ICD-10-CM; C25.4 (endocrine
    pancreas) is the same in every edition."""
    best: cc.DiagnosisRule | None = None
    for system, icd in icd10_codings(code):
        # the rules whose prefix starts the code, by lookups of its own prefixes, longest
        # first: the first allowed one is the longest (prefixes are unique), and it replaces an
        # earlier coding's rule only when longer
        for length in _RULE_PREFIX_LENGTHS:
            if best is not None and length <= len(best.prefix):
                break
            if length > len(icd):
                continue
            rule = _RULES_BY_PREFIX.get(icd[:length])
            if rule is None:
                continue
            if system != cc.ICD10CM and rule.prefix != cc.ICD10_ENDOCRINE_PANCREAS:
                continue
            best = rule
            break
    return best


# DIAGNOSIS_RULES by prefix (unique: tests/test_mappers_condition_rules.py) and the prefix
# lengths, longest first
_RULES_BY_PREFIX = {rule.prefix: rule for rule in cc.DIAGNOSIS_RULES}
_RULE_PREFIX_LENGTHS = tuple(sorted({len(p) for p in _RULES_BY_PREFIX}, reverse=True))


def _icd10_site(code: Concept) -> PrimarySite | None:
    for _, icd in icd10_codings(code):
        for prefix, site in cc.ICD10_SITE_PREFIXES:
            if icd.startswith(prefix):
                return site
    return None


def diagnoses(
    index: RecordIndex,
    conditions: list[tuple[Entry, Concept]],
    histology: dict[str, set[str]] | None = None,
) -> list[Diagnosis]:
    """NET diagnoses. `histology` adds ICD-O-3 morphology from histology Observations
    (LOINC 59847-4 / 31206-6) to the Conditions they focus on ("" = no focus: every Condition
    coded with an ICD-10 GEP site). `conditions` may include registry diagnosis Observations
    (`registry_diagnoses`)."""
    found: list[Diagnosis] = []
    histology = histology or {}
    for entry, code in conditions:
        rule = _icd10_rule(code)
        morphology = set(code.codes_of(ICDO3)) | histology.get(entry.ref, set())
        if _icd10_site(code) is not None:
            morphology |= histology.get("", set())
        if (
            rule is None
            and not morphology & cc.MORPHOLOGY_NET
            and not code.says_stemmed(cc.NET_TEXT, cc.NET_STEMS)
        ):
            continue
        index.model(entry)
        site, note = _site(entry, code, rule)
        found.append(
            Diagnosis(
                entry.ref, site, note, _nec(code, rule, morphology), _diagnosis_onset(index, entry)
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
    coded = _icd10_site(code)
    if coded is not None:
        return coded, ""
    where = code | concept(entry.raw.get("bodySite"))
    if where.says(cc.PANCREAS_TEXT):
        return PrimarySite.PANCREAS, "site read from text"
    if where.says(cc.OTHER_GEP_TEXT):
        return PrimarySite.OTHER_GEP, "site read from text"
    return None, ""


def _nec(code: Concept, rule: cc.DiagnosisRule | None, morphology: set[str]) -> bool | None:
    well = holds_any(code.text, cc.WELL_DIFFERENTIATED_STEMS) and code.says(
        cc.WELL_DIFFERENTIATED_TEXT
    )
    if morphology & cc.MORPHOLOGY_NEC or (rule and rule.poorly_differentiated):
        return True
    if holds_any(code.text, cc.NEC_STEMS) and code.says(cc.NEC_TEXT) and not well:
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
        return NO_FACT
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
    return Fact(False, tuple(well)) if well else NO_FACT


def functional(conditions: list[tuple[Entry, Concept]]) -> Fact[bool]:
    # each name is searched for "non-functioning" once (`_functional` asks it too)
    read = [(e.ref, code, _non_functioning(code)) for e, code in conditions]
    yes = [ref for ref, code, non in read if _functional(code, non)]
    no = [ref for ref, _, non in read if non]
    if yes:
        note = "also recorded as non-functioning: " + ", ".join(no) if no else None
        return Fact(True, tuple(yes), note)
    return Fact(False, tuple(no), "recorded as non-functioning") if no else NO_FACT


def _non_functioning(code: Concept) -> bool:
    return holds_any(code.text, cc.NON_FUNCTIONING_STEMS) and code.says(cc.NON_FUNCTIONING_TEXT)


def _functional(code: Concept, non_functioning: bool) -> bool:
    if code.has_any(cc.FUNCTIONAL):
        return True
    if any(m.split("/")[0] in cc.MORPHOLOGY_FUNCTIONAL for m in code.codes_of(ICDO3)):
        return True
    return not non_functioning and code.says_stemmed(cc.FUNCTIONAL_TEXT, cc.FUNCTIONAL_STEMS)


def has_icd10_prefix(code: Concept, prefixes: tuple[str, ...]) -> bool:
    """Any ICD-10 edition: the prefixes used here (symptoms, secondary neoplasms) mean the same
    in ICD-10-CM, WHO ICD-10 and ICD-10-GM."""
    # asked of every Observation's code (symptoms), most of which have no ICD-10 coding
    for system, _ in code.codings:
        if system in cc.ICD10_SYSTEMS:
            break
    else:
        return False
    return any(icd.startswith(prefixes) for _, icd in icd10_codings(code))


def histology_morphology(index: RecordIndex, warnings: list[str]) -> dict[str, set[str]]:
    """ICD-O-3 codes of final histology Observations (MII onko 59847-4), keyed by the Condition
    each one focuses on ("" for none)."""
    out: dict[str, set[str]] = {}
    if cc.HISTOLOGY_OBSERVATION.isdisjoint(index.codings_of("Observation")):
        return out  # no Observation has such a code (most records): no scan
    for entry in index.of_type("Observation"):
        if not entry.code.has_any(cc.HISTOLOGY_OBSERVATION):
            continue
        if not is_final(entry, "histology", warnings):
            continue
        morphology = set(concept(entry.raw.get("valueCodeableConcept")).codes_of(ICDO3))
        if not morphology:
            continue
        targets = [index.resolve(field(f, "reference"), entry) for f in items(entry.raw, "focus")]
        keys_ = [t.ref for t in targets if t is not None] or [""]
        for key in keys_:
            out.setdefault(key, set()).update(morphology)
    return out
