"""The mappers' lookup tables and fast paths give what the plain scans they replace give."""

from __future__ import annotations

import itertools
import math
import random
import re

from fhir_mappers import clinical_codes as cc
from fhir_mappers import codes
from fhir_mappers import spread_codes as sc
from fhir_mappers.carriers import Carriers
from fhir_mappers.concepts import Concept, concept, items
from fhir_mappers.index import Entry
from fhir_mappers.observations import (
    PATHOLOGY_INPUTS,
    _carried_inputs,
    _prepared,
    with_site_codes,
)
from fhir_mappers.selection import Candidate, higher, select
from fhir_mappers.spread_events import _TEXT_KINDS, _observation_kind, _text_kind, stated


def _all_keys() -> list[tuple[str, str]]:
    found = set(codes.NOT_KI67 | codes.TUMOR_SIZE_PANEL | {("http://loinc.org", "none")})
    for item in PATHOLOGY_INPUTS:
        found |= item.codes | item.also
    return sorted(found)


def _plain_carried(entry: Entry, inputs: tuple, known: frozenset) -> list:
    """`observations._carried_inputs` as it was before `Carriers` (a scan of every input)."""
    code = concept(entry.raw.get("code"))
    out: list = []
    if code.has_any(codes.NOT_KI67):
        return out
    for item in inputs:
        carries = item.codes | item.also
        if carries and code.has_any(carries) and not code.has_any(codes.TUMOR_SIZE_PANEL):
            out.append((item, None))
    for i, component in enumerate(items(entry.raw, "component")):
        component_code = concept(component.get("code") if isinstance(component, dict) else None)
        for item in inputs:
            carries = (item.codes | item.also) - codes.TUMOR_SIZE_PANEL
            if carries and component_code.has_any(carries):
                out.append((item, i))
    if not out and not code.has_any(known):
        for item in inputs:
            if item.text and code.says(item.text):
                out.append((item, None))
                break
    return out


def _code(keys: tuple) -> dict:
    return {"coding": [{"system": s, "code": c} for s, c in keys], "text": "ki-67 tumour size"}


def test_carriers_give_the_scans_answers() -> None:
    site = {"ki67_percent": frozenset({("urn:site", "K")}), "nodes_examined": frozenset()}
    keys = [*_all_keys(), ("urn:site", "K")]
    rng = random.Random(13)
    combos = [(k,) for k in keys] + list(itertools.combinations(keys[:12], 2))
    combos += [tuple(rng.sample(keys, 3)) for _ in range(500)] + [()]
    for extra in (None, site):
        inputs = with_site_codes(extra)
        table = _prepared(frozenset(extra.items()) if extra else frozenset())
        assert table.inputs == inputs
        carriers = table.carriers
        assert carriers == Carriers.of(inputs, codes.NOT_KI67, codes.TUMOR_SIZE_PANEL)
        known = frozenset().union(*(i.codes | i.also for i in inputs)) | codes.NOT_KI67
        assert carriers.known == known
        for n, codings in enumerate(combos):
            parts = [{"code": _code(rng.sample(keys, 2))}, {"code": _code(())}, "x"][: n % 4]
            raw = {"resourceType": "Observation", "code": _code(codings), "component": parts}
            entry = Entry(raw, "Observation", f"Observation/{n}")
            want = _plain_carried(entry, inputs, known)
            assert _carried_inputs(entry, table) == want, codings


def _plain_kind(code: Concept) -> str | None:
    """`spread_events._observation_kind` as the chain of table checks it was."""
    if code.has_any(codes.M_CATEGORY) or code.has_any(sc.M_CATEGORY_SNOMED):
        return "M category"
    if code.has_any(sc.DISTANT_METASTASIS_SITE):
        return "site of distant metastasis"
    if code.has_any(sc.METASTASIS_AT_DIAGNOSIS):
        return "metastasis at diagnosis"
    if code.has_any(sc.HISTORY_OF_METASTASIS):
        return "history of metastatic cancer"
    if code.has_any(sc.DISEASE_STATUS):
        return "disease status"
    if code.has_any(sc.RECURRENCE_CODES):
        return "recurrent tumour"
    return None


def test_observation_kind_ranks_give_the_first_matching_table() -> None:
    tables = (
        codes.M_CATEGORY,
        sc.M_CATEGORY_SNOMED,
        sc.DISTANT_METASTASIS_SITE,
        sc.METASTASIS_AT_DIAGNOSIS,
        sc.HISTORY_OF_METASTASIS,
        sc.DISEASE_STATUS,
        sc.RECURRENCE_CODES,
    )
    keys = [*sorted(frozenset().union(*tables)), ("http://loinc.org", "none")]
    rng = random.Random(7)
    combos = [(k,) for k in keys] + [tuple(rng.sample(keys, 3)) for _ in range(2000)] + [()]
    for codings in combos:
        assert _observation_kind(Concept(codings)) == _plain_kind(Concept(codings)), codings


def test_one_candidate_selects_as_the_general_path() -> None:
    for value, note, also in ((2.5, None, ()), (True, "n", ("Observation/v",)), (0, "", ())):
        only = Candidate(value, "Observation/a", True, None, note, also)
        fact = select([only], higher, "x")
        assert (fact.value, fact.sources, fact.note) == (
            value,
            ("Observation/a", *also),
            note or None,
        )
    # NaN equals nothing: the general path (a conflict note), as before
    nan = Candidate(math.nan, "Observation/n")
    assert "conflicting" in (select([nan], higher, "x").note or "")
    assert nan._replace(value=1.0).value == 1.0


# words of the spread text patterns, their stems split apart, negation cues and clause breaks
_SPREAD_PIECES = (
    "liver metastases",
    "metastatic to the liver",
    "lebermetastasen",
    "hepatische filiae",
    "leberfilia",
    "peritonealkarzinose",
    "métastases hépatiques",
    "secondary carcinoid",
    "secondary malignant neoplasm of liver",
    "pm1",
    "ypm1a",
    "cm1",
    "m1",
    "local recurrence",
    "recurrent net",
    "relapse of the tumour",
    "lokalrezidiv",
    "rezidiv",
    "récidive",
    "recidiva",
    "recidief",
    "recaída",
    "new liver metastasis",
    "neu aufgetretene lebermetastasen",
    "progression of disease",
    "tumor progression",
    "tumorprogress",
    "no evidence of ",
    "kein ",
    "v.a. ",
    "v. a. ",
    "verdacht auf ",
    "suspicious for ",
    " none",
    ": negative",
    "; ",
    ". ",
    " | ",
    "\n",
    " but ",
    "meta",
    "sta",
    "re",
    "cidiv",
    "progr",
    "ess",
    " ",
    "x",
    "-",
    "(",
)


def test_spread_stems_are_in_every_match_and_text_kinds_unchanged() -> None:
    rng = random.Random(29)
    matched = 0
    for _ in range(6000):
        text = "".join(rng.choice(_SPREAD_PIECES) for _ in range(rng.randint(0, 7)))
        plain = next(
            ((kind, quote) for kind, pattern, _ in _TEXT_KINDS if (quote := stated(text, pattern))),
            (None, None),
        )
        assert _text_kind(text) == plain, text
        for _, pattern, stems in _TEXT_KINDS:
            for match in re.finditer(pattern, text):
                matched += 1
                assert any(stem in match.group() for stem in stems), (pattern[:30], text)
    assert matched > 2000


_PRESENTATION_PIECES = (
    "jaundice",
    "icterus",
    "abdominal pain",
    "epigastric pain",
    "gi bleed",
    "xgi bleed",
    "gastrointestinal bleed",
    "gastrointestinal haemorrhage",
    "gastrointestinal hemorrh",
    "melena",
    "melaena",
    "hematochezia",
    "haematochezia",
    "hematemesis",
    "haematemesis",
    "asymptomatic",
    "incidental finding",
    "incidentally found",
    "incidentally detected",
    "incidentaloma",
    "incidental discovered",
    "pai",
    "n",
    "blee",
    "d",
    "gastro",
    "intestinal",
    "me",
    "l",
    "ema",
    "t",
    "symptomatic",
    "inciden",
    "tal",
    " ",
    "|",
    "-",
    "1",
    "_",
    "é",
)


def test_presentation_stems_are_in_every_match() -> None:
    rng = random.Random(31)
    matched = 0
    checks = ((cc.SYMPTOM_TEXT, cc.SYMPTOM_STEMS), (cc.ASYMPTOMATIC_TEXT, cc.ASYMPTOMATIC_STEMS))
    for _ in range(20_000):
        text = "".join(rng.choice(_PRESENTATION_PIECES) for _ in range(rng.randint(0, 6)))
        for pattern, stems in checks:
            for match in re.finditer(pattern, text):
                matched += 1
                assert any(stem in match.group() for stem in stems), (pattern[:30], text)
    assert matched > 5000
