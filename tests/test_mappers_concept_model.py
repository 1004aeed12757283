"""`concept_of_model` (read from a validated model's attributes) equals `concept` of the model's
JSON, on every valueCodeableConcept of the test data's Observations and their components."""

from __future__ import annotations

import json
from pathlib import Path

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from fhir_mappers.concepts import concept, concept_of_model

DATA = Path(__file__).resolve().parent / "data"


def _observations() -> list[dict]:
    out = []
    for path in sorted(DATA.rglob("*.json")):
        data = json.loads(path.read_text())
        if isinstance(data, dict) and data.get("resourceType") == "Bundle":
            out += [
                e["resource"]
                for e in data.get("entry", [])
                if isinstance(e.get("resource"), dict)
                and e["resource"].get("resourceType") == "Observation"
            ]
    return out


def test_concept_of_model_is_concept_of_its_json() -> None:
    compared = 0
    extra = [
        {
            "resourceType": "Observation",
            "status": "final",
            "code": {"text": "x"},
            "valueCodeableConcept": {"text": "Only Text"},
        },
        {
            "resourceType": "Observation",
            "status": "final",
            "code": {"text": "x"},
            "valueCodeableConcept": {
                "coding": [
                    {"code": " G2 "},
                    {"system": "http://snomed.info/sct", "code": "1", "display": "Grade 1"},
                ]
            },
        },
    ]
    for raw in _observations() + extra:
        try:
            model = get_fhir_model_class("Observation").model_validate(raw)
        except ValidationError:
            continue
        for holder in [model, *(model.component or [])]:
            value = holder.valueCodeableConcept
            if value is None:
                continue
            dumped = value.model_dump(by_alias=True, exclude_none=True)
            assert concept_of_model(value) == concept(dumped)
            compared += 1
    assert compared > 20
    assert concept_of_model(None) == concept(None)
