"""The surveillance schedule as a timeline: scheduled exams (done / ordered / missed / overdue /
due / planned) and the abdominal imaging on record (done / ordered), positioned for an SVG
drawing and listed for screen readers. States come from the assessment's plan (its next due
date and its `missed_dates`); nothing is re-decided here."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, timedelta

from scoring.assessment import SurveillancePlan
from scoring.inputs import ImagingEvent

WIDTH = 1000
MARGIN = 40
# The narrow (side panel) list shows this many planned exams after today; the rest as one line.
PLANNED_SHOWN = 2


@dataclass(frozen=True)
class Mark:
    when: date
    state: str  # exams: done | ordered | missed | overdue | due | planned; imaging: done | ordered
    label: str
    x: float
    source: str | None = None


@dataclass(frozen=True)
class Timeline:
    exams: list[Mark]
    imaging: list[Mark]
    today: Mark
    years: list[Mark]
    start: date
    end: date

    def as_list(self) -> list[Mark]:
        """Exams, imaging and today in date order, for the vertical timeline of a narrow
        screen: every past mark, the next planned exams, and the later ones summed up."""
        marks = sorted([*self.exams, *self.imaging, self.today], key=lambda m: (m.when, m.x))
        planned = [m for m in marks if m.state == "planned" and m.when > self.today.when]
        later = planned[PLANNED_SHOWN:]
        if len(later) < 2:
            return marks
        shown = [m for m in marks if m not in later]
        summary = f"{len(later)} more planned exams, to {later[-1].when.isoformat()}"
        return [*shown, Mark(later[0].when, "more", summary, later[0].x)]


def _windows(anchor: date, dues: list[date]) -> list[tuple[date, date | None]]:
    """Each exam's window, as the plan matches imaging to it: the half-gaps either side of its
    due date (scoring/surveillance.py), used here only to say what covered an exam."""
    starts = [anchor + (dues[0] - anchor) / 2] + [
        prev + (cur - prev) / 2 for prev, cur in itertools.pairwise(dues)
    ]
    return list(zip(starts, [*starts[1:], None], strict=True))


def _covered_by(window: tuple[date, date | None], imaging: list[ImagingEvent]) -> set[str]:
    start, end = window
    return {e.state.value for e in imaging if start <= e.when and (end is None or e.when < end)}


def _exam_state(due: date, plan: SurveillancePlan, next_due: date | None, today: date) -> str:
    if next_due is not None and due == next_due:
        if plan.overdue:
            return "overdue"
        return "due" if plan.due_now else "planned"
    # A past exam is either in the plan's missed dates (no imaging in its window) or was done:
    # never a neutral "past", which would hide an exam that never happened.
    if due.isoformat() in plan.missed_dates:
        return "missed"
    if due < today or (next_due is not None and due < next_due):
        return "done"
    return "planned"


def build_timeline(
    plan: SurveillancePlan | None, imaging: tuple[ImagingEvent, ...], today: date
) -> Timeline | None:
    if plan is None or not plan.anchor_date or not plan.schedule_dates:
        return None
    anchor = date.fromisoformat(plan.anchor_date)
    dues = [date.fromisoformat(d) for d in plan.schedule_dates]
    next_due = date.fromisoformat(plan.next_due) if plan.next_due else None
    relevant = [e for e in imaging if e.when > anchor]
    start = anchor
    end = max([*dues, today, *(e.when for e in relevant)]) + timedelta(days=60)
    span = max((end - start).days, 1)

    def x(when: date) -> float:
        return round(MARGIN + (WIDTH - 2 * MARGIN) * (when - start).days / span, 1)

    months = plan.schedule_months if len(plan.schedule_months) == len(dues) else [None] * len(dues)
    exams = []
    for due, month, window in zip(dues, months, _windows(anchor, dues), strict=True):
        state = _exam_state(due, plan, next_due, today)
        if state == "done" and _covered_by(window, relevant) == {"ordered"}:
            state = "ordered"  # covered by an order only: the exam has still to happen
        label = f"month {month}" if month is not None else due.isoformat()
        exams.append(Mark(due, state, label, x(due)))
    marks = [
        Mark(e.when, e.state.value, e.modality, x(e.when), e.source)
        for e in sorted(relevant, key=lambda e: e.when)
    ]
    years = [
        Mark(date(y, 1, 1), "year", str(y), x(date(y, 1, 1)))
        for y in range(start.year + 1, end.year + 1)
    ]
    return Timeline(
        exams=exams,
        imaging=marks,
        today=Mark(today, "today", "today", x(today)),
        years=years,
        start=start,
        end=end,
    )
