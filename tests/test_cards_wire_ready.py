"""The JSON-ready pass-through of `to_wire` (cards/wire.py `mark_json_ready`, `JsonText`): the
card's wire dict and its JSON bytes equal pydantic's for every demo patient's card, orders
included."""

from __future__ import annotations

import json
import uuid
from datetime import date

from cds_service.blueprints.response_json import fast_dumps
from cds_service.cards.builder import build_assessment_card
from cds_service.cards.wire import _READY, mark_json_ready
from cds_service.sandbox.patients import demo_patients
from cds_service.scoring_pipeline import assess_payload
from cds_service.suggested_orders import suggested_orders
from fhir_mappers.order_codes import ImagingModality


def _card(patient_id: str, bundle: dict, ready: bool):
    assessment = assess_payload(bundle, today=date(2026, 12, 1))
    orders = suggested_orders(assessment, patient_id)
    return build_assessment_card(
        assessment,
        service_id="pannet-cds-patient-view",
        ct_orders=orders.get(ImagingModality.CT, []),
        mri_orders=orders.get(ImagingModality.MRI, []),
        smart_launch_url="https://example.org/launch",
        absolute_url="https://example.org/app",
        app_context="{}",
        card_uuid=str(uuid.uuid5(uuid.NAMESPACE_URL, patient_id)),
        orders_json_ready=ready,
    )


def test_pass_through_equals_pydantic() -> None:
    seen_orders = False
    for patient in demo_patients():
        for ready in (True, False):
            card = _card(patient.patient_id, patient.bundle, ready)
            fast, reference = card.to_wire(), card.wire_by_pydantic()
            assert fast_dumps(fast) == fast_dumps(reference)
            assert json.loads(fast_dumps(fast)) == reference
            seen_orders = seen_orders or bool(card.suggestions)
    assert seen_orders


def test_marks_leave_with_the_card() -> None:
    patient = demo_patients()[0]
    card = _card(patient.patient_id, patient.bundle, True)
    mark_json_ready(card, card.source)
    key = id(card)
    assert key in _READY
    del card
    assert key not in _READY


def test_copy_is_dumped_again() -> None:
    # A model_copy is another model: its extension is not marked, so it is serialised anew.
    patient = demo_patients()[0]
    card = _card(patient.patient_id, patient.bundle, True)
    copy = card.model_copy(update={"extension": {"x": date(2026, 1, 2)}})
    assert copy.to_wire()["extension"] == {"x": "2026-01-02"}
