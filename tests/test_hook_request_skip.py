"""`HookRequest.prefetch` is not validated a second time: what `parse_hook_request` builds equals
the request built with the field validated as before (the old model, kept here as reference)."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel, ConfigDict

from bench.run import bodies
from cds_service.hooks.context import HookContext, Resource
from cds_service.hooks.request import FhirAuthorization, HookRequest, parse_hook_request
from cds_service.hooks.services import service_definitions

SERVICE = service_definitions()["pannet-cds-patient-view"]


class _ValidatedRequest(BaseModel):
    """HookRequest as it was: every field validated when built."""

    model_config = ConfigDict(frozen=True)

    hook: str
    hook_instance: str
    fhir_server: str | None
    fhir_authorization: FhirAuthorization | None
    context: HookContext
    prefetch: dict[str, Resource | None]


def _odd_prefetch() -> dict[str, object]:
    return {
        "patient": {"resourceType": "Patient", "id": "p1"},
        "conditions": None,
        "observations": {"resourceType": "Bundle", "type": "searchset", "entry": []},
        "extra": {"resourceType": "OperationOutcome", "issue": []},
    }


def _bodies() -> list[dict[str, object]]:
    found: list[dict[str, object]] = [json.loads(raw) for raw in bodies(None)]
    found.append(
        {
            "hook": "patient-view",
            "hookInstance": "i-1",
            "fhirServer": "https://fhir.example.org/r4/",
            "fhirAuthorization": {
                "access_token": "t",
                "token_type": "Bearer",
                "expires_in": 300.0,
                "scope": "patient/*.read",
                "subject": "s",
            },
            "context": {"userId": "Practitioner/1", "patientId": "p1"},
            "prefetch": _odd_prefetch(),
        }
    )
    found.append(
        {
            "hook": "patient-view",
            "hookInstance": "i-2",
            "context": {"userId": "Patient/p1", "patientId": "p1"},
        }
    )
    return found


@pytest.mark.parametrize("body", _bodies())
def test_the_request_equals_the_fully_validated_one(body: dict[str, object]) -> None:
    request = parse_hook_request(body, SERVICE)
    reference = _ValidatedRequest(**dict(request))
    assert isinstance(request, HookRequest)
    assert dict(request) == dict(reference)
    assert request.model_dump_json() == reference.model_dump_json()
    assert list(request.prefetch) == list(reference.prefetch)  # omitted keys stay omitted


@pytest.mark.parametrize("body", _bodies())
def test_the_request_built_without_validation_is_the_validated_one(body: dict[str, object]):
    request = parse_hook_request(body, SERVICE)
    validated = HookRequest(**dict(request))
    assert dict(request) == dict(validated)
    assert all(getattr(request, k) is getattr(validated, k) for k in HookRequest.model_fields)
    assert request.model_fields_set == validated.model_fields_set
    assert request.model_dump_json() == validated.model_dump_json()
    assert request == validated
