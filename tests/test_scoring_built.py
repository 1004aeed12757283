"""The fast paths of `assess` give exactly what the plain ones give: results made without a
validation pass (`assessment.built`) have the state validated ones have, wrongly typed record
values still meet validation, the compiled points range is `achievable_totals`, and the plan's
day-number arithmetic gives the dates that date arithmetic gave."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

import scoring.assess as assess_module
from scoring.assess import assess
from scoring.assessment import (
    FactorResult,
    InputResult,
    Maker,
    ScoreResult,
    ScoreStatus,
    SurveillancePlan,
    Tier,
    built,
    fields_of,
    validated,
)
from scoring.evaluate import _totals
from scoring.inputs import Fact, ImagingEvent, ImagingState
from scoring.schedule import DEFAULT_SCHEDULES, add_months
from scoring.surveillance import plan_surveillance
from tests.scoring_support import TODAY, achievable_totals, make_inputs
from tests.test_scoring_properties import _DAYS, _SITE, SITES, _today, clinical_inputs


def _state(value: Any) -> Any:
    """Everything of a result that serialisation, comparison or iteration can see."""
    if isinstance(value, BaseModel):
        return (
            type(value),
            tuple(value.__dict__),
            frozenset(value.model_fields_set),
            value.__pydantic_extra__,
            value.__pydantic_private__,
            tuple(_state(v) for v in value.__dict__.values()),
        )
    if isinstance(value, list):
        return (list, tuple(_state(v) for v in value))
    return (type(value), value)


@settings(max_examples=300, deadline=None)
@given(inputs=clinical_inputs(), days=_DAYS, site=_SITE)
def test_built_results_equal_validated_ones(inputs, days, site):
    kwargs = {"today": _today(inputs, days), "site": site}
    fast = assess(inputs, **kwargs)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(assess_module, "_plain_record", lambda *_: False)
        slow = assess(inputs, **kwargs)
    assert _state(fast) == _state(slow)
    assert fast.model_dump_json() == slow.model_dump_json()
    assert fast == slow


def test_a_plain_record_takes_the_fast_path():
    inputs = make_inputs()
    facts = [getattr(inputs, name) for name, _ in assess_module._INPUT_LABELS]
    assert assess_module._plain_record(inputs, facts)


def test_a_value_of_another_type_is_still_validated():
    # Validation reads a Decimal as the float it is, as it always did…
    inputs = make_inputs(perineural_invasion=Decimal("1.5"))
    result = assess(inputs, today=TODAY)
    [perineural] = [i for i in result.inputs if i.id == "perineural_invasion"]
    assert type(perineural.value) is float and perineural.value == 1.5
    # …and refuses what no field takes.
    with pytest.raises(ValidationError):
        assess(make_inputs(perineural_invasion=object()), today=TODAY)


@pytest.mark.parametrize(
    "change",
    [
        {"patient": 7},
        {"warnings": (None,)},
        {"symptomatic": Fact(True, (3,))},
        {"symptomatic": Fact(True, ("Observation/s",), note=1)},
    ],
)
def test_a_wrongly_typed_reference_or_text_is_refused_as_before(change):
    base = make_inputs()
    inputs = type(base)(**{**base.__dict__, **change})
    with pytest.raises(ValidationError):
        assess(inputs, today=TODAY)


@pytest.mark.parametrize("site", SITES)
def test_compiled_totals_are_the_achievable_totals(site):
    for compiled in site.compiled_scores():
        factors = compiled.definition.factors
        for combo in itertools.product((True, False, None), repeat=len(factors)):
            values = {f.id: v for f, v in zip(factors, combo, strict=True)}
            read = [Fact(v) for v in combo]
            assert _totals(compiled, read) == achievable_totals(factors, values)


def _reference_dates(schedule, anchor: date, today: date, imaging) -> dict[str, Any]:
    """The plan's dates as first written, with date and timedelta arithmetic."""
    dues = [add_months(anchor, m) for m in schedule.months()]
    starts = [anchor + (dues[0] - anchor) / 2] + [
        prev + (cur - prev) / 2 for prev, cur in itertools.pairwise(dues)
    ]
    ends = [*starts[1:], None]
    exams = list(zip(dues, starts, ends, strict=True))
    relevant = [e.when for e in imaging if e.when > anchor]

    def covered(exam) -> bool:
        _, start, end = exam
        return any(start <= when and (end is None or when < end) for when in relevant)

    past = [exam for exam in exams if exam[0] < today]
    latest = max(relevant, default=None)
    overdue = bool(past) and not any(when >= past[-1][1] for when in relevant)
    since = next(e[0] for e in past if latest is None or e[1] > latest) if overdue else None
    if overdue:
        next_due = past[-1][0]
    else:
        upcoming = [e for e in exams if e[0] >= today and not covered(e)]
        next_due = upcoming[0][0] if upcoming else None
    return {
        "next_due": next_due.isoformat() if next_due else None,
        "due_now": overdue or (next_due is not None and today >= next_due - timedelta(days=30)),
        "overdue": overdue,
        "overdue_since": since.isoformat() if since else None,
        "days_overdue": (today - since).days if since else None,
        "missed_dates": [e[0].isoformat() for e in past if not covered(e)],
        "last_imaging": latest.isoformat() if latest else None,
    }


_EVENTS = st.lists(
    st.builds(
        ImagingEvent,
        when=st.integers(-400, 5000).map(lambda d: date(2019, 1, 31) + timedelta(days=d)),
        state=st.sampled_from(list(ImagingState)),
        source=st.just("DiagnosticReport/ct"),
    ),
    max_size=8,
)


@settings(max_examples=400, deadline=None)
@given(
    tier=st.sampled_from(list(Tier)),
    anchor_days=st.integers(0, 1500),
    today_days=st.integers(-60, 5000),
    imaging=_EVENTS,
)
def test_plan_dates_are_those_of_date_arithmetic(tier, anchor_days, today_days, imaging):
    anchor = date(2019, 1, 31) + timedelta(days=anchor_days)
    today = anchor + timedelta(days=today_days)
    schedule = DEFAULT_SCHEDULES[tier]
    plan = plan_surveillance(
        tier=tier,
        basis="b",
        schedule=schedule,
        anchor=anchor,
        today=today,
        imaging=tuple(imaging),
        suggest_chromogranin=False,
        lighter_if_known=[],
    )
    expected = _reference_dates(schedule, anchor, today, imaging)
    assert {k: getattr(plan, k) for k in expected} == expected


_MAKER_CASES = [
    (FactorResult, ("id", "label", "value", "weight", "points", "source", "sources", "detail")),
    (ScoreResult, ("id", "title", "citation", "citation_url", "eligible", "status", "reason")),
    (SurveillancePlan, ("tier", "basis", "anchor_date", "schedule_months")),
    (InputResult, ("sources", "id", "label", "value")),  # not in field order
]


_EXAMPLES: dict[str, Any] = {
    "status": ScoreStatus.PARTIAL,
    "tier": Tier.LOW,
    "eligible": None,
    "value": True,
    "weight": 2,
    "points": 0,
    "detail": None,
    "sources": ["Observation/a"],
    "schedule_months": [6, 12],
}


def _example(name: str) -> Any:
    return _EXAMPLES.get(name, f"text of {name}")


@pytest.mark.parametrize(("cls", "names"), _MAKER_CASES)
def test_a_maker_builds_what_built_builds(cls, names):
    values = {n: _example(n) for n in names}
    maker = Maker(cls, names)
    fast = maker.built(**values)
    reference = built(cls, dict(values))
    assert _state(fast) == _state(reference)
    assert tuple(fast.__dict__) == tuple(cls.model_fields)  # field order, as JSON follows it
    assert fast.model_fields_set is not maker.built(**values).model_fields_set
    assert maker.using(built) is maker.built
    assert _state(maker.using(validated)(**values)) == _state(reference)
    # keywords in another order make the same result; a missing or unknown one is refused
    assert _state(maker.built(**dict(reversed(values.items())))) == _state(reference)
    for make in (built, validated, lambda cls, given: cls(**given)):
        with pytest.raises(TypeError):
            maker.using(make)(**{k: v for k, v in values.items() if k != names[0]})
        with pytest.raises(TypeError):
            maker.using(make)(**values, nope=1)


def test_a_maker_refuses_what_built_would_leave_wrong():
    with pytest.raises(TypeError):
        Maker(FactorResult, ("id", "label"))  # required fields missing
    with pytest.raises(TypeError):
        Maker(FactorResult, ("id", "id"))
    with pytest.raises(TypeError):
        Maker(FactorResult, ("nope",))


def test_fields_of_is_the_attribute_values():
    assessment = assess(make_inputs(), today=TODAY)
    for result in [assessment, *assessment.scores, *assessment.inputs]:
        fields = fields_of(result)
        assert fields == {name: getattr(result, name) for name in type(result).model_fields}
