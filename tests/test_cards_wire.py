"""`to_wire` builds the wire dict field by field; it must always equal pydantic's
`model_dump(mode="json", by_alias=True)` (`wire_by_pydantic`), and fall back to it for values
whose type is not exactly their field's."""

from __future__ import annotations

import json
from datetime import date
from enum import Enum, StrEnum

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cds_service.cards.models import (
    Action,
    ActionType,
    Card,
    CardsResponse,
    Coding,
    Indicator,
    Link,
    LinkType,
    SelectionBehavior,
    Source,
    Suggestion,
)
from cds_service.cards.wire import fast_wire
from tests.cards_demo import card_for, corpus_assessments, demo_assessments

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=20,
)


class Colour(Enum):
    RED = (1, 2)


class Word(StrEnum):
    A = "a"


def full_card(extension: dict | None = None, resource: dict | None = None) -> Card:
    return Card(
        uuid="4e0a3a1e-3283-4575-ab82-028d55fe2719",
        summary="ok",
        detail="**x**",
        indicator=Indicator.WARNING,
        source=Source(label="s", url="https://example.org", topic=Coding(code="c", system="s")),
        suggestions=[
            Suggestion(
                label="a",
                uuid="u1",
                is_recommended=False,
                actions=[
                    Action(
                        type=ActionType.CREATE,
                        description="d",
                        resource=resource or {"resourceType": "ServiceRequest", "note": None},
                    )
                ],
            ),
            Suggestion(label="b"),
        ],
        selection_behavior=SelectionBehavior.AT_MOST_ONE,
        override_reasons=[Coding(code="c", system="s", display="shown")],
        links=[
            Link(label="l", url="https://a.example", type=LinkType.SMART, app_context="{}"),
            Link(label="m", url="https://b.example", type=LinkType.ABSOLUTE, auto_launchable=False),
        ],
        extension=extension,
    )


def same(model) -> None:
    fast = model.to_wire()
    reference = model.wire_by_pydantic()
    assert fast == reference
    assert json.dumps(fast) == json.dumps(reference)  # key order too


def test_every_demo_and_corpus_card_takes_the_fast_path_and_equals_pydantic():
    assessments = {**demo_assessments(), **corpus_assessments()}
    for assessment in assessments.values():
        card = card_for(assessment)
        assert fast_wire(card) is not None
        same(card)


def test_every_model_field_kind_equals_pydantic():
    card = full_card({"k": {"nested": [None, 1.5, True, "x"]}})
    assert fast_wire(card) is not None
    same(card)
    same(CardsResponse(cards=[card, card]))
    same(CardsResponse())
    same(Card(summary="bare", indicator="info", source={"label": "s"}))


@given(JSON.filter(lambda v: isinstance(v, dict)))
def test_free_form_objects_equal_pydantic(value):
    same(full_card(extension={"x": value}, resource={"resourceType": "X", "v": value}))


@pytest.mark.parametrize(
    "value",
    [date(2026, 1, 2), (1, 2), {1, 2}, Word.A, Colour.RED, b"raw", float("inf"), float("nan")],
    ids=repr,
)
def test_non_json_values_in_free_form_objects_are_serialised_as_pydantic_does(value):
    model = full_card(extension={"x": value, "y": [value]})
    # repr, not ==: NaN is not equal to itself
    assert repr(model.to_wire()) == repr(model.wire_by_pydantic())


def test_a_value_of_another_type_than_its_field_falls_back_to_pydantic():
    odd = Card.model_construct(summary=Word.A, indicator="info", source=Source(label="s"))
    assert fast_wire(odd) is None
    assert odd.to_wire() == odd.wire_by_pydantic()
    unset = Card.model_construct(summary="s", indicator=Indicator.INFO)  # no source
    assert fast_wire(unset) is None
