"""Surveillance schedules (clinical.md §4), calendar arithmetic, and what is due or overdue given
the imaging already done or ordered (§5)."""

from __future__ import annotations

from datetime import date

import pytest

from scoring.assess import assess
from scoring.assessment import Tier
from scoring.inputs import ImagingEvent, ImagingState, Resection
from scoring.schedule import DEFAULT_SCHEDULES, add_months
from scoring.surveillance import plan_surveillance
from tests.scoring_support import make_inputs

# clinical.md §4, written out month by month.
SPEC_MONTHS = {
    Tier.VERY_LOW: [12],
    Tier.LOW: [12, 24, 36, 60, 84, 108],
    Tier.INTERMEDIATE: [6, 18, 30, 42, 54, 66, 78, 90, 102, 114],
    Tier.HIGH: [6, 12, 18, 24, 30, 36, 48, 60, 72, 84, 96, 108, 120],
}


@pytest.mark.parametrize("tier", list(Tier))
def test_default_schedule_table(tier):
    assert DEFAULT_SCHEDULES[tier].months() == SPEC_MONTHS[tier]


def test_every_schedule_ends_by_month_120_and_says_what_follows():
    for tier, schedule in DEFAULT_SCHEDULES.items():
        assert schedule.months()[-1] <= 120, tier
        assert "as clinically indicated" in schedule.afterwards


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2024, 3, 4), 0, date(2024, 3, 4)),
        (date(2024, 3, 4), 12, date(2025, 3, 4)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # leap year
        (date(2023, 1, 31), 1, date(2023, 2, 28)),
        (date(2024, 1, 31), 3, date(2024, 4, 30)),
        (date(2023, 8, 31), 6, date(2024, 2, 29)),
        (date(2024, 11, 15), 2, date(2025, 1, 15)),
        (date(2024, 12, 31), 12, date(2025, 12, 31)),
        (date(2024, 12, 31), 120, date(2034, 12, 31)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
    ],
)
def test_add_months_clamps_to_the_end_of_the_month(start, months, expected):
    assert add_months(start, months) == expected


@pytest.mark.parametrize(
    ("overrides", "tier"),
    [
        ({}, Tier.VERY_LOW),
        ({"tumor_size_cm": 2.0}, Tier.LOW),
        ({"tumor_size_cm": 2.5, "symptomatic": True}, Tier.INTERMEDIATE),
        ({"ki67_percent": 30.0}, Tier.HIGH),
    ],
)
def test_assessment_carries_the_schedule_of_its_tier(overrides, tier):
    inputs = make_inputs(resection=Resection(date(2023, 8, 31), "Procedure/s"), **overrides)
    plan = assess(inputs, today=date(2023, 9, 1)).surveillance
    assert plan is not None
    assert (plan.tier, plan.schedule_months) == (tier, SPEC_MONTHS[tier])
    expected = [add_months(date(2023, 8, 31), m).isoformat() for m in SPEC_MONTHS[tier]]
    assert plan.schedule_dates == expected
    assert plan.anchor_date == "2023-08-31"


ANCHOR = date(2024, 1, 15)
# High schedule from ANCHOR: due 2024-07-15, 2025-01-15, ...; the first exam's window runs from
# half-way after the resection (2024-04-15) to half-way to the next exam (2024-10-15).


def _plan(today, *imaging, tier=Tier.HIGH, anchor=ANCHOR):
    return plan_surveillance(
        tier=tier,
        basis="test",
        schedule=DEFAULT_SCHEDULES[tier],
        anchor=anchor,
        today=today,
        imaging=tuple(imaging),
        suggest_chromogranin=False,
        lighter_if_known=[],
    )


def _done(when, state=ImagingState.DONE, source="DiagnosticReport/ct"):
    return ImagingEvent(when, state, source)


def _status(plan):
    return plan.next_due, plan.due_now, plan.overdue


def test_first_exam_ahead():
    assert _status(_plan(date(2024, 5, 1))) == ("2024-07-15", False, False)


def test_due_now_within_30_days_of_the_due_date():
    assert _status(_plan(date(2024, 6, 14))) == ("2024-07-15", False, False)
    assert _status(_plan(date(2024, 6, 15))) == ("2024-07-15", True, False)


def test_due_date_itself_is_due_but_not_yet_overdue():
    # Regression: the plan said "overdue" on the due date itself.
    assert _status(_plan(date(2024, 7, 15))) == ("2024-07-15", True, False)


def test_overdue_the_day_after_the_due_date_without_imaging():
    assert _status(_plan(date(2024, 7, 16))) == ("2024-07-15", True, True)


@pytest.mark.parametrize("state", [ImagingState.DONE, ImagingState.ORDERED])
@pytest.mark.parametrize("when", [date(2024, 4, 15), date(2024, 7, 1), date(2024, 7, 18)])
def test_imaging_done_or_ordered_in_the_window_satisfies_the_exam(state, when):
    plan = _plan(date(2024, 7, 20), _done(when, state))
    assert _status(plan) == ("2025-01-15", False, False)
    assert plan.last_imaging == when.isoformat()
    assert plan.imaging_sources == ["DiagnosticReport/ct"]


def test_imaging_early_in_the_window_covers_an_exam_not_yet_due():
    assert _status(_plan(date(2024, 6, 30), _done(date(2024, 4, 20)))) == (
        "2025-01-15",
        False,
        False,
    )


def test_imaging_on_the_first_day_of_the_window_counts():
    assert _status(_plan(date(2024, 6, 20), _done(date(2024, 4, 15)))) == (
        "2025-01-15",
        False,
        False,
    )
    assert _status(_plan(date(2024, 6, 20), _done(date(2024, 4, 14)))) == (
        "2024-07-15",
        True,
        False,
    )


@pytest.mark.parametrize(
    ("when", "next_due"),
    # Half-way between the exams due 2024-07-15 and 2025-01-15 is 2024-10-15.
    [(date(2024, 10, 14), "2025-01-15"), (date(2024, 10, 15), "2025-07-15")],
)
def test_windows_meet_half_way_between_exams(when, next_due):
    plan = _plan(date(2024, 12, 20), _done(when))
    assert (plan.next_due, plan.overdue) == (next_due, False)


def test_imaging_before_the_window_does_not_count():
    plan = _plan(date(2024, 7, 20), _done(date(2024, 4, 14)))
    assert _status(plan) == ("2024-07-15", True, True)
    assert plan.last_imaging == "2024-04-14"


@pytest.mark.parametrize("when", [date(2023, 12, 1), ANCHOR])
def test_imaging_before_or_on_the_resection_day_is_ignored(when):
    plan = _plan(date(2024, 7, 20), _done(when))
    assert _status(plan) == ("2024-07-15", True, True)
    assert (plan.last_imaging, plan.imaging_sources) == (None, [])


def test_a_missed_exam_is_overdue_until_imaging_happens():
    plan = _plan(date(2024, 9, 1))
    assert _status(plan) == ("2024-07-15", True, True)
    later = _plan(date(2024, 9, 2), _done(date(2024, 9, 1)))
    assert _status(later) == ("2025-01-15", False, False)


def test_the_last_due_exam_decides_overdue():
    # The first exam was done, the second (2025-01-15) was not.
    plan = _plan(date(2025, 2, 1), _done(date(2024, 7, 10)))
    assert _status(plan) == ("2025-01-15", True, True)


def test_after_the_last_exam_nothing_is_due():
    plan = _plan(date(2026, 6, 1), _done(date(2025, 1, 10)), tier=Tier.VERY_LOW)
    assert plan.schedule_months == [12]
    assert _status(plan) == (None, False, False)


def test_last_exam_missed_stays_overdue():
    assert _status(_plan(date(2026, 6, 1), tier=Tier.VERY_LOW)) == ("2025-01-15", True, True)


def test_no_anchor_gives_months_but_no_dates():
    plan = _plan(date(2024, 9, 1), anchor=None)
    assert plan.schedule_months == SPEC_MONTHS[Tier.HIGH]
    assert (plan.schedule_dates, plan.next_due) == ([], None)
    assert (plan.due_now, plan.overdue) == (False, False)


@pytest.mark.parametrize(
    ("overrides", "suggest"),
    [
        ({}, False),
        ({"preop_chromogranin_elevated": True}, True),
        ({"functional": True}, True),
        ({"preop_chromogranin_elevated": None, "functional": None}, False),
    ],
)
def test_chromogranin_only_when_elevated_before_surgery_or_functional(overrides, suggest):
    plan = assess(make_inputs(**overrides), today=date(2024, 5, 1)).surveillance
    assert plan is not None and plan.suggest_chromogranin is suggest


def test_overdue_since_names_the_first_exam_missed_since_the_resection():
    # No imaging at all: overdue since the first exam (2024-07-15), every past exam missed.
    plan = _plan(date(2026, 10, 1))
    assert (plan.overdue_since, plan.days_overdue) == ("2024-07-15", 808)
    assert plan.missed_dates == [
        "2024-07-15",
        "2025-01-15",
        "2025-07-15",
        "2026-01-15",
        "2026-07-15",
    ]


def test_overdue_since_counts_from_the_first_exam_after_the_last_imaging():
    # The first exam was done; the ones due 2025-01-15 and 2025-07-15 were not.
    plan = _plan(date(2025, 8, 1), _done(date(2024, 7, 10)))
    assert (plan.overdue_since, plan.days_overdue) == ("2025-01-15", 198)
    assert plan.missed_dates == ["2025-01-15", "2025-07-15"]


def test_an_exam_missed_earlier_but_imaging_since_is_not_overdue():
    plan = _plan(date(2025, 2, 1), _done(date(2025, 1, 10)))
    assert (plan.overdue, plan.overdue_since, plan.days_overdue) == (False, None, None)
    assert plan.missed_dates == ["2024-07-15"]
