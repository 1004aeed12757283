"""Shared constant models (override reasons, the source topic) have their wire dict made once
(`wire_constant`); each card must still get exactly pydantic's dump, in dicts of its own."""

from __future__ import annotations

from cds_service.cards import wire
from cds_service.cards.models import Coding
from cds_service.cards.override_reasons import override_reason_codings
from cds_service.cards.source import TOPIC
from tests.cards_demo import card_for, demo_assessments


def test_constants_are_registered_and_dump_as_pydantic_does():
    for coding in [*override_reason_codings(), TOPIC]:
        assert id(coding) in wire._CONSTANTS
        assert coding.to_wire() == coding.wire_by_pydantic()


def test_cards_get_fresh_copies_of_the_constants():
    assessment = next(iter(demo_assessments().values()))
    first, second = card_for(assessment).to_wire(), card_for(assessment).to_wire()
    first["overrideReasons"][0]["code"] = "edited"
    first["source"]["topic"]["code"] = "edited"
    assert second["overrideReasons"][0]["code"] != "edited"
    assert second["source"]["topic"]["code"] != "edited"
    assert TOPIC.to_wire()["code"] == "net-recurrence-risk"
    assert card_for(assessment).to_wire() == card_for(assessment).wire_by_pydantic()


def test_an_equal_model_that_is_not_the_constant_takes_the_ordinary_path():
    twin = Coding(system=TOPIC.system, code="other", display=TOPIC.display)
    assert id(twin) not in wire._CONSTANTS
    assert twin.to_wire() == twin.wire_by_pydantic()
