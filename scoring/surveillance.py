"""The surveillance plan: which schedule, its dates, what is due and whether it is overdue."""

from __future__ import annotations

from bisect import bisect_right
from datetime import date, datetime
from itertools import pairwise

from scoring.assessment import Make, SurveillancePlan, Tier, validated
from scoring.inputs import ImagingEvent
from scoring.schedule import Schedule, due_dates

# Operational, not clinical: how long before a due date a patient-view card starts to remind.
DUE_SOON_DAYS = 30


def _windows(anchor: int, dues: list[int]) -> list[int]:
    """The first day (ordinal) of each exam's window. An exam is matched by imaging in the
    half-gaps either side of its due date, so an exam done a little early or late still counts
    and the windows never overlap; the window ends where the next one starts (the last exam's
    never). Whole days, the half day of an odd gap dropped, as `date + timedelta/2` did."""
    starts = [anchor + (dues[0] - anchor) // 2]
    starts += [prev + (cur - prev) // 2 for prev, cur in pairwise(dues)]
    return starts


def plan_surveillance(
    *,
    tier: Tier,
    basis: str,
    schedule: Schedule,
    anchor: date | None,
    today: date,
    imaging: tuple[ImagingEvent, ...],
    suggest_chromogranin: bool,
    lighter_if_known: list[str],
    make: Make = validated,
) -> SurveillancePlan:
    """`make`: how the plan is made (`assessment.built` when the caller knows every value to be
    of its field's type)."""
    months = schedule.months()
    if anchor is None:
        return make(
            SurveillancePlan,
            {
                "tier": tier,
                "basis": basis,
                "schedule_months": months,
                "suggest_chromogranin": suggest_chromogranin,
                "lighter_if_known": lighter_if_known,
                "anchor_date": None,
            },
        )

    if isinstance(anchor, datetime) or isinstance(today, datetime):
        # The plan counts whole days: a time of day is a caller's mistake (and date arithmetic
        # with a datetime fails).
        raise TypeError("plan_surveillance: anchor and today must be dates, not datetimes")
    relevant = tuple(e for e in imaging if e.when > anchor)
    dates, iso = due_dates(anchor, months)
    dues = [d.toordinal() for d in dates]
    starts = _windows(anchor.toordinal(), dues)
    done = [e.when.toordinal() for e in relevant]
    now = today.toordinal()
    # The months rise (each phase step is > 0), so the due dates and the windows' starts rise
    # too: the windows tile the days from the first start on, and an imaging day falls in the
    # window of the last start on or before it.
    covered = [False] * len(dues)
    for day in done:
        index = bisect_right(starts, day) - 1
        if index >= 0:
            covered[index] = True

    # An exam is overdue from the day after its due date; on the due date it is due now.
    past = [i for i, due in enumerate(dues) if due < now]
    latest = max(done, default=None)
    overdue = bool(past) and not any(day >= starts[past[-1]] for day in done)
    missed = [i for i in past if not covered[i]]
    # The run of exams missed since the last imaging: "no CT/MRI since <that exam>", not only
    # the latest missed exam (a patient unimaged for years must be told exactly that).
    overdue_since = (
        next(i for i in past if latest is None or starts[i] > latest) if overdue else None
    )
    if overdue:
        next_due: int | None = past[-1]
    else:
        next_due = next((i for i, due in enumerate(dues) if due >= now and not covered[i]), None)
    due_now = overdue or (next_due is not None and now >= dues[next_due] - DUE_SOON_DAYS)
    return make(
        SurveillancePlan,
        {  # in field order
            "tier": tier,
            "basis": basis,
            "anchor_date": anchor.isoformat(),
            "schedule_months": months,
            "schedule_dates": iso,
            "next_due": iso[next_due] if next_due is not None else None,
            "due_now": due_now,
            "overdue": overdue,
            "overdue_since": iso[overdue_since] if overdue_since is not None else None,
            "days_overdue": now - dues[overdue_since] if overdue_since is not None else None,
            "missed_dates": [iso[i] for i in missed],
            "last_imaging": date.fromordinal(latest).isoformat() if latest is not None else None,
            "imaging_sources": [e.source for e in relevant],
            "suggest_chromogranin": suggest_chromogranin,
            "lighter_if_known": lighter_if_known,
        },
    )
