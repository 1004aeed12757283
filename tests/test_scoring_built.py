"""The fast paths of `assess` give exactly what the plain ones give: results made without a
validation pass (`assessment.built`) have the state validated ones have, wrongly typed record
values still meet validation, and the compiled points range is `achievable_totals`."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from pydantic import BaseModel, ValidationError

import scoring.assess as assess_module
from scoring.assess import assess
from scoring.evaluate import _totals, achievable_totals
from scoring.inputs import Fact
from tests.scoring_support import TODAY, make_inputs
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
