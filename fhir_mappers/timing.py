"""FHIR date / dateTime / Period values as spans of calendar days.

A partial date ("2024-03") covers the whole month; comparisons with the surgery date use the
span so that "before surgery" only holds when the whole span is before it.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime

_PARTIAL = re.compile(r"^(\d{4})(?:-(\d{2}))?$")


@dataclass(frozen=True, order=True, init=False)
class Span:
    first: date
    last: date

    def __init__(self, first: date, last: date) -> None:
        # the frozen dataclass's __init__ writing the instance dict directly, as Concept does
        # (one per dated resource read)
        fields = self.__dict__
        fields["first"] = first
        fields["last"] = last

    def before(self, day: date) -> bool:
        return self.last < day

    def on_or_before(self, day: date) -> bool:
        return self.last <= day

    def after(self, day: date) -> bool:
        return self.first > day


def span(value: object) -> Span | None:
    """A Span from a date, datetime, partial-date string or a Period model; else None."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return Span(value.date(), value.date())
    if isinstance(value, date):
        return Span(value, value)
    if isinstance(value, str):
        return _partial(value)
    start = getattr(value, "start", None)
    end = getattr(value, "end", None)
    first, last = span(start), span(end)
    if first and last:
        return Span(first.first, last.last)
    return first or last


def first_span(*values: object) -> Span | None:
    for value in values:
        if value is not None:  # span(None) is None: most of the elements asked are absent
            found = span(value)
            if found is not None:
                return found
    return None


def _partial(text: str) -> Span | None:
    match = _PARTIAL.match(text.strip())
    if not match:
        return None
    year = int(match.group(1))
    if match.group(2) is None:
        return Span(date(year, 1, 1), date(year, 12, 31))
    month = int(match.group(2))
    if not 1 <= month <= 12:
        return None
    return Span(date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))
