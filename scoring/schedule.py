"""Surveillance schedules (clinical.md §4) as data, and the dates they give from a resection."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property

from scoring.assessment import Tier


@dataclass(frozen=True)
class SchedulePhase:
    every_months: int
    until_month: int


@dataclass(frozen=True)
class Schedule:
    first_month: int
    phases: tuple[SchedulePhase, ...]
    afterwards: str

    def months(self) -> list[int]:
        return list(self.month_tuple)

    @cached_property
    def month_tuple(self) -> tuple[int, ...]:
        """The months, computed once per schedule (a schedule is immutable)."""
        months = [self.first_month]
        for phase in self.phases:
            while months[-1] + phase.every_months <= phase.until_month:
                months.append(months[-1] + phase.every_months)
        return tuple(months)


_AFTER_120 = "as clinically indicated after month 120"

# clinical.md §4 default schedule (months after resection). Evidence: CommNETS/NANETS consensus,
# Singh S et al., JAMA Oncol 2018;4(11):1597-1604, doi 10.1001/jamaoncol.2018.2428; NCCN: first
# multiphasic CT or MRI 3-12 months after resection.
DEFAULT_SCHEDULES: dict[Tier, Schedule] = {
    Tier.VERY_LOW: Schedule(12, (), "as clinically indicated"),
    Tier.LOW: Schedule(12, (SchedulePhase(12, 36), SchedulePhase(24, 120)), _AFTER_120),
    Tier.INTERMEDIATE: Schedule(6, (SchedulePhase(12, 120),), _AFTER_120),
    Tier.HIGH: Schedule(6, (SchedulePhase(6, 36), SchedulePhase(12, 120)), _AFTER_120),
}

SCHEDULE_CITATION = (
    "Singh S et al. CommNETS/NANETS consensus, JAMA Oncol 2018;4(11):1597-1604. "
    "doi:10.1001/jamaoncol.2018.2428"
)
SCHEDULE_CITATION_URL = "https://doi.org/10.1001/jamaoncol.2018.2428"


def add_months(start: date, months: int) -> date:
    """Calendar months later; the day is clamped to the month's end (31 Jan + 1 = 28/29 Feb)."""
    return date(*_shifted(start.year, start.month - 1, start.day, months))


def _shifted(year: int, month_index: int, day: int, months: int) -> tuple[int, int, int]:
    """(year, month, day) `months` calendar months after (year, month_index + 1, day)."""
    index = month_index + months
    year, month = year + index // 12, index % 12 + 1
    if day > 28:  # every month has 28 days: only a later day may need clamping
        day = min(day, 29 if month == 2 and calendar.isleap(year) else _MONTH_DAYS[month - 1])
    return year, month, day


_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
# "01".."31": a month's or a day's two digits, as `date.isoformat` writes them.
_TWO_DIGITS = tuple(f"{n:02d}" for n in range(32))


def due_dates(start: date, months: Sequence[int]) -> tuple[list[date], list[str]]:
    """`[add_months(start, m) for m in months]` and their `isoformat()`, in one loop: a plan
    has up to a dozen due dates, and a `date.isoformat` per date was much of the plan's cost
    (tests/test_scoring_due_dates.py compares with `add_months` and `isoformat`)."""
    if start.year < 1000:
        # A year before 1000 is written with leading zeros: `isoformat` does that.
        early = [add_months(start, m) for m in months]
        return early, [d.isoformat() for d in early]
    base_year, base_index, start_day = start.year, start.month - 1, start.day
    dates: list[date] = []
    texts: list[str] = []
    two = _TWO_DIGITS
    for offset in months:
        year, month, day = _shifted(base_year, base_index, start_day, offset)
        # date() first: a year past 9999 raises its ValueError, as add_months did.
        dates.append(date(year, month, day))
        texts.append(f"{year}-{two[month]}-{two[day]}")
    return dates, texts
