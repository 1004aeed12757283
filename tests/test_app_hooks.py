"""The CDS Hooks endpoints through the real app: discovery, each hook with prefetch, cards,
and the error matrix (400/401/404/412/413, never a 500, never HTML)."""

from __future__ import annotations

import logging

import pytest

from tests.app_fixtures import build_signed_client
from tests.support.cds_calls import (
    SERVICE_IDS,
    case_resources,
    pathology_report,
    prefetch_for,
    request_body,
    searchset,
)


@pytest.fixture
def cds(tmp_path):
    return build_signed_client(tmp_path)


def call(cds, hook: str, case: str, **kw):
    patient = case
    kw.setdefault("prefetch", prefetch_for(case_resources(case)))
    if hook == "pathology" and "diagnosticReport" not in kw:
        observations = [r for r in case_resources(case) if r["resourceType"] == "Observation"]
        kw["diagnosticReport"] = pathology_report(patient, observations)
    return cds.post(f"/cds-services/{SERVICE_IDS[hook]}", request_body(hook, patient, **kw))


def test_discovery_lists_one_service_per_hook(cds):
    services = cds.client.get("/cds-services").get_json()["services"]
    hooks = {s["hook"]: s for s in services}
    assert set(hooks) == {
        "patient-view",
        "order-sign",
        "encounter-discharge",
        "org.pannet-cds.pathology-report-sign",
    }
    for service in services:
        assert service["prefetch"]["patient"] == "Patient/{{context.patientId}}"
        assert "Observation?patient={{context.patientId}}" in service["prefetch"]["observations"]


def test_pathology_hook_name_is_configurable(tmp_path):
    cds = build_signed_client(tmp_path, pathology_hook="acme.pathology-signed")
    hooks = {s["hook"] for s in cds.client.get("/cds-services").get_json()["services"]}
    assert "acme.pathology-signed" in hooks


@pytest.mark.parametrize("hook", ["patient-view", "order-sign", "encounter-discharge", "pathology"])
def test_incomplete_record_gets_a_card_on_every_hook(cds, hook):
    response = call(cds, hook, "p04")
    assert response.status_code == 200, response.get_json()
    cards = response.get_json()["cards"]
    assert len(cards) == 1
    card = cards[0]
    assert len(card["summary"]) < 140
    assert "incomplete data" in card["summary"]
    assert "low risk" not in card["summary"].lower()
    assessment = card["extension"]["org.pannet-cds.assessment"]
    assert assessment["overall_tier"] is None
    assert assessment["surveillance"]["tier"] == "high"


def test_card_carries_everything_the_contract_asks_for(cds):
    card = call(cds, "pathology", "p01").get_json()["cards"][0]
    assert card["indicator"] == "warning"
    assert "intermediate" in card["summary"]
    assert card["source"]["label"] and card["source"]["url"].startswith("https://")
    assert card["source"]["topic"]["code"]
    assert card["selectionBehavior"] == "at-most-one"
    labels = [s["label"] for s in card["suggestions"]]
    assert any("CT" in label for label in labels) and any("MRI" in label for label in labels)
    for suggestion in card["suggestions"]:
        resources = [a["resource"] for a in suggestion["actions"]]
        requests = [r for r in resources if r["resourceType"] == "ServiceRequest"]
        assert requests and all(r["status"] == "draft" for r in requests)
        assert all(r["subject"]["reference"] == "Patient/p01" for r in requests)
        assert all(r["reasonReference"][0]["reference"] == "Condition/p01-dx" for r in requests)
    link_types = {link["type"] for link in card["links"]}
    assert link_types == {"smart", "absolute"}
    smart = next(link for link in card["links"] if link["type"] == "smart")
    assert "p01" in smart["appContext"]
    assert all(reason["display"] for reason in card["overrideReasons"])
    # Every number traced to its resource: the Ki-67 factor names its Observation.
    assert "Observation/d1ea1a2f-dcea-4dbe-a47f-f55faff05d33" in card["detail"]
    assert "confirm" in card["detail"].lower()


def test_card_uuid_is_stable_for_a_retried_call(cds):
    body = request_body(
        "pathology",
        "p01",
        prefetch=prefetch_for(case_resources("p01")),
        diagnosticReport=pathology_report("p01", []),
    )
    first = cds.post(f"/cds-services/{SERVICE_IDS['pathology']}", body).get_json()
    second = cds.post(f"/cds-services/{SERVICE_IDS['pathology']}", body).get_json()
    assert first["cards"][0]["uuid"] == second["cards"][0]["uuid"]


def test_pathology_report_in_context_wins_over_older_data(cds):
    resources = case_resources("p04")  # Ki-67 missing on the server
    ki67 = {
        "resourceType": "Observation",
        "id": "ki67-new",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "29593-1"}]},
        "subject": {"reference": "Patient/p04"},
        "effectiveDateTime": "2024-03-08",
        "valueQuantity": {
            "value": 1,
            "unit": "%",
            "system": "http://unitsofmeasure.org",
            "code": "%",
        },
    }
    report = pathology_report("p04", [ki67])
    response = call(
        cds, "pathology", "p04", prefetch=prefetch_for(resources), diagnosticReport=report
    )
    assessment = response.get_json()["cards"][0]["extension"]["org.pannet-cds.assessment"]
    zaidi = next(s for s in assessment["scores"] if s["id"] == "zaidi-rrs-2019")
    assert zaidi["points_range"] == [2, 3]  # size 2 + symptoms unknown; Ki-67 1 % scores 0
    ki67_factor = next(f for f in zaidi["factors"] if f["id"] == "ki67_3_to_20")
    assert ki67_factor["value"] is False
    assert ki67_factor["source"].startswith("DiagnosticReport/p04-path")


def test_draft_orders_being_signed_count_as_ordered(cds):
    first = call(cds, "order-sign", "p01").get_json()["cards"][0]
    plan = first["extension"]["org.pannet-cds.assessment"]["surveillance"]
    assert plan["overdue"] is True
    draft = next(
        a["resource"]
        for a in first["suggestions"][0]["actions"]
        if a["resource"]["resourceType"] == "ServiceRequest"
    )
    draft = {**draft, "id": "draft-ct"}
    second = call(cds, "order-sign", "p01", draftOrders=searchset([draft]))
    cards = second.get_json()["cards"]
    plan = cards[0]["extension"]["org.pannet-cds.assessment"]["surveillance"] if cards else None
    assert plan is None or plan["overdue"] is False


def test_out_of_scope_patient_gets_no_card_on_chart_open(cds):
    resources = [r for r in case_resources("p01") if r["resourceType"] != "Procedure"]
    response = call(cds, "patient-view", "p01", prefetch=prefetch_for(resources))
    assert response.status_code == 200
    assert response.get_json() == {"cards": []}


def test_without_prefetch_or_server_the_call_is_412(cds):
    body = request_body("patient-view", "p01")
    response = cds.post(f"/cds-services/{SERVICE_IDS['patient-view']}", body)
    assert response.status_code == 412
    outcome = response.get_json()
    assert outcome["resourceType"] == "OperationOutcome"
    # The data in words, not the prefetch template (issue 12); the key in `expression`.
    diagnostics = outcome["issue"][0]["diagnostics"]
    assert "Patient (Patient/p01)" in diagnostics and "{{" not in diagnostics
    assert outcome["issue"][0]["expression"] == ["patient"]


def test_unreachable_fhir_server_is_412_not_a_hang(cds):
    body = request_body(
        "patient-view",
        "p01",
        fhir_server="http://127.0.0.1:9/fhir",
        access_token="secret-token-value",
    )
    response = cds.post(f"/cds-services/{SERVICE_IDS['patient-view']}", body)
    assert response.status_code == 412


def test_access_token_never_reaches_the_logs(cds, caplog):
    caplog.set_level(logging.DEBUG)
    body = request_body(
        "patient-view",
        "p01",
        fhir_server="http://127.0.0.1:9/fhir",
        access_token="secret-token-value",
    )
    cds.post(f"/cds-services/{SERVICE_IDS['patient-view']}", body)
    assert "secret-token-value" not in caplog.text


BAD_BODIES = [
    (b"not json", "not JSON"),
    (b"[]", "JSON object"),
    (b'{"hookInstance": "x", "context": {}}', "hook"),
    (
        b'{"hook": "patient-view", "context": {"userId": "Practitioner/1", "patientId": "p"}}',
        "hookInstance",
    ),
    (b'{"hook": "patient-view", "hookInstance": "x"}', "context"),
    (b'{"hook": "order-sign", "hookInstance": "x", "context": {}}', "hook"),
    (
        b'{"hook": "patient-view", "hookInstance": "x", "context": {"userId": "Practitioner/1"}}',
        "patientId",
    ),
    (b'{"hook": "patient-view", "hookInstance": 5, "context": []}', ""),
    (
        b'{"hook": "patient-view", "hookInstance": "x", "context": {"userId": "Practitioner/1",'
        b' "patientId": "p"}, "prefetch": {"patient": {"resourceType": "Observation"}}}',
        "prefetch.patient",
    ),
]


@pytest.mark.parametrize(("raw", "says"), BAD_BODIES)
def test_malformed_requests_are_400_with_an_operation_outcome(cds, raw, says):
    response = cds.post(f"/cds-services/{SERVICE_IDS['patient-view']}", raw=raw)
    assert response.status_code == 400, response.data
    outcome = response.get_json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert says in outcome["issue"][0]["diagnostics"]
    assert b"Traceback" not in response.data and b"<html" not in response.data.lower()


def test_unknown_service_is_404(cds):
    response = cds.post("/cds-services/nope", {"hook": "patient-view"})
    assert response.status_code == 404
    assert response.get_json()["resourceType"] == "OperationOutcome"


def test_unknown_path_is_json_404(cds):
    response = cds.client.get("/no/such/thing")
    assert response.status_code == 404
    assert response.get_json()["resourceType"] == "OperationOutcome"


def test_oversized_body_is_413(tmp_path):
    cds = build_signed_client(tmp_path, max_request_bytes=1000)
    response = cds.post(f"/cds-services/{SERVICE_IDS['patient-view']}", raw=b"{" + b" " * 5000)
    assert response.status_code == 413
    assert response.get_json()["resourceType"] == "OperationOutcome"


def test_invalid_fhir_data_in_prefetch_costs_only_that_resource(cds):
    """Issue 9: one invalid resource is left out with a warning naming it, listed on the card;
    the rest of the record is still assessed (it used to make the whole call a 400)."""
    resources = case_resources("p01")
    bad = {
        "resourceType": "Observation",
        "id": "broken",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "33728-7"}]},
        "subject": {"reference": "Patient/p01"},
        "valueQuantity": {"value": "big"},
    }
    response = call(cds, "patient-view", "p01", prefetch=prefetch_for([*resources, bad]))
    assert response.status_code == 200
    detail = response.get_json()["cards"][0]["detail"]
    assert "Observation/broken: not valid FHIR R4" in detail


def test_missing_jwt_is_a_bare_401(cds):
    body = request_body("patient-view", "p01", prefetch=prefetch_for(case_resources("p01")))
    response = cds.post(f"/cds-services/{SERVICE_IDS['patient-view']}", body, sign=False)
    assert response.status_code == 401
    assert response.data == b""


def test_jwt_for_another_service_url_is_401(cds):
    body = request_body("patient-view", "p01", prefetch=prefetch_for(case_resources("p01")))
    token = cds.issuer.mint(aud="http://localhost/cds-services/pannet-cds-order-sign")
    response = cds.post(f"/cds-services/{SERVICE_IDS['patient-view']}", body, token=token)
    assert response.status_code == 401


def test_replayed_jwt_is_401(cds):
    body = request_body("patient-view", "p01", prefetch=prefetch_for(case_resources("p01")))
    path = f"/cds-services/{SERVICE_IDS['patient-view']}"
    token = cds.issuer.mint(aud=f"http://localhost{path}")
    assert cds.post(path, body, token=token).status_code == 200
    assert cds.post(path, body, token=token).status_code == 401


def test_audience_uses_the_public_base_url_behind_a_proxy(tmp_path):
    cds = build_signed_client(tmp_path, base_url="https://cds.example.org/api")
    path = f"/cds-services/{SERVICE_IDS['patient-view']}"
    body = request_body("patient-view", "p01", prefetch=prefetch_for(case_resources("p01")))
    token = cds.issuer.mint(aud=f"https://cds.example.org/api{path}")
    assert cds.post(path, body, token=token).status_code == 200
    assert cds.post(path, body).status_code == 401  # signed for http://localhost


def test_development_switch_turns_verification_off(tmp_path):
    cds = build_signed_client(tmp_path, auth_enabled=False)
    body = request_body("patient-view", "p04", prefetch=prefetch_for(case_resources("p04")))
    response = cds.post(f"/cds-services/{SERVICE_IDS['patient-view']}", body, sign=False)
    assert response.status_code == 200


def test_cors_preflight_is_answered(cds):
    response = cds.client.options(
        f"/cds-services/{SERVICE_IDS['patient-view']}",
        headers={
            "Origin": "https://sandbox.cds-hooks.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert response.status_code in (200, 204)
    assert response.headers["Access-Control-Allow-Origin"] in ("*", "https://sandbox.cds-hooks.org")
    assert "authorization" in response.headers["Access-Control-Allow-Headers"].lower()
