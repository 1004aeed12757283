"""The CDS Hooks 2.0 card wire models enforce the spec's card rules."""

from __future__ import annotations

import pytest
from cards_factories import CARD_UUID
from pydantic import ValidationError

from cds_service.cards.models import (
    Action,
    Card,
    CardsResponse,
    Coding,
    Link,
    Source,
    Suggestion,
)

SOURCE = {"label": "pannet-cds"}
CREATE = {"type": "create", "description": "Create", "resource": {"resourceType": "ServiceRequest"}}


def card(**fields):
    base = {"summary": "ok", "indicator": "info", "source": SOURCE}
    base.update(fields)
    return Card.model_validate(base)


def test_summary_of_139_characters_is_accepted():
    assert len(card(summary="x" * 139).summary) == 139


@pytest.mark.parametrize("length", [140, 141, 500])
def test_summary_of_140_or_more_characters_is_rejected(length):
    with pytest.raises(ValueError, match="< 140"):
        card(summary="x" * length)


@pytest.mark.parametrize("summary", ["", "   ", "two\nlines"])
def test_summary_must_be_one_non_empty_line(summary):
    with pytest.raises(ValidationError):
        card(summary=summary)


def test_indicator_is_restricted_to_the_three_spec_values():
    with pytest.raises(ValidationError):
        card(indicator="hard-stop")


def test_unknown_fields_are_rejected():
    with pytest.raises(ValidationError):
        card(colour="red")
    with pytest.raises(ValidationError):
        Source.model_validate({"label": "x", "homepage": "https://example.org"})


def test_suggestions_require_selection_behavior():
    suggestion = {"label": "Do it", "actions": [CREATE]}
    with pytest.raises(ValidationError, match="selectionBehavior"):
        card(suggestions=[suggestion])
    ok = card(suggestions=[suggestion], selectionBehavior="at-most-one")
    assert ok.to_wire()["selectionBehavior"] == "at-most-one"


def test_at_most_one_allows_a_single_recommended_suggestion():
    one = {"label": "A", "uuid": "a", "isRecommended": True, "actions": [CREATE]}
    two = {"label": "B", "uuid": "b", "isRecommended": True, "actions": [CREATE]}
    with pytest.raises(ValidationError, match="at most one recommended"):
        card(suggestions=[one, two], selectionBehavior="at-most-one")
    assert card(suggestions=[one, two], selectionBehavior="any")


def test_suggestion_uuids_are_unique():
    s = {"label": "A", "uuid": "same", "actions": [CREATE]}
    with pytest.raises(ValidationError, match="unique"):
        card(suggestions=[s, {**s, "label": "B"}], selectionBehavior="any")


def test_selection_behavior_rejects_unknown_values():
    with pytest.raises(ValidationError):
        card(suggestions=[{"label": "A", "actions": [CREATE]}], selectionBehavior="all")


def test_create_and_update_actions_need_a_resource_with_resource_type():
    with pytest.raises(ValidationError, match="needs a resource"):
        Action.model_validate({"type": "create", "description": "x"})
    with pytest.raises(ValidationError, match="resourceType"):
        Action.model_validate({"type": "update", "description": "x", "resource": {"id": "1"}})


def test_delete_action_uses_resource_id_alias():
    action = Action.model_validate(
        {"type": "delete", "description": "Remove", "resourceId": "ServiceRequest/1"}
    )
    assert action.to_wire() == {
        "type": "delete",
        "description": "Remove",
        "resourceId": "ServiceRequest/1",
    }
    with pytest.raises(ValidationError):
        Action.model_validate({"type": "delete", "description": "Remove"})


def test_app_context_is_only_allowed_on_smart_links():
    smart = Link.model_validate(
        {"label": "App", "url": "https://a.example/launch", "type": "smart", "appContext": "x"}
    )
    assert smart.to_wire()["appContext"] == "x"
    with pytest.raises(ValidationError, match="only valid on smart"):
        Link.model_validate(
            {"label": "App", "url": "https://a.example", "type": "absolute", "appContext": "x"}
        )


@pytest.mark.parametrize(
    "url", ["/relative", "javascript:alert(1)", "ftp://x.example/", "https://a b"]
)
def test_urls_must_be_absolute_http(url):
    with pytest.raises(ValidationError):
        Link.model_validate({"label": "App", "url": url, "type": "absolute"})
    with pytest.raises(ValidationError):
        Source.model_validate({"label": "x", "url": url})


def test_override_reasons_need_a_display():
    reason = {"system": "https://example.org/cs", "code": "x"}
    with pytest.raises(ValidationError, match="no display"):
        card(overrideReasons=[reason])
    assert card(overrideReasons=[{**reason, "display": "X"}]).override_reasons


def test_coding_requires_code_and_system():
    with pytest.raises(ValidationError):
        Coding.model_validate({"code": "x"})
    with pytest.raises(ValidationError):
        Coding.model_validate({"system": "https://example.org/cs"})


def test_card_uuid_must_be_a_uuid():
    with pytest.raises(ValidationError):
        card(uuid="not-a-uuid")
    assert card(uuid=CARD_UUID).uuid == CARD_UUID


def test_wire_form_uses_camel_case_and_omits_absent_fields_but_keeps_extension_nulls():
    built = Card(
        uuid=CARD_UUID,
        summary="s",
        indicator="warning",
        source=Source(label="x", url="https://example.org/"),
        suggestions=[
            Suggestion(label="A", uuid="a", is_recommended=False, actions=[Action(**CREATE)])
        ],
        selection_behavior="at-most-one",
        links=[Link(label="L", url="https://example.org/l", type="smart", app_context="ctx")],
        extension={"org.pannet-cds.assessment": {"overall_tier": None, "scores": []}},
    )
    wire = built.to_wire()
    assert set(wire) == {
        "uuid",
        "summary",
        "indicator",
        "source",
        "suggestions",
        "selectionBehavior",
        "links",
        "extension",
    }
    assert wire["suggestions"][0]["isRecommended"] is False
    assert wire["links"][0]["appContext"] == "ctx"
    assert "icon" not in wire["source"]
    assert wire["extension"]["org.pannet-cds.assessment"]["overall_tier"] is None
    assert Card.model_validate(wire) == built


def test_cards_response_wraps_cards_and_serialises_empty_list():
    assert CardsResponse().to_wire() == {"cards": []}
    response = CardsResponse(cards=[card(summary="one")])
    assert response.to_wire()["cards"][0]["summary"] == "one"
