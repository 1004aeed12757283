"""`schedule.due_dates` gives what `add_months` and `date.isoformat` gave, date by date, and a
result made with every field (`assessment.built`) gets a fields set of its own."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.assessment import FactorResult, built
from scoring.schedule import DEFAULT_SCHEDULES, add_months, due_dates

_MONTHS = st.lists(st.integers(min_value=0, max_value=240), max_size=16)


def _reference(start: date, months: list[int]) -> tuple[list[date], list[str]]:
    dates = [add_months(start, m) for m in months]
    return dates, [d.isoformat() for d in dates]


@settings(max_examples=500, deadline=None)
@given(start=st.dates(max_value=date(9979, 12, 31)), months=_MONTHS)
def test_due_dates_are_add_months_and_isoformat(start, months):
    dates, texts = due_dates(start, months)
    assert (dates, texts) == _reference(start, months)
    assert all(type(d) is date for d in dates)


@pytest.mark.parametrize(
    "start",
    [date(1, 1, 31), date(999, 12, 31), date(1000, 1, 1), date(2024, 1, 31), date(2023, 8, 31)],
)
def test_due_dates_at_the_edges(start):
    for schedule in DEFAULT_SCHEDULES.values():
        months = schedule.months()
        assert due_dates(start, months) == _reference(start, months)


def test_a_date_past_9999_raises_what_add_months_raised():
    with pytest.raises(ValueError) as expected:
        add_months(date(9995, 1, 31), 120)
    with pytest.raises(ValueError) as got:
        due_dates(date(9995, 1, 31), [6, 120])
    assert str(got.value) == str(expected.value)


def test_a_result_of_every_field_has_a_fields_set_of_its_own():
    values = {
        "id": "x",
        "label": "X",
        "value": True,
        "weight": 1,
        "points": 1,
        "source": None,
        "sources": [],
        "detail": None,
    }
    first, second = built(FactorResult, dict(values)), built(FactorResult, dict(values))
    assert first.model_fields_set == set(FactorResult.model_fields)
    assert first.model_fields_set is not second.model_fields_set
    assert type(first.model_fields_set) is set
