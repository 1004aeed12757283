"""Metrics, JSON logs and the audit record through the real app (signed calls, SQLite file)."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from cds_service.audit.store import read_audit
from cds_service.observability.logs import json_handler, redact
from cds_service.state import service_state
from tests.app_fixtures import build_signed_client
from tests.support.cds_calls import (
    CASES,
    SERVICE_IDS,
    case_resources,
    prefetch_for,
    request_body,
)
from tests.support.fhir_load import load_bundle
from tests.support.loopback import free_loopback_port

PATIENT_VIEW = SERVICE_IDS["patient-view"]
SECRET_TOKEN = "s3cr3t-access-token-value"


@pytest.fixture
def cds(tmp_path):
    return build_signed_client(tmp_path)


def samples(cds) -> dict[tuple[str, frozenset], float]:
    response = cds.client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    found = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(found, name: str, **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


def call(cds, case: str, **kw):
    kw.setdefault("prefetch", prefetch_for(case_resources(case)))
    body = request_body("patient-view", case, **kw)
    return body, cds.post(f"/cds-services/{PATIENT_VIEW}", body)


@pytest.fixture
def log_lines():
    """The JSON lines the production handler writes, captured from the root logger."""
    stream = io.StringIO()
    handler = json_handler(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)


def test_request_latency_cards_and_assessments_are_counted(cds):
    for case in ("p01", "p03", "p04"):
        assert call(cds, case)[1].status_code == 200
    cds.post(f"/cds-services/{PATIENT_VIEW}", raw=b"not json")
    found = samples(cds)
    labels = {"endpoint": "hooks.call_service", "service": PATIENT_VIEW, "hook": "patient-view"}
    count = "pannet_cds_request_duration_seconds_count"
    assert value(found, count, **labels, status="200") == 3
    assert value(found, count, **labels, status="400") == 1
    assert (
        value(
            found, "pannet_cds_cards_total", service=PATIENT_VIEW, tier="high", indicator="critical"
        )
        == 1
    )
    assert (
        value(
            found, "pannet_cds_cards_total", service=PATIENT_VIEW, tier="none", indicator="warning"
        )
        == 1
    )
    assert (
        value(
            found,
            "pannet_cds_assessments_total",
            service=PATIENT_VIEW,
            hook="patient-view",
            tier="intermediate",
        )
        == 1
    )


def test_unknown_service_ids_share_one_label_value(cds):
    cds.post("/cds-services/no-such-service-123", {"hook": "x"})
    cds.post("/cds-services/another-unknown", {"hook": "x"})
    found = samples(cds)
    assert (
        value(
            found,
            "pannet_cds_request_duration_seconds_count",
            endpoint="hooks.call_service",
            service="unknown",
            hook="",
            status="404",
        )
        == 2
    )


def test_feedback_outcomes_are_counted(cds):
    _body, response = call(cds, "p01")
    card = response.get_json()["cards"][0]
    feedback = {
        "feedback": [
            {
                "card": card["uuid"],
                "outcome": "accepted",
                "acceptedSuggestions": [{"id": card["suggestions"][0]["uuid"]}],
                "outcomeTimestamp": "2026-03-01T10:00:00Z",
            }
        ]
    }
    assert cds.post(f"/cds-services/{PATIENT_VIEW}/feedback", feedback).status_code == 200
    found = samples(cds)
    assert value(found, "pannet_cds_feedback_total", service=PATIENT_VIEW, outcome="accepted") == 1


def test_fhir_fetch_errors_are_counted_by_resource_type(cds):
    closed = f"http://127.0.0.1:{free_loopback_port()}/fhir"
    _, response = call(cds, "p01", prefetch={}, fhir_server=closed, access_token=SECRET_TOKEN)
    assert response.status_code == 412
    found = samples(cds)
    assert (
        value(
            found,
            "pannet_cds_fhir_fetch_errors_total",
            resource_type="Patient",
            reason="connection",
        )
        >= 1
    )
    assert (
        value(
            found,
            "pannet_cds_fhir_fetch_duration_seconds_count",
            resource_type="Observation",
            outcome="connection",
        )
        >= 1
    )


def test_fhir_fetch_latency_from_a_real_server(cds, fhir_server):
    bundle = json.loads((CASES / "p02.bundle.json").read_text())
    load_bundle(fhir_server.base_url, bundle)
    _, response = call(cds, "p02", prefetch={}, fhir_server=fhir_server.base_url)
    assert response.status_code == 200, response.get_json()
    found = samples(cds)
    assert (
        value(
            found,
            "pannet_cds_fhir_fetch_duration_seconds_count",
            resource_type="Patient",
            outcome="2xx",
        )
        == 1
    )
    assert (
        value(
            found,
            "pannet_cds_fhir_fetch_duration_seconds_count",
            resource_type="Observation",
            outcome="2xx",
        )
        >= 1
    )


def test_logs_are_json_correlated_by_hook_instance_without_tokens(cds, log_lines):
    closed = f"http://127.0.0.1:{free_loopback_port()}/fhir"
    body, response = call(cds, "p01", prefetch={}, fhir_server=closed, access_token=SECRET_TOKEN)
    assert response.status_code == 412
    body2, response2 = call(cds, "p03")
    assert response2.status_code == 200
    lines = log_lines()
    access = [line for line in lines if line["logger"] == "cds_service.access"]
    assert [a["hookInstance"] for a in access] == [body["hookInstance"], body2["hookInstance"]]
    assert [a["status"] for a in access] == [412, 200]
    assert all(a["durationMs"] >= 0 for a in access)
    # One line per call: the assessment's card count and tier ride on the access line.
    assert "cards" not in access[0] and "tier" not in access[0]
    assert access[1]["cards"] == 1 and access[1]["tier"] in {"low", "intermediate", "high", "None"}
    assert access[1]["message"].endswith(f"1 card(s), tier {access[1]['tier']}")
    assert not [line for line in lines if line["logger"] == "cds_service.blueprints.hooks"]
    everything = "\n".join(json.dumps(line) for line in lines)
    assert SECRET_TOKEN not in everything
    assert "Bearer ey" not in everything
    # Nothing clinical: the tumour size of p03 (5.0 cm) or the patient's name never appear.
    assert not re.search(r"\b5\.0\s*cm\b", everything)


def test_redaction_masks_bearer_tokens_and_jwts():
    jwt_like = "eyJhbGciOiJFUzM4NCJ9.eyJpc3MiOiJ4In0.c2lnbmF0dXJl"
    text_in = f"Authorization: Bearer {jwt_like} and access_token={SECRET_TOKEN} raw {jwt_like}"
    out = redact(text_in)
    assert SECRET_TOKEN not in out and jwt_like not in out
    assert "Bearer [redacted]" in out


def test_every_assessment_is_audited_with_inputs_and_cards(cds):
    body, response = call(cds, "p01")
    assert response.status_code == 200
    card = response.get_json()["cards"][0]
    [record] = list(read_audit(_engine(cds)))
    assert record.hook_instance == body["hookInstance"]
    assert record.patient_ref == "Patient/p01"
    assert record.overall_tier == "intermediate"
    assert record.cards[0].uuid == card["uuid"]
    assert record.cards[0].summary == card["summary"]
    assert {v.id for v in record.score_versions} >= {"zaidi-rrs-2019"}
    assert any(i.sources for i in record.inputs)


def test_no_card_is_returned_when_the_audit_cannot_be_written(cds):
    with _engine(cds).begin() as connection:
        connection.execute(text("DROP TABLE audit_records"))
    _, response = call(cds, "p01")
    assert response.status_code == 503
    assert response.get_json()["resourceType"] == "OperationOutcome"
    assert "cards" not in response.get_json()


def _engine(cds):
    with cds.app.app_context():
        return service_state().engine
