"""Input fuzzing of the mappers and the scoring pipeline: any JSON a feed may carry gives either
an assessment that keeps its own invariants or one `FhirInputError` naming the culprit."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cds_service.scoring_pipeline import assess_payload
from fhir_mappers.errors import FhirInputError
from scoring.assessment import Assessment, Tier
from tests.support.fhir_strategies import case_bundle, payloads, resources

EXAMPLES = 300
TODAY = date(2025, 6, 1)
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def check_assessment(assessment: Assessment) -> None:
    """What any assessment must satisfy, whatever the record."""
    if assessment.overall_tier is not None:
        assert assessment.overall_tier in assessment.possible_tiers
    for score in assessment.scores:
        if score.points_range is not None:
            low, high = score.points_range
            assert low <= high
            if score.points is not None:
                assert low <= score.points <= high
        if score.tier is not None:
            assert score.tier in score.possible_tiers
        for factor in score.factors:
            # Unknown stays unknown: no points for a factor whose value is not known.
            if factor.value is None:
                assert factor.points in (None, 0)
    assert all(isinstance(t, Tier) for t in assessment.possible_tiers)
    assessment.model_dump_json()  # serialisable, as the CLI and the cards need


def assess_or_refuse(payload: object) -> None:
    try:
        assessment = assess_payload(payload, today=TODAY)
    except FhirInputError as exc:
        assert exc.message and "\n" not in exc.message
        return
    check_assessment(assessment)


@FUZZ
@given(payloads())
def test_any_payload_is_assessed_or_refused_with_one_line(payload):
    assess_or_refuse(payload)


@FUZZ
@given(resources())
def test_mutated_case_resources_as_a_bare_array(items):
    assess_or_refuse(items)


def _p01_with(resource_type: str, element: str, value: object) -> dict:
    bundle = case_bundle("p01")
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] == resource_type:
            choice = "performed" if resource_type == "Procedure" else "effective"
            for key in [k for k in resource if k.startswith(choice)]:
                del resource[key]
            if "." in element:
                outer, inner = element.split(".")
                resource[outer] = {inner: value}
            else:
                resource[element] = value
            return bundle
    raise AssertionError(f"p01 has no {resource_type}")


@pytest.mark.parametrize(
    "resource_type, element, value",
    [
        ("Procedure", "performedDateTime", 0),
        ("Procedure", "performedDateTime", 1709510400),
        ("Procedure", "performedPeriod.start", 0),
        ("Observation", "effectiveDateTime", 0.0),
    ],
)
def test_regression_numeric_dates_are_refused_not_read_as_1970(resource_type, element, value):
    """Found by the contract fuzzing: the R4B models read a JSON number as a Unix timestamp, so
    a resection 'performed' 0 was dated 1970-01-01 and surveillance counted from it. The
    resource is now left out with a warning naming the element (issue 9), never read as 1970."""
    assessment = assess_payload(_p01_with(resource_type, element, value), today=TODAY)
    assert any(
        "not valid FHIR R4" in w and "must be a JSON string" in w for w in assessment.warnings
    ), assessment.warnings
    assert "1970" not in assessment.model_dump_json()


def test_string_dates_still_work():
    assessment = assess_payload(
        _p01_with("Procedure", "performedDateTime", "2024-03-04"), today=TODAY
    )
    assert assessment.surveillance is not None
    assert assessment.surveillance.anchor_date == "2024-03-04"


# --- long and pathological strings (issue 11.1) ---------------------------------------------
# Built from the tokens the value and text patterns look for, repeated, with the breaking
# character last: the shapes that made the old patterns superlinear ("1" + spaces + "!").
_PIECES = ["1", " ", "  ", "x", "-", "/", ".", ",", "%", "mm", "cm", "g", "grade ", "pn", "~", "<"]
_HOSTILE = st.one_of(
    st.builds(
        lambda head, n, tail: head + " " * n + tail,
        st.sampled_from(["1", "g", "2", "grade", "pn", "ca.", "1 x 2"]),
        st.integers(1_000, 60_000),
        st.sampled_from(["!", "x", "", "mm!", "%%"]),
    ),
    st.lists(st.sampled_from(_PIECES), min_size=1, max_size=400).map(lambda p: "".join(p) * 50),
)
_TEXT_SLOTS = ("valueString", "code.text", "valueCodeableConcept.text", "code.coding.display")


def _p01_with_text(slot: str, text: str) -> dict:
    bundle = case_bundle("p01")
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] != "Observation":
            continue
        if slot == "valueString":
            for key in [k for k in resource if k.startswith("value")]:
                del resource[key]
            resource["valueString"] = text
        elif slot == "code.text":
            resource["code"]["text"] = text
        elif slot == "valueCodeableConcept.text":
            for key in [k for k in resource if k.startswith("value")]:
                del resource[key]
            resource["valueCodeableConcept"] = {"text": text}
        else:
            resource["code"]["coding"][0]["display"] = text
    return bundle


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(_TEXT_SLOTS), _HOSTILE)
def test_long_and_pathological_strings_in_every_text_slot(slot, text):
    assess_or_refuse(_p01_with_text(slot, text))


class _LengthRecorder:
    """Stands in for a compiled pattern and records the longest text it is asked to scan."""

    def __init__(self, pattern: re.Pattern[str], longest: list[int]) -> None:
        self._pattern = pattern
        self._longest = longest

    def __getattr__(self, name: str):
        method = getattr(self._pattern, name)

        def scan(text, *args, **kwargs):
            self._longest.append(len(text))
            return method(text, *args, **kwargs)

        return scan


@pytest.mark.parametrize("slot", _TEXT_SLOTS)
def test_no_pattern_ever_scans_more_than_the_cap(monkeypatch, slot):
    """Deterministic guard for issue 11.1: whatever the record holds, the concept patterns see
    at most MAX_CONCEPT_TEXT characters and the value-string pattern at most MAX_VALUE_TEXT."""
    from fhir_mappers import concepts, text_values

    seen_concepts: list[int] = []
    seen_values: list[int] = []
    compiled = concepts._regex.__wrapped__  # the uncached re.compile wrapper
    monkeypatch.setattr(concepts, "_regex", lambda p: _LengthRecorder(compiled(p), seen_concepts))
    monkeypatch.setattr(text_values, "_PATTERN", _LengthRecorder(text_values._PATTERN, seen_values))
    hostile = "1" + " " * 100_000 + "!"
    assess_or_refuse(_p01_with_text(slot, hostile))
    assert seen_concepts, "the concept patterns were not exercised"
    assert max(seen_concepts) <= concepts.MAX_CONCEPT_TEXT
    assert max(seen_values, default=0) <= text_values.MAX_VALUE_TEXT
