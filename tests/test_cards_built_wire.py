"""The card is validated from the wire dict the builder makes (cards/builder.py `_card`), and
`to_wire` hands that dict out once (cards/wire.py `mark_built`): its JSON (the response's, with
the extension written out already) must be that of pydantic's dump of the card, byte for byte,
and the card must equal the one built model by model (the path taken for orders that are not
JSON-ready, and for any invalid card)."""

from __future__ import annotations

from datetime import date

import pytest

from cds_service.blueprints.response_json import fast_dumps
from cds_service.cards import wire as wire_module
from cds_service.cards.builder import build_assessment_card, uuid5_text
from cds_service.cards.errors import CardBuildError
from cds_service.suggested_orders import suggested_orders
from fhir_mappers.order_codes import ImagingModality
from scoring.assessment import Assessment
from tests.cards_demo import corpus_assessments, demo_assessments

NAMESPACE = bytes(range(16))


def _card(assessment: Assessment, ready: bool, **overrides: object):
    orders = suggested_orders(assessment, "p-1")
    args: dict = {
        "service_id": "pannet-patient-view",
        "ct_orders": orders.get(ImagingModality.CT, []),
        "mri_orders": orders.get(ImagingModality.MRI, []),
        "smart_launch_url": "https://cds.example.org/smart/launch",
        "absolute_url": "https://cds.example.org/smart/?iss=https%3A%2F%2Ffhir",
        "app_context": '{"patientId":"p-1"}',
        "card_uuid": uuid5_text(NAMESPACE, "card"),
        "orders_json_ready": ready,
        **overrides,
    }
    return build_assessment_card(assessment, **args)


def _assessments() -> list[Assessment]:
    out = []
    for today in (date(2026, 12, 1), date(2020, 1, 1), date(2024, 6, 1)):
        out += [*demo_assessments(today).values(), *corpus_assessments(today).values()]
    return out


ASSESSMENTS = _assessments()


def test_built_wire_is_pydantics_dump_in_its_order() -> None:
    shapes = set()
    for assessment in ASSESSMENTS:
        card = _card(assessment, True)
        assert id(card) in wire_module._BUILT
        fast = card.to_wire()
        reference = card.wire_by_pydantic()
        assert fast_dumps(fast) == fast_dumps(reference)
        shapes.add((assessment.in_scope, bool(card.suggestions)))
    assert shapes == {(True, True), (True, False), (False, False)}


def test_card_equals_the_card_built_model_by_model() -> None:
    for assessment in ASSESSMENTS:
        built, by_models = _card(assessment, True), _card(assessment, False)
        # Out of scope there are no orders: that card is always built from its wire dict.
        assert (id(by_models) in wire_module._BUILT) is not assessment.in_scope
        assert built == by_models
        assert fast_dumps(built.to_wire()) == fast_dumps(by_models.to_wire())


def test_built_wire_is_handed_out_once() -> None:
    card = _card(ASSESSMENTS[0], True)
    first, second = card.to_wire(), card.to_wire()
    assert first is not second and fast_dumps(first) == fast_dumps(second)
    assert id(card) not in wire_module._BUILT


def test_entry_leaves_with_the_card() -> None:
    card = _card(ASSESSMENTS[0], True)
    key = id(card)
    del card
    assert key not in wire_module._BUILT


@pytest.mark.parametrize(
    "overrides",
    [
        {"smart_launch_url": "/relative/launch"},
        {"absolute_url": "javascript:alert(1)"},
        {"absolute_url": "https://a.example/ b"},
        {"mri_orders": [{"id": "no-type"}]},
    ],
)
def test_invalid_card_gives_the_model_by_model_error(overrides) -> None:
    messages = []
    for ready in (True, False):
        with pytest.raises(CardBuildError) as info:
            _card(ASSESSMENTS[0], ready, **overrides)
        messages.append(str(info.value))
    assert messages[0] == messages[1]
