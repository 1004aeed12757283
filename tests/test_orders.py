"""Surveillance plan -> draft FHIR R4 orders: codes, windows, and R4 validity."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from fhir.resources.R4B import get_fhir_model_class
from hypothesis import given, settings
from hypothesis import strategies as st

from fhir_mappers.orders import (
    DEFAULT_WINDOW,
    ImagingModality,
    OrderDraftError,
    OrderWindow,
    _iso_texts,
    order_window,
    surveillance_orders,
)
from scoring.assessment import SurveillancePlan, Tier

TODAY = date(2025, 11, 21)
PATIENT = "Patient/p01"
DIAGNOSIS = "Condition/p01-dx"


def plan(**changes) -> SurveillancePlan:
    fields = {
        "tier": Tier.INTERMEDIATE,
        "basis": "zaidi-rrs-2019: intermediate",
        "anchor_date": "2024-03-04",
        "schedule_months": [6, 18, 30],
        "schedule_dates": ["2024-09-04", "2025-09-04", "2026-09-04"],
        "next_due": "2026-09-04",
        "overdue": False,
        "suggest_chromogranin": False,
    }
    return SurveillancePlan(**(fields | changes))


def orders(p: SurveillancePlan, modality=ImagingModality.CT, reason=DIAGNOSIS, **kw):
    return surveillance_orders(
        p, patient_ref=PATIENT, reason_ref=reason, modality=modality, today=TODAY, **kw
    )


def by_type(resources, resource_type):
    return [r for r in resources if r["resourceType"] == resource_type]


def loinc(resource) -> str:
    return resource["code"]["coding"][0]["code"]


@pytest.mark.parametrize(
    ("modality", "code", "display"),
    [
        (ImagingModality.CT, "79103-8", "CT Abdomen W contrast IV"),
        (ImagingModality.MRI, "24557-1", "MR Abdomen WO and W contrast IV"),
    ],
)
def test_imaging_request_codes_by_modality(modality, code, display):
    [imaging] = by_type(orders(plan(), modality), "ServiceRequest")
    assert imaging["code"]["coding"][0] == {
        "system": "http://loinc.org",
        "code": code,
        "display": display,
    }
    assert imaging["category"][0]["coding"][0]["code"] == "363679005"


def test_imaging_request_is_an_id_less_draft_order_for_the_patient_and_diagnosis():
    [imaging] = by_type(orders(plan()), "ServiceRequest")
    assert "id" not in imaging
    assert (imaging["status"], imaging["intent"]) == ("draft", "order")
    assert imaging["subject"] == {"reference": PATIENT}
    assert imaging["reasonReference"] == [{"reference": DIAGNOSIS}]
    assert "confirmed by the treating team" in imaging["note"][0]["text"]


def test_without_a_diagnosis_there_is_no_reason_reference():
    resources = orders(plan(), reason=None)
    assert all("reasonReference" not in r and "addresses" not in r for r in resources)


def test_window_not_yet_open_runs_lead_before_to_grace_after_due():
    [imaging] = by_type(orders(plan(next_due="2026-09-04")), "ServiceRequest")
    due = date(2026, 9, 4)
    assert imaging["occurrencePeriod"] == {
        "start": (due - DEFAULT_WINDOW.lead).isoformat(),
        "end": (due + DEFAULT_WINDOW.grace).isoformat(),
    }


def test_window_already_open_starts_today():
    due = TODAY + timedelta(days=10)
    [imaging] = by_type(orders(plan(next_due=due.isoformat())), "ServiceRequest")
    assert imaging["occurrencePeriod"]["start"] == TODAY.isoformat()
    assert imaging["occurrencePeriod"]["end"] == (due + DEFAULT_WINDOW.grace).isoformat()


def test_overdue_window_starts_today_and_says_overdue():
    p = plan(next_due="2025-09-04", overdue=True)
    [imaging] = by_type(orders(p), "ServiceRequest")
    assert imaging["occurrencePeriod"] == {
        "start": TODAY.isoformat(),
        "end": (TODAY + DEFAULT_WINDOW.grace).isoformat(),
    }
    assert "overdue" in imaging["note"][0]["text"]


def test_the_note_of_an_undetermined_overdue_patient_states_no_risk_and_says_since_when():
    # Scheduled by the highest possible tier: the note names the schedule, not a "high risk",
    # and the first exam missed since the last imaging, not the latest missed due date.
    p = plan(
        tier=Tier.HIGH,
        basis="possible tiers low / intermediate / high: scheduled by the highest",
        next_due="2025-09-04",
        overdue=True,
        overdue_since="2024-09-04",
        days_overdue=443,
        missed_dates=["2024-09-04", "2025-09-04"],
    )
    [imaging] = by_type(orders(p), "ServiceRequest")
    note = imaging["note"][0]["text"]
    assert "high risk" not in note
    assert "schedule of the high tier" in note
    assert "overdue since 2024-09-04 (2 scheduled exams missed)" in note
    assert "2025-09-04" not in note


def test_the_note_of_a_plan_not_yet_due_names_the_next_date():
    note = by_type(orders(plan(tier=Tier.VERY_LOW)), "ServiceRequest")[0]["note"][0]["text"]
    assert "schedule of the very low tier" in note
    assert "Next imaging due 2026-09-04." in note


def test_past_due_date_is_treated_as_overdue_even_if_not_flagged():
    start, end = order_window(date(2025, 1, 1), today=TODAY, overdue=False)
    assert (start, end) == (TODAY, TODAY + DEFAULT_WINDOW.grace)


def test_window_policy_is_configurable():
    window = OrderWindow(lead=timedelta(days=14), grace=timedelta(days=7))
    due = date(2026, 9, 4)
    assert order_window(due, today=TODAY, overdue=False, window=window) == (
        date(2026, 8, 21),
        date(2026, 9, 11),
    )


def test_no_next_due_means_no_service_request_but_the_schedule_care_plan():
    finished = plan(
        next_due=None, schedule_months=[6, 18], schedule_dates=["2024-09-04", "2025-09-04"]
    )
    resources = orders(finished)
    assert by_type(resources, "ServiceRequest") == []
    [care_plan] = by_type(resources, "CarePlan")
    assert all(a["detail"]["status"] == "unknown" for a in care_plan["activity"])


def test_nothing_to_draft_without_due_date_or_schedule():
    assert orders(plan(next_due=None, schedule_dates=[], schedule_months=[])) == []


def test_chromogranin_only_when_suggested():
    assert [loinc(r) for r in by_type(orders(plan()), "ServiceRequest")] == ["79103-8"]
    with_cga = by_type(orders(plan(suggest_chromogranin=True)), "ServiceRequest")
    assert [loinc(r) for r in with_cga] == ["79103-8", "9811-1"]
    assert with_cga[1]["category"][0]["coding"][0]["code"] == "108252007"
    assert with_cga[1]["occurrencePeriod"] == with_cga[0]["occurrencePeriod"]


def test_chromogranin_is_not_drafted_when_no_exam_is_due():
    resources = orders(plan(next_due=None, suggest_chromogranin=True))
    assert by_type(resources, "ServiceRequest") == []


def test_care_plan_lists_every_scheduled_exam_with_its_date():
    [care_plan] = by_type(orders(plan(next_due="2025-09-04", overdue=True)), "CarePlan")
    assert (care_plan["status"], care_plan["intent"]) == ("draft", "plan")
    assert "id" not in care_plan
    assert care_plan["addresses"] == [{"reference": DIAGNOSIS}]
    assert care_plan["period"] == {"start": "2024-03-04", "end": "2026-09-04"}
    planned = [
        (a["detail"]["scheduledTiming"]["event"][0], a["detail"]["status"])
        for a in care_plan["activity"]
    ]
    assert planned == [
        ("2024-09-04", "unknown"),
        ("2025-09-04", "not-started"),
        ("2026-09-04", "not-started"),
    ]
    assert "month 18 after resection" in care_plan["activity"][1]["detail"]["description"]
    assert {loinc(a["detail"]) for a in care_plan["activity"]} == {"79103-8"}


def test_care_plan_is_optional():
    assert by_type(orders(plan(), include_care_plan=False), "CarePlan") == []


def test_never_suggests_sstr_or_fdg_pet():
    for modality in ImagingModality:
        text = json.dumps(orders(plan(suggest_chromogranin=True), modality)).lower()
        for word in ("pet", "dotatate", "ga-68", "cu-64", "fdg", "octreo"):
            assert word not in text


@pytest.mark.parametrize(
    ("p", "modality"),
    [
        (plan(), ImagingModality.CT),
        (plan(suggest_chromogranin=True, overdue=True, next_due="2025-09-04"), ImagingModality.MRI),
        (plan(tier=None, anchor_date=None, schedule_months=[]), ImagingModality.CT),
        (plan(next_due=None), ImagingModality.MRI),
    ],
)
def test_every_resource_validates_as_fhir_r4(p, modality):
    resources = orders(p, modality)
    assert resources
    for resource in resources:
        model = get_fhir_model_class(resource["resourceType"])
        parsed = model.model_validate(resource)
        # nothing dropped or rewritten by the model: what we send is what R4 reads
        assert json.loads(parsed.model_dump_json(exclude_none=True)) == resource


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"patient_ref": "p01"}, "patient_ref"),
        ({"patient_ref": "Group/g1"}, "patient_ref"),
        ({"reason_ref": "Observation/o1"}, "reason_ref"),
    ],
)
def test_bad_references_are_refused_by_name(kwargs, message):
    args = {"patient_ref": PATIENT, "reason_ref": DIAGNOSIS} | kwargs
    with pytest.raises(OrderDraftError, match=message):
        surveillance_orders(plan(), modality=ImagingModality.CT, today=TODAY, **args)


def test_bad_plan_date_names_the_field():
    with pytest.raises(OrderDraftError, match=r"schedule_dates\[1\]"):
        orders(plan(schedule_dates=["2024-09-04", "next year"]))


@settings(max_examples=150, deadline=None)
@given(
    tier=st.sampled_from([*Tier, None]),
    months=st.lists(st.integers(1, 240), max_size=20, unique=True).map(sorted),
    next_due_index=st.one_of(st.none(), st.integers(0, 19)),
    overdue=st.booleans(),
    chromogranin=st.booleans(),
    modality=st.sampled_from(ImagingModality),
    reason=st.sampled_from([DIAGNOSIS, None]),
)
def test_every_plan_gives_resources_that_validate_as_fhir_r4(
    tier, months, next_due_index, overdue, chromogranin, modality, reason
):
    # The drafts are checked here, not on every call: their shape is fixed by this module.
    anchor = date(2024, 3, 4)
    dates = [(anchor + timedelta(days=30 * m)).isoformat() for m in months]
    due = (
        dates[next_due_index]
        if dates and next_due_index is not None and next_due_index < len(dates)
        else None
    )
    p = plan(
        tier=tier,
        schedule_months=months,
        schedule_dates=dates,
        next_due=due,
        overdue=overdue,
        suggest_chromogranin=chromogranin,
    )
    for resource in surveillance_orders(
        p, patient_ref=PATIENT, reason_ref=reason, modality=modality, today=TODAY
    ):
        model = get_fhir_model_class(resource["resourceType"])
        parsed = model.model_validate(resource)
        assert json.loads(parsed.model_dump_json(exclude_none=True)) == resource


@settings(max_examples=300, deadline=None)
@given(
    day=st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)),
    form=st.sampled_from(["iso", "basic", "week", "week-day"]),
)
def test_a_date_text_is_kept_only_when_it_is_the_iso_form(day, form):
    # Every form `fromisoformat` reads: the text kept must be what `isoformat` would write.
    year, week, weekday = day.isocalendar()
    text = {
        "iso": day.isoformat(),
        "basic": day.isoformat().replace("-", ""),
        "week": f"{year:04d}-W{week:02d}",
        "week-day": f"{year:04d}-W{week:02d}-{weekday}",
    }[form]
    parsed = date.fromisoformat(text)
    assert _iso_texts([text], [parsed]) == [parsed.isoformat()]


def test_drafts_of_a_plan_with_dates_in_another_form_are_those_of_the_iso_form():
    basic = plan(
        schedule_dates=["20240904", "2025-W36-4", "2026-09-04"],
        anchor_date="20240304",
        next_due="20260904",
    )
    kwargs = {"patient_ref": PATIENT, "reason_ref": DIAGNOSIS, "today": TODAY}
    for modality in ImagingModality:
        assert surveillance_orders(basic, modality=modality, **kwargs) == surveillance_orders(
            plan(schedule_dates=["2024-09-04", "2025-09-04", "2026-09-04"]),
            modality=modality,
            **kwargs,
        )
