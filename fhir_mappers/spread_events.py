"""Every record of distant metastasis, M category or recurrence, as dated events
(clinical.md §1). `fhir_mappers.spread` decides from them what held at and after surgery.

Read from: secondary-neoplasm / recurrence Conditions (ICD-10 any edition, SNOMED, text),
the clinical status of a NET diagnosis, M category Observations (LOINC, SNOMED; AJCC, UICC
values), MII distant-metastasis and course Observations, mCODE disease status and history of
metastatic cancer, and the conclusion of final DiagnosticReports. Negated or uncertain text,
and suspected Conditions, are not findings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from fhir_mappers import spread_codes as sc
from fhir_mappers import values
from fhir_mappers.codes import ICDO3, PRESENT
from fhir_mappers.concepts import Concept, concept, concept_of_model, text_of
from fhir_mappers.conditions import condition_onset, has_icd10_prefix, uncertain
from fhir_mappers.index import Entry, RecordIndex
from fhir_mappers.observations import is_final, observation_time
from fhir_mappers.provenance import ResectionEvidence
from fhir_mappers.quoting import quoted
from fhir_mappers.timing import Span, first_span

# Text beyond this is not read here (report bodies are the report-text reader's job).
TEXT_CAP = 20_000
_REPORT_FINAL = ("final", "amended", "corrected", "appended")
# MII onko examples (Observation-TNM-M-Observation-2.json) send status "completed", which is not
# an R4 Observation status; it is not preliminary, so it is read as final (warned).
_READ_AS_FINAL = frozenset({"completed"})


class Kind(StrEnum):
    METASTASIS = "metastasis"  # distant metastasis present
    NO_METASTASIS = "m0"  # M0 recorded
    RECURRENCE = "recurrence"  # a recurrence concept: counts whenever recorded
    PROGRESSION = "progression"  # disease worse / progressing: counts only after surgery


@dataclass(frozen=True)
class Event:
    ref: str
    kind: Kind
    when: Span | None
    what: str  # how it was recorded, for the card
    at_resection: bool = False  # from the resection specimen or its report
    quote: str | None = None  # the phrase, when read from text


def _clauses(text: str) -> list[str]:
    text = re.sub(sc.SUSPECTED_ABBREVIATION, "verdacht auf ", text[:TEXT_CAP])
    return re.split(sc.CLAUSE_BREAK, text)


def stated(text: str, pattern: str) -> str | None:
    """The first clause of `text` that states `pattern` with no negation or uncertainty cue
    before the finding (same clause, bounded window) or right after it; the clause is returned
    as the quote."""
    return _stated_in(_clauses(text), pattern)


def _stated_in(clauses: list[str], pattern: str, stems: tuple[str, ...] = ()) -> str | None:
    """`stated` over the clauses; `stems`: literal text each match contains (clauses without
    any are not searched)."""
    finding = re.compile(pattern)
    for clause in clauses:
        if stems and not any(stem in clause for stem in stems):
            continue
        for match in finding.finditer(clause):
            if not _qualified(clause, match.start(), match.end()):
                return clause.strip()[:160]
    return None


def _qualified(clause: str, start: int, end: int) -> bool:
    before = clause[max(0, start - sc.PRE_WINDOW) : start]
    breaks = list(re.finditer(sc.SCOPE_BREAK, before))
    if breaks:
        before = before[breaks[-1].end() :]
    before = re.sub(sc.PSEUDO_NEGATION_TEXT, " ", before)
    after = clause[end : end + sc.POST_WINDOW]
    # the rest of the finding's word ("metasta|ses") is not a cue
    after = after[len(re.match(r"\w{0,20}", after).group()) :]
    return bool(
        re.search(sc.NEGATION_TEXT, before)
        or re.search(sc.UNCERTAIN_TEXT, before)
        or re.search(sc.NEGATION_AFTER_TEXT, after)
        or re.search(sc.UNCERTAIN_AFTER_TEXT, after)
    )


_TEXT_KINDS = (
    (Kind.METASTASIS, sc.METASTASIS_TEXT, sc.METASTASIS_STEMS),
    (Kind.RECURRENCE, sc.RECURRENCE_TEXT, sc.RECURRENCE_STEMS),
    (Kind.PROGRESSION, sc.PROGRESSION_TEXT, sc.PROGRESSION_STEMS),
)
_ANY_STEM = tuple(dict.fromkeys(stem for _, _, stems in _TEXT_KINDS for stem in stems))


def _text_kind(text: str) -> tuple[Kind | None, str | None]:
    """What a text states first: metastasis, recurrence, progression (with its quote)."""
    # Most texts (a diagnosis name) hold no stem: nothing to split or search. Exact, because
    # the "v.a." rewrite in `_clauses` creates none: it starts after a non-word character, its
    # "verdacht auf " holds none and ends with a space, and every stem is word characters.
    for stem in _ANY_STEM:  # a plain loop: ~15 stems per Condition name, most without one
        if stem in text:
            break
    else:
        return None, None
    clauses = _clauses(text)  # once, not once per kind
    for kind, pattern, stems in _TEXT_KINDS:
        quote = _stated_in(clauses, pattern, stems)
        if quote is not None:
            return kind, quote
    return None, None


def _metastasis_concept(code: Concept) -> bool:
    return (
        has_icd10_prefix(code, sc.METASTASIS_ICD10_PREFIXES)
        or code.has_any(sc.METASTASIS_CODES)
        or any(m.endswith(sc.ICDO3_METASTATIC_BEHAVIOUR) for m in code.codes_of(ICDO3))
    )


def condition_events(
    index: RecordIndex,
    conditions: list[tuple[Entry, Concept]],
    diagnosis_refs: set[str],
    warnings: list[str],
) -> list[Event]:
    out: list[Event] = []
    for entry, code in conditions:
        metastasis = _metastasis_concept(code)
        recurrence = code.has_any(sc.RECURRENCE_CODES)
        progression = code.has_any(sc.PROGRESSION_CODES)
        quote = None
        if not (metastasis or recurrence or progression) and code.text:
            kind, quote = _text_kind(code.text)
            metastasis = kind is Kind.METASTASIS
            recurrence = kind is Kind.RECURRENCE
            progression = kind is Kind.PROGRESSION
        clinical = concept(entry.raw.get("clinicalStatus")).codes_of(sc.CONDITION_CLINICAL)
        relapsed = entry.ref in diagnosis_refs and any(
            c in sc.RECURRENT_CLINICAL_STATUS for c in clinical
        )
        if not (metastasis or recurrence or progression or relapsed):
            continue
        doubt = uncertain(entry)
        if doubt:
            warnings.append(f"{entry.ref}: metastasis/recurrence only suspected ({doubt})")
            continue
        when = condition_onset(index, entry)
        if metastasis:
            out.append(Event(entry.ref, Kind.METASTASIS, when, "secondary neoplasm", quote=quote))
        elif recurrence:
            out.append(Event(entry.ref, Kind.RECURRENCE, when, "recurrence", quote=quote))
        elif progression:
            out.append(Event(entry.ref, Kind.PROGRESSION, when, "progression", quote=quote))
        if relapsed:
            status = next(c for c in clinical if c in sc.RECURRENT_CLINICAL_STATUS)
            out.append(Event(entry.ref, Kind.RECURRENCE, None, f"clinical status '{status}'"))
    return out


def _m_value(model: object) -> tuple[bool | None, str | None]:
    coded = concept_of_model(getattr(model, "valueCodeableConcept", None))
    for key in coded.codings:
        if key in sc.M_VALUES:
            return sc.M_VALUES[key], None
    return values.tnm(model, "m")


def observation_events(
    index: RecordIndex, evidence: ResectionEvidence, warnings: list[str]
) -> list[Event]:
    out: list[Event] = []
    if sc.OBSERVATION_KIND_RANK.keys().isdisjoint(index.codings_of("Observation")):
        return out  # no Observation has a code of any kind (most records): no scan
    for entry in index.of_type("Observation"):
        code = entry.code
        kind = _observation_kind(code)
        if kind is None or not _final(entry, kind, warnings):
            continue
        model = index.model(entry)
        when = observation_time(model)
        at_resection = evidence.observation(entry)
        event = _observation_event(entry, kind, model, when, at_resection, warnings)
        if event is not None:
            out.append(event)
    return out


def _final(entry: Entry, kind: str, warnings: list[str]) -> bool:
    status = entry.raw.get("status")
    if isinstance(status, str) and status in _READ_AS_FINAL:
        warnings.append(f"{entry.ref}: {kind} with status '{status}' read as final")
        return True
    return is_final(entry, kind, warnings)


def _observation_kind(code: Concept) -> str | None:
    """The kind of the first table (in `sc.OBSERVATION_KINDS` order) any coding is in."""
    kinds = sc.OBSERVATION_KINDS
    rank = len(kinds)
    for c in code.codings:
        found = sc.OBSERVATION_KIND_RANK.get(c)
        if found is not None and found < rank:
            rank = found
    return kinds[rank][0] if rank < len(kinds) else None


def _observation_event(
    entry: Entry,
    kind: str,
    model: object,
    when: Span | None,
    at_resection: bool,
    warnings: list[str],
) -> Event | None:
    if kind == "M category":
        value, problem = _m_value(model)
        if value is None:
            warnings.append(f"{entry.ref}: M category unknown: {problem}")
            return None
        found = Kind.METASTASIS if value else Kind.NO_METASTASIS
        return Event(entry.ref, found, when, "M1 category" if value else "M0", at_resection)
    if kind == "site of distant metastasis":
        if getattr(model, "dataAbsentReason", None) is not None:
            return None  # no site recorded (the CH CRL indicator says whether there are any)
        return Event(entry.ref, Kind.METASTASIS, when, kind, at_resection)
    if kind == "metastasis at diagnosis":
        flag = getattr(model, "valueBoolean", None)
        if flag is None:
            warnings.append(f"{entry.ref}: metastasis at diagnosis not stated; unknown")
            return None
        found = Kind.METASTASIS if flag else Kind.NO_METASTASIS
        what = kind if flag else "no metastasis at diagnosis"
        return Event(entry.ref, found, when, what, at_resection)
    if kind == "history of metastatic cancer":
        if getattr(model, "valueBoolean", None) is False:
            return None  # mCODE: false reverses the meaning ("no history of ...")
        return Event(entry.ref, Kind.METASTASIS, when, kind, at_resection)
    answers = concept_of_model(getattr(model, "valueCodeableConcept", None))
    if kind == "recurrent tumour":
        if answers.has_any(PRESENT):
            return Event(entry.ref, Kind.RECURRENCE, when, kind, at_resection)
        return None
    return _status_event(entry, model, answers, when)


def _status_event(entry: Entry, model: object, answers: Concept, when: Span | None) -> Event | None:
    parts = [answers] + [
        concept_of_model(getattr(c, "valueCodeableConcept", None))
        for c in getattr(model, "component", None) or []
    ]
    for part in parts:
        registry = part.first_in(sc.NKRS_RECURRENCE_TYPE)
        if registry is not None:
            found = Kind(registry)
            return Event(entry.ref, found, when, f"type of recurrence: {found.value}")
        if part.has_any(sc.METASTASIS_CODES):
            return Event(entry.ref, Kind.METASTASIS, when, "disease status: metastasis")
        if part.has_any(sc.RECURRENCE_CODES):
            return Event(entry.ref, Kind.RECURRENCE, when, "disease status: recurrence")
        if part.has_any(sc.PROGRESSION_CODES) or any(
            code in sc.VERLAUF_RECURRENT.get(system, ()) for system, code in part.codings
        ):
            return Event(entry.ref, Kind.PROGRESSION, when, "disease status: recurrence/progress")
    return None


def report_events(
    index: RecordIndex, evidence: ResectionEvidence, warnings: list[str]
) -> list[Event]:
    """Final DiagnosticReports whose conclusion (or conclusionCode) states metastasis or
    recurrence. Text-read events carry the quoted phrase."""
    out: list[Event] = []
    for entry in index.of_type("DiagnosticReport"):
        raw = entry.raw
        codes = concept(raw.get("conclusionCode"))
        text = text_of(raw.get("conclusion"))
        coded = _coded_kind(codes)
        kind, quote = (coded, None) if coded else _text_kind(text)
        if kind is None:
            continue
        if raw.get("status") not in _REPORT_FINAL:
            warnings.append(
                f"{entry.ref}: report with status '{quoted(str(raw.get('status')), 40)}' not read"
            )
            continue
        model = index.model(entry)
        when = first_span(model.effectiveDateTime, model.effectivePeriod, model.issued)
        at_resection = evidence.is_resection_report(entry)
        what = "report conclusion code" if coded else "report conclusion"
        out.append(Event(entry.ref, kind, when, f"{what}: {kind.value}", at_resection, quote))
    return out


def _coded_kind(codes: Concept) -> Kind | None:
    if _metastasis_concept(codes):
        return Kind.METASTASIS
    if codes.has_any(sc.RECURRENCE_CODES):
        return Kind.RECURRENCE
    if codes.has_any(sc.PROGRESSION_CODES):
        return Kind.PROGRESSION
    return None


def all_events(
    index: RecordIndex,
    conditions: list[tuple[Entry, Concept]],
    diagnosis_refs: set[str],
    evidence: ResectionEvidence,
    warnings: list[str],
) -> list[Event]:
    return (
        condition_events(index, conditions, diagnosis_refs, warnings)
        + observation_events(index, evidence, warnings)
        + report_events(index, evidence, warnings)
    )
