"""The real-world corpus (tests/data/realworld): patients assembled from public FHIR examples that
others wrote (mCODE, US Core, US Pathology / CAP eCC, MII Onkologie and Pathologie-Befund, Synthea,
Epic- and Cerner-style records). Each one, run through the `pannet-cds score` pipeline, must give
its expected scope, inputs and tiers (computed by hand from clinical.md, see the directory README).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from cds_service.scoring_pipeline import assess_payload
from scoring.assessment import Assessment
from tests.support.realworld import CASES, expected_of, load_bundle_of

# THE table of corpus cases that cannot pass yet: case -> the mapper change it waits for (owner:
# dx = diagnoses / resections / metastasis / recurrence, path = pathology Observations). Both this
# file and tests/test_e2e_realworld.py read it. The xfail is strict: when a mapper change lands,
# its cases start passing and fail the run until their entries are removed here.

# case -> the mapper change it waits for (owner: dx = diagnoses/resections/metastasis/recurrence,
# path = pathology Observations).
PENDING: dict[str, str] = {}


def corpus_param(case: str, *, reason_prefix: str = "") -> Any:
    """`case` as a pytest parameter, strict-xfail when `PENDING` names it."""
    if case in PENDING:
        return pytest.param(
            case,
            marks=pytest.mark.xfail(strict=True, reason=f"{reason_prefix}{PENDING[case]}"),
            id=case,
        )
    return pytest.param(case, id=case)


# Every due date of the corpus lies before this day, so surveillance is due or overdue.
TODAY = date(2026, 12, 1)


def assessment_problems(assessment: dict[str, Any], expected: dict[str, Any]) -> list[str]:
    """Every way `assessment` (as JSON) contradicts `expected`, as readable lines."""
    problems: list[str] = []

    def check(what: str, got: Any, want: Any) -> None:
        if got != want:
            problems.append(f"{what}: got {got!r}, expected {want!r}")

    check("in_scope", assessment["in_scope"], expected["in_scope"])
    check("scope_code", assessment["scope_code"], expected["scope_code"])
    inputs = {item["id"]: item for item in assessment["inputs"]}
    for input_id, want in expected["inputs"].items():
        item = inputs.get(input_id)
        if item is None:
            problems.append(f"input {input_id}: not reported (expected {want!r})")
            continue
        got = item["value"]
        if isinstance(want, float) and isinstance(got, int | float):
            if got != pytest.approx(want):
                problems.append(f"input {input_id}: got {got!r}, expected {want!r}")
        else:
            check(f"input {input_id}", got, want)
        if want is not None and not item["sources"]:
            problems.append(f"input {input_id}: no source resource named")
    check("overall_tier", assessment["overall_tier"], expected["overall_tier"])
    check("possible_tiers", assessment["possible_tiers"], expected["possible_tiers"])
    surveillance = assessment["surveillance"]
    check("surveillance.tier", surveillance and surveillance["tier"], expected["surveillance_tier"])
    if not expected["in_scope"]:
        # out of scope: no score is offered as a guide and nothing is scheduled (clinical.md §1)
        check("scores", [s["id"] for s in assessment["scores"]], [])
    for reference in expected.get("warnings_name", []):
        if not any(reference in warning for warning in assessment["warnings"]):
            problems.append(f"no warning names the invalid resource {reference}")
    return problems


def sources_outside_the_record(assessment: dict[str, Any], bundle: dict[str, Any]) -> list[str]:
    """Input sources that are not Type/id of a resource in the Bundle."""
    present = {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle["entry"]}
    return [
        f"{item['id']}: {source}"
        for item in assessment["inputs"]
        for source in item["sources"]
        if source not in present
    ]


def assessed(case: str) -> tuple[dict[str, Any], dict[str, Any]]:
    bundle = load_bundle_of(case)
    result: Assessment = assess_payload(bundle, today=TODAY)
    return json.loads(result.model_dump_json()), bundle


def test_the_corpus_has_at_least_25_patients_each_with_its_source_noted() -> None:
    assert len(CASES) >= 25
    directory = Path(__file__).parent / "data" / "realworld"
    for case in CASES:
        assert (directory / f"{case}.source.md").read_text().count("|") > 8, case
    assert set(PENDING) <= set(CASES), "the pending table names only corpus cases"


def test_the_corpus_covers_every_out_of_scope_encoding_asked_for() -> None:
    codes = [expected_of(c)["scope_code"] for c in CASES]
    assert codes.count("metastatic-at-surgery") >= 5
    assert codes.count("recurrence-on-record") >= 3
    assert sum(1 for c in CASES if expected_of(c).get("warnings_name")) >= 3


@pytest.mark.parametrize("case", [corpus_param(c) for c in CASES])
def test_realworld_patient_gives_its_expected_scope_inputs_and_tiers(case: str) -> None:
    assessment, bundle = assessed(case)
    problems = assessment_problems(assessment, expected_of(case))
    problems += sources_outside_the_record(assessment, bundle)
    assert problems == [], f"{case}: {expected_of(case)['title']}"
