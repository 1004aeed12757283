"""The CDS Hooks request wire models: what is accepted, and what is refused with which message."""

from __future__ import annotations

import copy
import logging

import pytest

from cds_service.hooks.context import OrderSignContext, PathologySignContext
from cds_service.hooks.errors import BadHookRequest
from cds_service.hooks.fhir_server_url import FHIR_SERVER_PATTERN
from cds_service.hooks.request import parse_hook_request
from cds_service.hooks.services import service_definitions
from cds_service.openapi import openapi_document

SERVICES = service_definitions()
PATIENT_VIEW = SERVICES["pannet-cds-patient-view"]
ORDER_SIGN = SERVICES["pannet-cds-order-sign"]
DISCHARGE = SERVICES["pannet-cds-encounter-discharge"]
PATHOLOGY = SERVICES["pannet-cds-pathology-report-sign"]
TOKEN = "very-secret-access-token-1234"


def body(hook="patient-view", **context):
    return {
        "hook": hook,
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "context": {"userId": "Practitioner/pr1", "patientId": "p1", **context},
    }


def authorization(**overrides):
    return {
        "access_token": TOKEN,
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "patient/*.read",
        "subject": "pannet-cds",
        **overrides,
    }


def report(patient="p1"):
    return {
        "resourceType": "DiagnosticReport",
        "id": "dr1",
        "status": "final",
        "code": {"text": "Pathology"},
        "subject": {"reference": f"Patient/{patient}"},
    }


def bundle(*resources):
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in resources],
    }


def service_request(patient="p1"):
    return {
        "resourceType": "ServiceRequest",
        "id": "sr1",
        "status": "draft",
        "intent": "order",
        "subject": {"reference": f"Patient/{patient}"},
    }


def refused(raw, service=PATIENT_VIEW) -> str:
    with pytest.raises(BadHookRequest) as caught:
        parse_hook_request(raw, service)
    return caught.value.message


def test_minimal_patient_view_request_is_read():
    request = parse_hook_request(body(encounterId="e1"), PATIENT_VIEW)
    assert request.hook == "patient-view"
    assert request.context.patient_id == "p1"
    assert request.context.encounter_id == "e1"
    assert request.fhir_server is None and request.prefetch == {}


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda b: b.pop("hook"), "hook: field required"),
        (lambda b: b.pop("hookInstance"), "hookInstance: field required"),
        (lambda b: b.pop("context"), "context: field required"),
        (lambda b: b["context"].pop("patientId"), "context.patientId: field required"),
        (lambda b: b["context"].pop("userId"), "context.userId: field required"),
        (lambda b: b.update(hook=7), "hook:"),
        (lambda b: b.update(hookInstance=""), "hookInstance:"),
        (lambda b: b.update(hookInstance="has space"), "hookInstance:"),
        (lambda b: b.update(context=[1, 2]), "context: must be a JSON object"),
        (lambda b: b["context"].update(patientId=42), "context.patientId:"),
        (lambda b: b["context"].update(patientId="a/b"), "context.patientId:"),
        (lambda b: b["context"].update(userId="pr1"), "context.userId:"),
        (lambda b: b["context"].update(encounterId=["e"]), "context.encounterId:"),
        (lambda b: b.update(fhirServer="not a url"), "fhirServer:"),
        (lambda b: b.update(fhirServer="ftp://example.org/fhir"), "fhirServer:"),
        (lambda b: b.update(fhirServer="http://example.org:99999/fhir"), "fhirServer:"),
        (lambda b: b.update(fhirServer="https://example.org/fhir?x=1"), "fhirServer:"),
        (lambda b: b.update(prefetch=["x"]), "prefetch: must be a JSON object"),
        (lambda b: b.update(prefetch={"patient": "123"}), "prefetch.patient:"),
        (lambda b: b.update(prefetch={"patient": {"id": "p1"}}), "prefetch:"),
    ],
)
def test_malformed_requests_name_the_field(mutate, expected):
    raw = body()
    mutate(raw)
    assert refused(raw).startswith(expected)


def test_body_that_is_not_an_object_is_refused():
    assert "JSON object" in refused(["hook"])


def test_hook_must_match_the_service():
    message = refused(body(hook="order-sign"), PATIENT_VIEW)
    assert "hook" in message and "pannet-cds-patient-view" in message


def test_fhir_authorization_without_fhir_server_is_refused():
    raw = {**body(), "fhirAuthorization": authorization()}
    assert refused(raw) == "fhirServer: required when fhirAuthorization is given"


@pytest.mark.parametrize(
    ("field", "value"),
    [("token_type", "MAC"), ("expires_in", "300"), ("scope", None), ("access_token", 5)],
)
def test_bad_fhir_authorization_fields_are_named_without_the_token(field, value):
    raw = {**body(), "fhirServer": "https://ehr.example/fhir", "fhirAuthorization": authorization()}
    raw["fhirAuthorization"][field] = value
    message = refused(raw)
    assert message.startswith(f"fhirAuthorization.{field}:")
    assert TOKEN not in message


def test_missing_fhir_authorization_field_is_named():
    auth = authorization()
    del auth["subject"]
    raw = {**body(), "fhirServer": "https://ehr.example/fhir", "fhirAuthorization": auth}
    assert refused(raw) == "fhirAuthorization.subject: field required"


def test_token_never_appears_in_repr_str_or_dump(caplog):
    raw = {
        **body(),
        "fhirServer": "https://ehr.example/fhir/",
        "fhirAuthorization": authorization(patient="p1"),
    }
    request = parse_hook_request(raw, PATIENT_VIEW)
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("test").info("request %s %r", request, request)
    assert TOKEN not in repr(request) and TOKEN not in str(request)
    assert TOKEN not in request.model_dump_json()
    assert TOKEN not in caplog.text
    assert request.fhir_authorization.access_token.get_secret_value() == TOKEN
    assert request.fhir_server == "https://ehr.example/fhir"


def test_prefetch_keeps_null_apart_from_omitted():
    raw = {**body(), "prefetch": {"conditions": None}}
    request = parse_hook_request(raw, PATIENT_VIEW)
    assert "conditions" in request.prefetch and request.prefetch["conditions"] is None
    assert "observations" not in request.prefetch


def test_unknown_top_level_and_context_fields_are_ignored():
    raw = {**body(futureField="x"), "extension": {"org.example": 1}, "user": "old-1.0-field"}
    assert parse_hook_request(raw, PATIENT_VIEW).context.patient_id == "p1"


def test_order_sign_needs_a_draft_orders_bundle():
    assert refused(body("order-sign"), ORDER_SIGN) == "context.draftOrders: field required"
    message = refused(body("order-sign", draftOrders=service_request()), ORDER_SIGN)
    assert message.startswith("context.draftOrders: must be a FHIR Bundle")
    request = parse_hook_request(
        body("order-sign", draftOrders=bundle(service_request())), ORDER_SIGN
    )
    assert isinstance(request.context, OrderSignContext)
    assert [r["id"] for r in request.context.context_resources()] == ["sr1"]


def test_order_sign_refuses_orders_for_another_patient():
    message = refused(body("order-sign", draftOrders=bundle(service_request("p2"))), ORDER_SIGN)
    assert "draftOrders.entry[0]" in message and "another patient" in message


def test_encounter_discharge_requires_the_encounter():
    assert refused(body("encounter-discharge"), DISCHARGE) == "context.encounterId: field required"
    request = parse_hook_request(body("encounter-discharge", encounterId="e9"), DISCHARGE)
    assert request.context.encounter_id == "e9"


def test_pathology_context_carries_report_and_results():
    obs = {
        "resourceType": "Observation",
        "id": "o1",
        "status": "final",
        "code": {"text": "x"},
        "subject": {"reference": "Patient/p1"},
    }
    raw = body(
        "org.pannet-cds.pathology-report-sign", diagnosticReport=report(), results=bundle(obs)
    )
    request = parse_hook_request(raw, PATHOLOGY)
    assert isinstance(request.context, PathologySignContext)
    assert [r["id"] for r in request.context.context_resources()] == ["dr1", "o1"]


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        ({}, "context.diagnosticReport: field required"),
        (
            {"diagnosticReport": {"resourceType": "Observation"}},
            "context.diagnosticReport: must be",
        ),
        ({"diagnosticReport": report("p2")}, "context: diagnosticReport is about another patient"),
        (
            {"diagnosticReport": {**report(), "contained": [report("p2")]}},
            "context: diagnosticReport.contained[0] is about another patient",
        ),
        (
            {"diagnosticReport": report(), "results": report()},
            "context.results: must be a FHIR Bundle",
        ),
        (
            {"diagnosticReport": report(), "results": {"resourceType": "Bundle", "entry": [{}]}},
            "context.results: Bundle.entry[0].resource",
        ),
    ],
)
def test_pathology_context_errors(context, expected):
    message = refused(body("org.pannet-cds.pathology-report-sign", **context), PATHOLOGY)
    assert message.startswith(expected)


def test_configured_pathology_hook_name_is_enforced():
    services = service_definitions("com.example.path-signed")
    service = services["pannet-cds-pathology-report-sign"]
    raw = body("com.example.path-signed", diagnosticReport=report())
    assert parse_hook_request(raw, service).hook == "com.example.path-signed"
    assert "does not match" in refused(
        body("org.pannet-cds.pathology-report-sign", diagnosticReport=report()), service
    )


def test_parsing_does_not_mutate_the_body():
    raw = {**body(), "prefetch": {"patient": {"resourceType": "Patient", "id": "p1"}}}
    before = copy.deepcopy(raw)
    parse_hook_request(raw, PATIENT_VIEW)
    assert raw == before


# fhirServer hosts: DNS names of RFC 1123 labels or IP literals (IPv6 in brackets), the same
# pattern as the OpenAPI schema (found by schemathesis: "http://-rGGvKO8E1*" was accepted)
@pytest.mark.parametrize(
    "server",
    [
        "http://-rGGvKO8E1*",
        "http://-leading.example/fhir",
        "http://trailing-.example/fhir",
        "http://under_score.example/fhir",
        "http://two..dots.example/fhir",
        "http://user@ehr.example/fhir",
        "http://user:pw@ehr.example/fhir",
        "HTTP://ehr.example/fhir",
        "http://ehr.example:0/fhir",
        "http://ehr.example:65536/fhir",
        "http://[::1%25eth0]/fhir",
        "http://[1:2:3]/fhir",
        "http://[::ffff:999.0.0.1]/fhir",
        "http://::1/fhir",
        "http://ehr.example#x",
        f"http://{'a' * 64}.example/fhir",
        "http://ehr.exämple/fhir",
    ],
)
def test_fhir_server_host_must_be_a_dns_name_or_ip_literal(server):
    assert refused({**body(), "fhirServer": server}).startswith("fhirServer:")


@pytest.mark.parametrize(
    ("server", "kept"),
    [
        ("http://127.0.0.1:65535/fhir", "http://127.0.0.1:65535/fhir"),
        ("http://[::1]:8080/fhir/", "http://[::1]:8080/fhir"),
        ("http://[::ffff:127.0.0.1]:5432/fhir", "http://[::ffff:127.0.0.1]:5432/fhir"),
        ("http://[2001:db8::8a2e:370:7334]", "http://[2001:db8::8a2e:370:7334]"),
        ("https://fhir-1.ehr.example./r4", "https://fhir-1.ehr.example./r4"),
        ("https://localhost", "https://localhost"),
    ],
)
def test_fhir_server_hosts_that_are_accepted(server, kept):
    request = parse_hook_request({**body(), "fhirServer": server}, PATIENT_VIEW)
    assert request.fhir_server == kept


def test_the_openapi_schema_publishes_the_validators_fhir_server_pattern():
    patterns = _fhir_server_patterns(openapi_document(SERVICES))
    assert patterns == {FHIR_SERVER_PATTERN}


def _fhir_server_patterns(node: object) -> set[str]:
    if isinstance(node, dict):
        found = (
            {node["fhirServer"]["pattern"]} if "pattern" in node.get("fhirServer", {}) else set()
        )
        return found.union(*(_fhir_server_patterns(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_fhir_server_patterns(v) for v in node))
    return set()
