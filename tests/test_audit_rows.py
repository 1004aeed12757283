"""The hook path's audit row (`audit.rows.hook_audit_row`, built from the assessment directly)
is the row the record model gives (`audit_row(audit_record(...))`), for every stored case,
the demo patients, a generated cohort and values at the edges of their types."""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from bench.cohort import generate_cohort
from cds_service.audit.records import AuditCard, audit_record
from cds_service.audit.rows import hook_audit_row
from cds_service.audit.store import audit_row
from cds_service.sandbox.patients import demo_patients
from cds_service.scoring_pipeline import assess_payload
from scoring.assessment import Assessment, Tier
from scoring.site_config import DEFAULT_SITE_CONFIG

DATA = Path(__file__).resolve().parent / "data"
TODAY = date(2026, 3, 1)
CARDS = [AuditCard(uuid="0b3c7c1e-6f0e-4b53-9f1c-2f3c1d5e6a7b", indicator="warning", summary="S")]


def _bundles() -> list[tuple[str, dict]]:
    found = []
    for path in sorted(DATA.glob("**/*.bundle.json")):
        found.append((str(path.relative_to(DATA)), json.loads(path.read_text())))
    found += [(f"demo:{p.patient_id}", p.bundle) for p in demo_patients()]
    found += [(f"cohort:{n}", b) for n, b in enumerate(generate_cohort(24))]
    return found


def _both(assessment: Assessment, **overrides: object) -> tuple[dict, dict]:
    arguments: dict = {
        "recorded_at": datetime(2026, 3, 1, 12, 30, tzinfo=timezone(timedelta(hours=2))),
        "service_id": "pannet-cds-patient-view",
        "hook": "patient-view",
        "hook_instance": "hi-1",
        "patient_ref": "Patient/p1",
        "assessment": assessment,
        "site": DEFAULT_SITE_CONFIG,
        "cards": CARDS,
        **overrides,
    }
    return hook_audit_row(**arguments), audit_row(audit_record(**arguments))


def _same(fast: dict, model: dict) -> None:
    # The stored form: the JSON columns as SQLAlchemy writes them, the rest as values.
    assert list(fast) == list(model)
    for key in model:
        assert json.dumps(fast[key], default=str) == json.dumps(model[key], default=str), key
        assert type(fast[key]) is type(model[key]), key


@pytest.mark.parametrize(
    ("name", "bundle"), _bundles(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_the_row_of_every_case_is_the_models_row(name: str, bundle: dict) -> None:
    try:
        assessment = assess_payload(bundle, today=TODAY)
    except ValueError:
        pytest.skip("not an assessable record")
    _same(*_both(assessment))
    _same(*_both(assessment, patient_ref=None, cards=[]))


def _demo_assessment() -> Assessment:
    return assess_payload(demo_patients()[0].bundle, today=TODAY)


@pytest.mark.parametrize(
    "value", [0, 1, -3, 10**30, 0.0, 2.5, float("nan"), float("inf"), True, False, None, "", "é"]
)
def test_input_values_of_every_kind(value: object) -> None:
    assessment = _demo_assessment()
    first = assessment.inputs[0].model_copy(update={"value": value})
    edited = assessment.model_copy(update={"inputs": [first, *assessment.inputs[1:]]})
    fast, model = _both(edited)
    if isinstance(value, float) and math.isnan(value):
        assert math.isnan(fast["inputs"][0]["value"]) and math.isnan(model["inputs"][0]["value"])
        return
    _same(fast, model)


def test_a_model_built_without_validation_takes_the_model_path() -> None:
    assessment = _demo_assessment()
    # Tiers as plain text and a value of a type the record does not declare as such.
    constructed = Assessment.model_construct(
        **{**dict(assessment), "overall_tier": "low", "possible_tiers": ["low", "high"]}
    )
    _same(*_both(constructed))
    first = assessment.inputs[0].model_copy(update={"value": Tier.LOW})
    odd = assessment.model_copy(update={"inputs": [first, *assessment.inputs[1:]]})
    fast, model = _both(odd)
    assert fast == model


def test_a_naive_time_is_refused_as_before() -> None:
    naive = datetime(2026, 3, 1, 12, 30)
    with pytest.raises(ValueError):
        audit_row(audit_record(**_arguments(naive)))
    with pytest.raises(ValueError):
        hook_audit_row(**_arguments(naive))


def _arguments(recorded_at: datetime) -> dict:
    return {
        "recorded_at": recorded_at,
        "service_id": "s",
        "hook": "patient-view",
        "hook_instance": "hi-1",
        "patient_ref": None,
        "assessment": _demo_assessment(),
        "site": DEFAULT_SITE_CONFIG,
        "cards": [],
    }


def test_recorded_at_is_stored_in_utc() -> None:
    fast, _model = _both(_demo_assessment())
    assert fast["recorded_at"] == datetime(2026, 3, 1, 10, 30, tzinfo=UTC)
    assert fast["recorded_at"].tzinfo is UTC
