"""The surveillance plan: which schedule, its dates, what is due and whether it is overdue."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import date, datetime
from itertools import pairwise

from scoring.assessment import Make, Maker, SurveillancePlan, Tier, validated
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


_UNANCHORED = Maker(
    SurveillancePlan,
    ("tier", "basis", "schedule_months", "suggest_chromogranin", "lighter_if_known", "anchor_date"),
)


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
        return _UNANCHORED.using(make)(
            tier=tier,
            basis=basis,
            schedule_months=months,
            suggest_chromogranin=suggest_chromogranin,
            lighter_if_known=lighter_if_known,
            anchor_date=None,
        )

    if isinstance(anchor, datetime) or isinstance(today, datetime):
        # The plan counts whole days: a time of day is a caller's mistake (and date arithmetic
        # with a datetime fails).
        raise TypeError("plan_surveillance: anchor and today must be dates, not datetimes")
    # One pass over the imaging: the exams after the anchor, as day numbers, and their sources.
    done: list[int] = []
    imaging_sources: list[str] = []
    for event in imaging:
        when = event.when
        if when > anchor:
            done.append(when.toordinal())
            imaging_sources.append(event.source)
    dates, iso = due_dates(anchor, months)
    dues = list(map(date.toordinal, dates))
    starts = _windows(anchor.toordinal(), dues)
    now = today.toordinal()
    # The months rise (each phase step is > 0), so the due dates and the windows' starts rise
    # too: the windows tile the days from the first start on, and an imaging day falls in the
    # window of the last start on or before it. The scans below are bisections of those runs.
    covered = [False] * len(dues)
    for day in done:
        index = bisect_right(starts, day) - 1
        if index >= 0:
            covered[index] = True

    # An exam is overdue from the day after its due date; on the due date it is due now.
    past = bisect_left(dues, now)  # the exams due before today: dues[:past]
    latest = max(done, default=None)
    # No imaging on or after the window of the last exam due.
    overdue = past > 0 and (latest is None or latest < starts[past - 1])
    missed = [iso[i] for i in range(past) if not covered[i]]
    # The run of exams missed since the last imaging: "no CT/MRI since <that exam>", not only
    # the latest missed exam (a patient unimaged for years must be told exactly that): the
    # first exam whose window starts after the last imaging.
    overdue_since = (0 if latest is None else bisect_right(starts, latest)) if overdue else None
    if overdue:
        next_due: int | None = past - 1
    else:
        next_due = next((i for i in range(past, len(dues)) if not covered[i]), None)
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
            "missed_dates": missed,
            "last_imaging": date.fromordinal(latest).isoformat() if latest is not None else None,
            "imaging_sources": imaging_sources,
            "suggest_chromogranin": suggest_chromogranin,
            "lighter_if_known": lighter_if_known,
        },
    )
