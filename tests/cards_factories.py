"""Hand-built assessments and draft orders for the cards tests (synthetic data only)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from cds_service.blueprints.response_json import fast_dumps
from cds_service.cards.models import Card
from scoring.assessment import (
    Assessment,
    FactorResult,
    InputResult,
    ScoreResult,
    ScoreStatus,
    SurveillancePlan,
    Tier,
)

ZAIDI_URL = "https://example.org/citations/zaidi-2019"
VENTIN_URL = "https://example.org/citations/ventin-2025"
CARD_UUID = "4e0a3a1e-3283-4575-ab82-028d55fe2719"
SMART_URL = "https://cds.example.org/smart/launch"
ABSOLUTE_URL = "https://cds.example.org/app/assessment?patient=p1"
APP_CONTEXT = '{"patient":"Patient/p1","hookInstance":"h1"}'


def factor(
    fid: str,
    value: bool | None,
    *,
    weight: int | None = None,
    source: str | None = None,
    label: str | None = None,
    detail: str | None = None,
) -> FactorResult:
    points = None if value is None or weight is None else (weight if value else 0)
    return FactorResult(
        id=fid,
        label=label or fid.replace("_", " "),
        value=value,
        weight=weight,
        points=points,
        source=source,
        sources=[source] if source else [],
        detail=detail,
    )


def zaidi(
    *,
    points: int | None,
    tier: Tier | None,
    points_range: list[int] | None = None,
    possible: list[Tier] | None = None,
    factors: list[FactorResult] | None = None,
    missing: list[str] | None = None,
) -> ScoreResult:
    factors = factors or [
        factor("symptomatic", False, weight=1, source="Condition/c1"),
        factor("tumor_size_gt_2cm", True, weight=2, source="Observation/size"),
        factor("ki67_3_20", True, weight=1, source="Observation/ki67"),
        factor("ki67_gt_20", False, weight=6, source="Observation/ki67"),
        factor("node_positive", False, weight=1, source="Observation/nodes"),
    ]
    unknown = sum(f.value is None for f in factors)
    return ScoreResult(
        id="zaidi-rrs-2019",
        title="Recurrence Risk Score (Zaidi 2019)",
        citation="Zaidi MY et al. Ann Surg 2019",
        citation_url=ZAIDI_URL,
        status=ScoreStatus.PARTIAL if unknown else ScoreStatus.SCORED,
        weights_origin="published",
        points=points,
        points_range=points_range or ([points, points] if points is not None else None),
        max_points=10,
        tier=tier,
        possible_tiers=possible if possible is not None else ([tier] if tier else []),
        factors=factors,
        present=sum(f.value is True for f in factors),
        unknown=unknown,
        missing=missing or [],
    )


def ventin(*, site_configured: bool = False, unknown_sex: bool = False) -> ScoreResult:
    weight = 4 if site_configured else None
    factors = [
        factor(
            "male_sex",
            None if unknown_sex else True,
            weight=weight,
            source=None if unknown_sex else "Patient/p1",
        ),
        factor("size_ge_3cm", False, weight=weight, source="Observation/size"),
        factor("grade_ge_2", True, weight=weight, source="Observation/grade"),
        factor("lvi", False, weight=weight, source="Observation/lvi"),
    ]
    return ScoreResult(
        id="ventin-2025",
        title="Node-negative PanNET recurrence (Ventin 2025)",
        citation="Ventin M et al. JAMA Surg 2025",
        citation_url=VENTIN_URL,
        status=ScoreStatus.SCORED if site_configured else ScoreStatus.FACTORS_ONLY,
        weights_origin="site-configured" if site_configured else None,
        points=8 if site_configured and not unknown_sex else None,
        max_points=13 if site_configured else None,
        tier=Tier.INTERMEDIATE if site_configured and not unknown_sex else None,
        factors=factors,
        present=sum(f.value is True for f in factors),
        unknown=sum(f.value is None for f in factors),
        missing=["sex"] if unknown_sex else [],
    )


def plan(
    tier: Tier | None,
    *,
    next_due: str | None = "2025-03-04",
    due_now: bool = False,
    overdue: bool = False,
    anchor: str | None = "2024-09-04",
    chromogranin: bool = False,
    lighter: list[str] | None = None,
    overdue_since: str | None = None,
    days_overdue: int | None = None,
    missed: list[str] | None = None,
    last_imaging: str | None = "2024-08-01",
) -> SurveillancePlan:
    return SurveillancePlan(
        tier=tier,
        basis="Zaidi RRS tier",
        anchor_date=anchor,
        schedule_months=[6, 18, 30],
        schedule_dates=["2025-03-04", "2026-03-04", "2027-03-04"],
        next_due=next_due,
        due_now=due_now,
        overdue=overdue,
        overdue_since=overdue_since,
        days_overdue=days_overdue,
        missed_dates=missed or [],
        last_imaging=last_imaging,
        imaging_sources=["ImagingStudy/ct1"] if last_imaging else [],
        suggest_chromogranin=chromogranin,
        lighter_if_known=lighter or [],
    )


def assessment(
    tier: Tier | None,
    *,
    scores: list[ScoreResult] | None = None,
    possible: list[Tier] | None = None,
    surveillance: SurveillancePlan | str | None = "default",
    in_scope: bool = True,
    scope_reason: str | None = None,
    guideline_flags: list[str] | None = None,
    warnings: list[str] | None = None,
    inputs: list[InputResult] | None = None,
) -> Assessment:
    if scores is None:
        points = {Tier.VERY_LOW: 0, Tier.LOW: 1, Tier.INTERMEDIATE: 4, Tier.HIGH: 7}
        scores = [zaidi(points=points.get(tier) if tier else None, tier=tier)] if tier else []
    return Assessment(
        overall_tier=tier,
        possible_tiers=possible if possible is not None else ([tier] if tier else []),
        in_scope=in_scope,
        scope_reason=scope_reason,
        scores=scores,
        guideline_flags=guideline_flags or [],
        surveillance=plan(tier) if surveillance == "default" else surveillance,
        inputs=inputs or [],
        warnings=warnings or [],
        patient="Patient/p1",
        today="2025-01-10",
    )


def undetermined(*, overdue: bool = False) -> Assessment:
    """Ki-67 and nodes unknown: Zaidi 2-9, low to high possible (like case p04)."""
    factors = [
        factor("symptomatic", False, weight=1, source="Condition/c1"),
        factor("tumor_size_gt_2cm", True, weight=2, source="Observation/size"),
        factor("ki67_3_20", None, weight=1),
        factor("ki67_gt_20", None, weight=6),
        factor("node_positive", None, weight=1),
    ]
    possible = [Tier.LOW, Tier.INTERMEDIATE, Tier.HIGH]
    score = zaidi(
        points=None,
        tier=None,
        points_range=[2, 9],
        possible=possible,
        factors=factors,
        missing=["Ki-67 index", "regional nodes positive"],
    )
    return assessment(
        None,
        scores=[score],
        possible=possible,
        surveillance=plan(Tier.HIGH, overdue=overdue, lighter=["Ki-67 index"]),
    )


def service_request(modality: str, month: int) -> dict[str, Any]:
    code = {"ct": ("79103-8", "CT abdomen with contrast"), "mri": ("24557-1", "MRI abdomen")}
    loinc, display = code[modality]
    return {
        "resourceType": "ServiceRequest",
        "id": f"{modality}-{month}",
        "status": "draft",
        "intent": "proposal",
        "code": {"coding": [{"system": "http://loinc.org", "code": loinc, "display": display}]},
        "subject": {"reference": "Patient/p1"},
    }


def card_args(**overrides: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "service_id": "pannet-patient-view",
        "ct_orders": [service_request("ct", 6)],
        "mri_orders": [service_request("mri", 6)],
        "smart_launch_url": SMART_URL,
        "absolute_url": ABSOLUTE_URL,
        "app_context": APP_CONTEXT,
        "card_uuid": CARD_UUID,
    }
    args.update(overrides)
    return args


def new_uuid() -> str:
    return str(uuid.uuid4())


def assert_survives_its_wire_form(card: Card) -> None:
    """A card parsed back from its wire form (the response's JSON) equals it: the card holds
    the assessment model in its extension, the parsed card that model's JSON dump."""
    wire = json.loads(fast_dumps(card.to_wire()) or b"")
    parsed = Card.model_validate(wire)
    without_extension = {"extension": None}
    assert parsed.model_copy(update=without_extension) == card.model_copy(update=without_extension)
    assert parsed.wire_by_pydantic() == card.wire_by_pydantic() == wire
