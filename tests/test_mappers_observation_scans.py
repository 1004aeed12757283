"""Observation scans a record can skip, and the pathology reading without a list per input.

`RecordIndex.codings_of` is the union of the codings of `of_type`'s entries, in both modes, and
asking it first has the same effects on the index (its list and warnings) as asking `of_type`
first; the mappers that skip their scan when none of those codings is in their table give what
the scan gives. `pathology_facts` is compared with its former spelling (an empty list per
input), `values.node_ratio` with the memoised read for every value shape.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class

from fhir_mappers import conditions, labs, observations, spread_events, values
from fhir_mappers.concepts import one_record
from fhir_mappers.index import RecordIndex
from fhir_mappers.observation_codes import clinically_relevant
from fhir_mappers.procedures import resection_procedures
from fhir_mappers.provenance import ResectionEvidence
from fhir_mappers.selection import NO_FACT, Candidate, select
from tests.test_mappers_index_inputs_kept import _records

DATA = Path(__file__).resolve().parent / "data"
STATUSES = ("final", "preliminary", "entered-in-error", "amended")


def _variants() -> list[list[Any]]:
    """Each record, and with every Observation's status set to one of STATUSES."""
    out = []
    for record in _records():
        patient = next((r for r in record if r.get("resourceType") == "Patient"), None)
        if patient is not None and isinstance(patient.get("id"), str):
            record = [*record, _chromogranin(patient["id"])]
        out.append(record)
        for status in STATUSES[1:]:
            changed = copy.deepcopy(record)
            for raw in changed:
                if isinstance(raw, dict) and raw.get("resourceType") == "Observation":
                    raw["status"] = status
            out.append(changed)
    return out


def _chromogranin(patient_id: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": "cga",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "9811-1"}]},
        "subject": {"reference": f"Patient/{patient_id}"},
        "effectiveDateTime": "2020-01-02",
        "valueQuantity": {"value": 120, "unit": "ng/mL"},
        "interpretation": [{"coding": [{"code": "H"}]}],
    }


VARIANTS = _variants()


def _index(resources: list[Any], eager: bool) -> RecordIndex:
    index = RecordIndex(resources)
    index.validate_where(clinically_relevant)
    index._eager = eager
    return index


@pytest.mark.parametrize("eager", [False, True])
def test_codings_of_is_the_union_of_the_entries_codings(eager: bool) -> None:
    for resources in VARIANTS:
        with one_record():
            index = _index(resources, eager)
            found = index.codings_of("Observation")
            expected = {c for e in index.of_type("Observation") for c in e.code.codings}
        assert found == expected


@pytest.mark.parametrize("eager", [False, True])
def test_codings_of_first_has_the_effects_of_of_type_first(eager: bool) -> None:
    for resources in VARIANTS:
        with one_record():
            asked_first = _index(resources, eager)
            asked_first.codings_of("Observation")
            listed = asked_first.of_type("Observation")
        with one_record():
            listed_first = _index(resources, eager)
            expected = listed_first.of_type("Observation")
        assert [e.ref for e in listed] == [e.ref for e in expected]
        assert asked_first.warnings == listed_first.warnings


# every code of the four tables: meets each of them, so no mapper skips its scan
_EVERY_TABLE = (
    conditions.cc.DIAGNOSIS_OBSERVATION
    | conditions.cc.HISTOLOGY_OBSERVATION
    | labs.CHROMOGRANIN_A
    | frozenset(spread_events.sc.OBSERVATION_KIND_RANK)
)


def _scanned(mapper: Any, index: RecordIndex, *args: Any) -> tuple[Any, list[str]]:
    """`mapper` with the index claiming every table's codes (so no scan is skipped)."""
    original = index.codings_of
    index.codings_of = lambda rtype: _EVERY_TABLE  # type: ignore[method-assign]
    try:
        warnings: list[str] = []
        return mapper(index, *args, warnings), warnings
    finally:
        index.codings_of = original  # type: ignore[method-assign]


def test_skipped_scans_give_what_the_scans_give() -> None:
    for resources in VARIANTS:
        for eager in (False, True):
            with one_record():
                index = _index(resources, eager)
                procedures = resection_procedures(index, [])
                evidence = ResectionEvidence(index, frozenset(p.source for p in procedures))
                surgery = procedures[0].performed if procedures else None
                cases = (
                    (conditions.registry_diagnoses, ()),
                    (conditions.histology_morphology, ()),
                    (labs.preop_chromogranin_elevated, (surgery,)),
                    (spread_events.observation_events, (evidence,)),
                )
                for mapper, args in cases:
                    warnings: list[str] = []
                    got = mapper(index, *args, warnings)
                    assert (got, warnings) == _scanned(mapper, index, *args), mapper.__name__


def _former_pathology_facts(
    index: RecordIndex, evidence: ResectionEvidence, warnings: list[str]
) -> dict[str, Any]:
    """pathology_facts as it was: an empty candidate list per input."""
    table = observations._prepared(frozenset())
    inputs = table.inputs
    found: dict[str, list[Candidate[Any]]] = {i.name: [] for i in inputs}
    for entry in index.of_type("Observation"):
        carried = observations._carried_inputs(entry, table)
        if carried:
            observations._read_entry(index, evidence, entry, carried, found, warnings)
    found["lymphovascular_invasion"] += observations._uicc_lvi(
        found.pop("lymphatic_invasion_uicc"), found.pop("venous_invasion_uicc"), warnings
    )
    return {
        i.name: select(found[i.name], i.worse, i.label) if found[i.name] else NO_FACT
        for i in inputs
        if i.name in found
    }


def test_pathology_facts_as_with_a_list_per_input() -> None:
    for resources in VARIANTS:
        results = []
        for reader in (observations.pathology_facts, _former_pathology_facts):
            with one_record():
                index = _index(resources, False)
                evidence = ResectionEvidence(index, frozenset())
                warnings: list[str] = []
                try:
                    facts = reader(index, evidence, warnings)
                except Exception as exc:  # the same failure either way
                    facts = type(exc).__name__
                results.append((facts, warnings, list(index.warnings)))
        assert results[0] == results[1]
        if isinstance(results[0][0], dict):
            assert list(results[0][0]) == list(results[1][0])  # same order


_VALUES: list[dict[str, Any]] = [
    {"valueInteger": 3},
    {"valueQuantity": {"value": 14, "unit": "nodes"}},
    {"valueRatio": {"numerator": {"value": 2}, "denominator": {"value": 14}}},
    {"valueRatio": {"numerator": {"value": 15}, "denominator": {"value": 14}}},
    {"valueString": "2/14"},
    {"valueString": "3"},
    {"valueString": "pN1 (2/17)"},
    {"valueCodeableConcept": {"text": "pN0 (0/12)"}},
    {"valueCodeableConcept": {"text": "pN1 (1/3) and (2/4)"}},
    {"valueCodeableConcept": {"coding": [{"system": "http://snomed.info/sct", "code": "1"}]}},
    {"valueBoolean": True},
    {"dataAbsentReason": {"text": "not done"}},
]


@pytest.mark.parametrize("value", _VALUES)
def test_node_ratio_as_the_memoised_read(value: dict[str, Any]) -> None:
    raw = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"text": "nodes"},
        **value,
    }
    model = get_fhir_model_class("Observation").model_validate(raw)
    for part in (0, 1):
        pair = values._node_pair(model, "nodes")
        expected: Any = (None, None)
        if pair is not None:
            with one_record():
                expected = values.node_ratio(model, "nodes", part)
        with one_record():
            assert values.node_ratio(model, "nodes", part) == expected
        assert values.node_ratio(model, "nodes", part) == expected
