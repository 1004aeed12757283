"""`presentation.symptomatic` skips its Observation scan when `_any_presentation_record` says no
Observation can be a symptom record: that answer is never False for one that is, the joined
stem search finds a stem exactly when one text holds it, and the mapper gives what the full scan
gives over the test records and their status variants."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from fhir_mappers import presentation
from fhir_mappers.concepts import Concept, holds_any, one_record
from fhir_mappers.conditions import usable_conditions
from fhir_mappers.procedures import resection_procedures
from tests.test_mappers_observation_scans import VARIANTS, _index


def test_no_stem_holds_the_join() -> None:
    assert all(presentation._TEXT_JOIN not in stem for stem in presentation._PRESENTATION_STEMS)


_PIECES = [*presentation._PRESENTATION_STEMS, "\n", " ", "a", "in", "ja", "undice", "x | y"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_PIECES), max_size=5).map("".join), max_size=5))
def test_joined_search_is_a_search_of_each(texts: list[str]) -> None:
    stems = presentation._PRESENTATION_STEMS
    joined = holds_any(presentation._TEXT_JOIN.join(texts), stems)
    assert joined == any(holds_any(t, stems) for t in texts)


def test_no_presentation_record_means_none_is_one() -> None:
    for resources in VARIANTS:
        with one_record():
            observations = _index(resources, False).of_type("Observation")
            if presentation._any_presentation_record(observations):
                continue
            for entry in observations:
                assert not presentation._is_symptom(entry.code)
                assert not presentation._is_asymptomatic(entry.code)


def test_a_coded_or_named_symptom_is_a_presentation_record() -> None:
    class Coded:
        def __init__(self, code: Concept) -> None:
            self.code = code

    for code in (
        Concept((("http://hl7.org/fhir/sid/icd-10-cm", "R17"),)),
        Concept(text="obstructive jaundice"),
        Concept(text="incidental finding"),
        Concept((next(iter(presentation.cc.SYMPTOMS)),)),
        Concept((next(iter(presentation.cc.ASYMPTOMATIC)),)),
    ):
        assert presentation._any_presentation_record([Coded(code)])  # type: ignore[list-item]


def test_symptomatic_as_the_full_scan() -> None:
    original = presentation._any_presentation_record
    for resources in VARIANTS:
        results: list[Any] = []
        for always in (False, True):
            if always:
                presentation._any_presentation_record = lambda observations: True  # type: ignore[assignment]
            try:
                with one_record():
                    index = _index(resources, False)
                    procedures = resection_procedures(index, [])
                    surgery = procedures[0].performed if procedures else None
                    warnings: list[str] = []
                    usable = usable_conditions(index, warnings)
                    fact = presentation.symptomatic(index, usable, surgery, warnings)
                    results.append((fact, warnings, list(index.warnings)))
            finally:
                presentation._any_presentation_record = original  # type: ignore[assignment]
        assert results[0] == results[1]
