"""Every stem table a mapper uses to skip a text search (`Concept.says_stemmed`, `holds_any`)
covers its pattern: each way through the pattern's syntax tree spells out one of the stems as
literal text. A search skipped for a name without a stem then never misses a match; a pattern
given a new alternative without a stem fails here, whatever the words of the other tests.

The walk is conservative: a character class, a wildcard or an optional part ends a run of
literal text, so a stem must sit inside the literal text the pattern itself requires.
"""

from __future__ import annotations

import importlib
import pkgutil
import re._constants as sre
import re._parser as sre_parse
from collections.abc import Iterator

import pytest

import fhir_mappers
from fhir_mappers import clinical_codes, imaging, medications, resection_codes, spread_codes
from fhir_mappers.observations import PATHOLOGY_INPUTS

# pattern, its stems: every pair the mappers search with
PAIRS: dict[str, tuple[str, tuple[str, ...]]] = {
    "metastasis": (spread_codes.METASTASIS_TEXT, spread_codes.METASTASIS_STEMS),
    "recurrence": (spread_codes.RECURRENCE_TEXT, spread_codes.RECURRENCE_STEMS),
    "progression": (spread_codes.PROGRESSION_TEXT, spread_codes.PROGRESSION_STEMS),
    "resection": (resection_codes.RESECTION_TEXT, resection_codes.RESECTION_STEMS),
    "generic resection": (
        resection_codes.GENERIC_RESECTION_TEXT,
        resection_codes.GENERIC_RESECTION_STEMS,
    ),
    "not curative": (resection_codes.NOT_CURATIVE_TEXT, resection_codes.NOT_CURATIVE_STEMS),
    "specimen resection": (
        resection_codes.SPECIMEN_RESECTION_TEXT,
        resection_codes.SPECIMEN_RESECTION_STEMS,
    ),
    "well differentiated": (
        clinical_codes.WELL_DIFFERENTIATED_TEXT,
        clinical_codes.WELL_DIFFERENTIATED_STEMS,
    ),
    "NET": (clinical_codes.NET_TEXT, clinical_codes.NET_STEMS),
    "NEC": (clinical_codes.NEC_TEXT, clinical_codes.NEC_STEMS),
    "functional": (clinical_codes.FUNCTIONAL_TEXT, clinical_codes.FUNCTIONAL_STEMS),
    "non-functioning": (
        clinical_codes.NON_FUNCTIONING_TEXT,
        clinical_codes.NON_FUNCTIONING_STEMS,
    ),
    "symptom": (clinical_codes.SYMPTOM_TEXT, clinical_codes.SYMPTOM_STEMS),
    "asymptomatic": (clinical_codes.ASYMPTOMATIC_TEXT, clinical_codes.ASYMPTOMATIC_STEMS),
    "any drug": (medications._ANY_DRUG_TEXT, medications._ANY_DRUG_STEMS),
    "abdomen": (imaging._ABDOMEN, imaging._ABDOMEN_STEMS),
    "CT": (imaging._CT, imaging._CT_STEMS),
    "MRI": (imaging._MRI, imaging._MRI_STEMS),
    "not surveillance": (imaging._NOT_SURVEILLANCE, imaging._NOT_SURVEILLANCE_STEMS),
}
# each pathology input's name search (`_carried_inputs`, for Observations of unknown codes)
PAIRS.update({f"pathology {i.name}": (i.text, i.stems) for i in PATHOLOGY_INPUTS})
# stem tables that are not searched with a pattern of their own: why each is covered
COVERED_OTHERWISE = {
    # the symptom and asymptomatic stems together (presentation's pre-check of both searches)
    "fhir_mappers.presentation._PRESENTATION_STEMS": (
        *clinical_codes.SYMPTOM_STEMS,
        *clinical_codes.ASYMPTOMATIC_STEMS,
    ),
}

_ZERO_WIDTH = {sre.AT, sre.ASSERT, sre.ASSERT_NOT}
_REPEATS = {sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT}
_GAP = "\x00"  # where a run of literal text ends: no stem holds it
_MOST_PATHS = 200_000


def _paths(items: list[tuple[object, object]]) -> Iterator[str]:
    """Every way through `items` as text: literals as themselves, lookarounds and anchors as
    nothing, anything else as a gap."""
    if not items:
        yield ""
        return
    (op, av), rest = items[0], items[1:]
    if op is sre.LITERAL:
        heads = [chr(av)]  # type: ignore[arg-type]
    elif op in _ZERO_WIDTH:
        heads = [""]
    elif op is sre.SUBPATTERN:
        heads = list(_paths(list(av[-1])))  # type: ignore[index]
    elif op is sre.BRANCH:
        heads = [h for alt in av[1] for h in _paths(list(alt))]  # type: ignore[index]
    elif op in _REPEATS and av[0] >= 1:  # type: ignore[index]
        # one copy is certain; what follows it may be another copy
        heads = [h + _GAP for h in _paths(list(av[2]))]  # type: ignore[index]
    else:
        heads = [_GAP]
    for tail in _paths(rest):
        for head in heads:
            yield head + tail


def uncovered(pattern: str, stems: tuple[str, ...]) -> list[str]:
    """The ways through `pattern` that spell out none of `stems` (gaps shown as "…")."""
    out: set[str] = set()
    for count, path in enumerate(_paths(list(sre_parse.parse(pattern)))):
        if count > _MOST_PATHS:
            raise AssertionError(f"{pattern[:60]!r}... has too many ways through to walk")
        if not any(stem in path for stem in stems):
            out.add(path.replace(_GAP, "…"))
    return sorted(out)


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_every_way_through_the_pattern_holds_a_stem(name: str) -> None:
    pattern, stems = PAIRS[name]
    assert uncovered(pattern, stems) == []


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_a_missing_stem_is_found(name: str) -> None:
    pattern, stems = PAIRS[name]
    # Some stem is needed: without it a way through the pattern is left uncovered.
    assert any(uncovered(pattern, tuple(s for s in stems if s != stem)) for stem in stems)


def test_the_walk_sees_through_groups_prefixes_and_lookarounds() -> None:
    # `re` factors "re" out of "recurrence|relapse": the stems are still found across it
    assert uncovered(r"\b(?:recurrence|relapse) of", ("recurren", "relapse")) == []
    assert uncovered(r"c(?<=\bc)t\b", ("ct",)) == []
    assert uncovered(r"lu[- ]?177", ("lu177",)) == ["lu…177"]
    assert uncovered(r"colon|rect(?:um|al)", ("colon", "rectum")) == ["rectal"]


def _stem_tables() -> Iterator[tuple[str, tuple[str, ...]]]:
    for info in pkgutil.walk_packages(fhir_mappers.__path__, "fhir_mappers."):
        module = importlib.import_module(info.name)
        for attr, value in vars(module).items():
            if (
                attr.endswith("_STEMS")
                and isinstance(value, tuple)
                and all(isinstance(v, str) for v in value)
                and getattr(module, "__name__", "") == info.name
            ):
                yield f"{info.name}.{attr}", value


def test_every_stem_table_is_checked() -> None:
    checked = [stems for _, stems in PAIRS.values()]
    unchecked = [
        name
        for name, stems in _stem_tables()
        if not any(stems is c for c in checked) and COVERED_OTHERWISE.get(name) != stems
    ]
    assert unchecked == [], "add each stem table with its pattern to PAIRS"


def test_the_tables_are_found() -> None:
    names = {name for name, _ in _stem_tables()}
    assert "fhir_mappers.clinical_codes.FUNCTIONAL_STEMS" in names
    assert "fhir_mappers.presentation._PRESENTATION_STEMS" in names
