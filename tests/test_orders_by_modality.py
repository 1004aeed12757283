"""`surveillance_orders_by_modality` works a plan's dates and note out once for CT and MRI; its
drafts must equal, for every plan, those of the one-modality builder it replaced (kept below
as the reference, as it was before), and raise the same errors."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fhir_mappers.order_codes import CHROMOGRANIN_A, IMAGING_SERVICES, OrderableService
from fhir_mappers.orders import (
    DEFAULT_WINDOW,
    ImagingModality,
    OrderDraftError,
    OrderWindow,
    _check_refs,
    _note,
    _parse_date,
    order_window,
    surveillance_orders,
    surveillance_orders_by_modality,
)
from scoring.assessment import SurveillancePlan, Tier, fields_of

# The reference: fhir_mappers/orders.py's builder before the shared schedule (commit c7830ff).


def _service_request(
    service: OrderableService,
    *,
    patient_ref: str,
    reason_ref: str | None,
    period: tuple[date, date],
    today: date,
    note: str,
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "status": "draft",
        "intent": "order",
        "category": service.category_as_fhir(),
        "priority": "routine",
        "code": service.code_as_fhir(),
        "subject": {"reference": patient_ref},
        "occurrencePeriod": {"start": period[0].isoformat(), "end": period[1].isoformat()},
        "authoredOn": today.isoformat(),
        "note": [{"text": note}],
    }
    if reason_ref is not None:
        resource["reasonReference"] = [{"reference": reason_ref}]
    return resource


def _care_plan(
    plan: SurveillancePlan,
    dates: list[date],
    *,
    service: OrderableService,
    patient_ref: str,
    reason_ref: str | None,
    next_due: date | None,
    today: date,
    note: str,
) -> dict[str, Any]:
    # exams before the next due one may or may not have been done: say "unknown", not "done"
    pending_from = next_due if next_due is not None else today
    months = (
        plan.schedule_months if len(plan.schedule_months) == len(dates) else [None] * len(dates)
    )
    activities = [
        {
            "detail": {
                "kind": "ServiceRequest",
                "code": service.code_as_fhir(),
                "status": "not-started" if planned >= pending_from else "unknown",
                "scheduledTiming": {"event": [planned.isoformat()]},
                "description": service.text
                if month is None
                else f"{service.text}, month {month} after resection",
            }
        }
        for planned, month in zip(dates, months, strict=True)
    ]
    start = (
        _parse_date(plan.anchor_date, "SurveillancePlan.anchor_date") if plan.anchor_date else None
    )
    resource: dict[str, Any] = {
        "resourceType": "CarePlan",
        "status": "draft",
        "intent": "plan",
        "title": "Surveillance imaging after resection of a neuroendocrine tumour",
        "description": note,
        "subject": {"reference": patient_ref},
        "period": {"start": (start or dates[0]).isoformat(), "end": dates[-1].isoformat()},
        "created": today.isoformat(),
        "activity": activities,
        "note": [{"text": note}],
    }
    if reason_ref is not None:
        resource["addresses"] = [{"reference": reason_ref}]
    return resource


def reference_orders(
    plan: SurveillancePlan,
    *,
    patient_ref: str,
    reason_ref: str | None,
    modality: ImagingModality,
    today: date,
    window: OrderWindow = DEFAULT_WINDOW,
    include_care_plan: bool = True,
) -> list[dict[str, Any]]:
    """Draft resources for one surveillance alternative (CT or MRI), in this order: imaging
    ServiceRequest (only when an exam is due), chromogranin A ServiceRequest (only with the
    imaging request and when the plan suggests it), CarePlan (when the plan has a schedule).
    """
    _check_refs(patient_ref, reason_ref)
    service = IMAGING_SERVICES[ImagingModality(modality)]
    next_due = _parse_date(plan.next_due, "SurveillancePlan.next_due") if plan.next_due else None
    dates = [
        _parse_date(d, f"SurveillancePlan.schedule_dates[{i}]")
        for i, d in enumerate(plan.schedule_dates)
    ]
    note = _note(fields_of(plan), next_due)
    drafts: list[dict[str, Any]] = []
    if next_due is not None:
        period = order_window(next_due, today=today, overdue=plan.overdue, window=window)
        drafts.append(
            _service_request(
                service,
                patient_ref=patient_ref,
                reason_ref=reason_ref,
                period=period,
                today=today,
                note=note,
            )
        )
        if plan.suggest_chromogranin:
            drafts.append(
                _service_request(
                    CHROMOGRANIN_A,
                    patient_ref=patient_ref,
                    reason_ref=reason_ref,
                    period=period,
                    today=today,
                    note=note,
                )
            )
    if include_care_plan and dates:
        drafts.append(
            _care_plan(
                plan,
                sorted(dates),
                service=service,
                patient_ref=patient_ref,
                reason_ref=reason_ref,
                next_due=next_due,
                today=today,
                note=note,
            )
        )
    return drafts


TODAY = date(2025, 11, 21)
ANCHOR = date(2024, 3, 4)


def _plan(tier, months, next_due_index, overdue, chromogranin, shuffle, anchor) -> SurveillancePlan:
    dates = [(ANCHOR + timedelta(days=30 * m)).isoformat() for m in months]
    due = (
        dates[next_due_index]
        if dates and next_due_index is not None and next_due_index < len(dates)
        else None
    )
    if shuffle:
        dates = dates[::-1]  # the CarePlan sorts them
    return SurveillancePlan(
        tier=tier,
        basis="zaidi-rrs-2019: intermediate",
        anchor_date=anchor,
        schedule_months=months,
        schedule_dates=dates,
        next_due=due,
        overdue=overdue,
        overdue_since=due if overdue else None,
        missed_dates=dates[:1] if overdue else [],
        suggest_chromogranin=chromogranin,
    )


def _outcome(build) -> Any:
    try:
        return json.dumps(build(), sort_keys=True)
    except OrderDraftError as exc:
        return f"error: {exc}"


@settings(max_examples=400, deadline=None)
@given(
    tier=st.sampled_from([*Tier, None]),
    months=st.lists(st.integers(1, 240), max_size=12, unique=True).map(sorted),
    next_due_index=st.one_of(st.none(), st.integers(0, 11)),
    overdue=st.booleans(),
    chromogranin=st.booleans(),
    shuffle=st.booleans(),
    anchor=st.sampled_from(["2024-03-04", None, "2023-01-31"]),
    reason=st.sampled_from(["Condition/dx-1", None]),
    today=st.dates(date(2023, 1, 1), date(2040, 1, 1)),
    care_plan=st.booleans(),
    lead=st.integers(0, 60),
)
def test_shared_schedule_gives_the_one_modality_drafts(
    tier,
    months,
    next_due_index,
    overdue,
    chromogranin,
    shuffle,
    anchor,
    reason,
    today,
    care_plan,
    lead,
):
    plan = _plan(tier, months, next_due_index, overdue, chromogranin, shuffle, anchor)
    window = OrderWindow(lead=timedelta(days=lead))
    kw = {"patient_ref": "Patient/p-1", "reason_ref": reason, "today": today, "window": window}
    both = surveillance_orders_by_modality(
        plan, modalities=ImagingModality, include_care_plan=care_plan, **kw
    )
    for modality in ImagingModality:
        expected = _outcome(
            lambda m=modality: reference_orders(plan, modality=m, include_care_plan=care_plan, **kw)
        )
        assert json.dumps(both[modality], sort_keys=True) == expected
        one = lambda m=modality: surveillance_orders(  # noqa: E731
            plan, modality=m, include_care_plan=care_plan, **kw
        )
        assert _outcome(one) == expected
    # Fresh objects per modality: editing one draft leaves the other alone.
    ct, mri = both[ImagingModality.CT], both[ImagingModality.MRI]
    assert all(a is not b for a, b in zip(ct, mri, strict=True))


@pytest.mark.parametrize(
    "changes",
    [
        {"next_due": "soon"},
        {"schedule_dates": ["2024-09-04", "next year"]},
        {"schedule_dates": ["2024-09-04", "20250904"]},
        {"anchor_date": "March 2024"},
        {"anchor_date": "March 2024", "schedule_dates": []},
    ],
)
@pytest.mark.parametrize("care_plan", [True, False])
def test_bad_dates_raise_what_they_raised(changes, care_plan):
    fields = {
        "tier": Tier.LOW,
        "basis": "b",
        "anchor_date": "2024-03-04",
        "schedule_months": [6, 18],
        "schedule_dates": ["2024-09-04", "2025-09-04"],
        "next_due": "2025-09-04",
    }
    plan = SurveillancePlan(**(fields | changes))
    kw = {"patient_ref": "Patient/p-1", "reason_ref": None, "today": TODAY}
    for modality in ImagingModality:
        expected = _outcome(
            lambda m=modality: reference_orders(plan, modality=m, include_care_plan=care_plan, **kw)
        )
        got = _outcome(
            lambda m=modality: surveillance_orders(
                plan, modality=m, include_care_plan=care_plan, **kw
            )
        )
        assert got == expected
