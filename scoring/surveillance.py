"""The surveillance plan: which schedule, its dates, what is due and whether it is overdue."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, timedelta

from scoring.assessment import SurveillancePlan, Tier
from scoring.inputs import ImagingEvent
from scoring.schedule import Schedule, add_months

# Operational, not clinical: how long before a due date a patient-view card starts to remind.
DUE_SOON_DAYS = 30


@dataclass(frozen=True)
class _Exam:
    due: date
    window_start: date
    window_end: date | None  # exclusive; None for the last exam


def _exams(anchor: date, months: list[int]) -> list[_Exam]:
    dues = [add_months(anchor, m) for m in months]
    # An exam is matched by imaging in the half-gaps either side of its due date, so an exam done
    # a little early or late still counts and the windows never overlap.
    starts = [anchor + (dues[0] - anchor) / 2] + [
        prev + (cur - prev) / 2 for prev, cur in itertools.pairwise(dues)
    ]
    ends: list[date | None] = [*starts[1:], None]
    return [_Exam(d, s, e) for d, s, e in zip(dues, starts, ends, strict=True)]


def _covered(exam: _Exam, imaging: tuple[ImagingEvent, ...]) -> bool:
    return any(
        exam.window_start <= event.when
        and (exam.window_end is None or event.when < exam.window_end)
        for event in imaging
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
) -> SurveillancePlan:
    months = schedule.months()
    common = {
        "tier": tier,
        "basis": basis,
        "schedule_months": months,
        "suggest_chromogranin": suggest_chromogranin,
        "lighter_if_known": lighter_if_known,
    }
    if anchor is None:
        return SurveillancePlan(**common, anchor_date=None)

    relevant = tuple(e for e in imaging if e.when > anchor)
    exams = _exams(anchor, months)
    # An exam is overdue from the day after its due date; on the due date it is due now.
    past = [exam for exam in exams if exam.due < today]
    latest = max((e.when for e in relevant), default=None)
    overdue = bool(past) and not any(e.when >= past[-1].window_start for e in relevant)
    missed = [exam for exam in past if not _covered(exam, relevant)]
    # The run of exams missed since the last imaging: "no CT/MRI since <that exam>", not only
    # the latest missed exam (a patient unimaged for years must be told exactly that).
    overdue_since = (
        next(exam.due for exam in past if latest is None or exam.window_start > latest)
        if overdue
        else None
    )
    if overdue:
        next_due: date | None = past[-1].due
    else:
        upcoming = [exam for exam in exams if exam.due >= today and not _covered(exam, relevant)]
        next_due = upcoming[0].due if upcoming else None
    due_now = overdue or (
        next_due is not None and today >= next_due - timedelta(days=DUE_SOON_DAYS)
    )
    return SurveillancePlan(
        **common,
        anchor_date=anchor.isoformat(),
        schedule_dates=[exam.due.isoformat() for exam in exams],
        next_due=next_due.isoformat() if next_due else None,
        due_now=due_now,
        overdue=overdue,
        overdue_since=overdue_since.isoformat() if overdue_since else None,
        days_overdue=(today - overdue_since).days if overdue_since else None,
        missed_dates=[exam.due.isoformat() for exam in missed],
        last_imaging=latest.isoformat() if latest else None,
        imaging_sources=[e.source for e in relevant],
    )
