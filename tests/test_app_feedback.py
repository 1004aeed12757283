"""Feedback through the real app: validated, stored once, counted per service and tier."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from cds_service.app import create_app
from cds_service.blueprints.feedback import LIMITER_EXTENSION
from cds_service.feedback.limits import MAX_FEEDBACK_BODY_BYTES, FeedbackRateLimiter
from cds_service.settings import Settings
from tests.app_fixtures import SignedClient, build_signed_client
from tests.support.cds_calls import (
    SERVICE_IDS,
    accepted_feedback,
    case_resources,
    prefetch_for,
    request_body,
)
from tests.support.jwt_issuer import JwtIssuer
from tests.support.loopback import process_timeout

PATH = f"/cds-services/{SERVICE_IDS['patient-view']}"


@pytest.fixture
def cds(tmp_path):
    return build_signed_client(tmp_path)


def a_card(cds) -> dict:
    body = request_body("patient-view", "p04", prefetch=prefetch_for(case_resources("p04")))
    return cds.post(PATH, body).get_json()["cards"][0]


def test_feedback_is_stored_once(cds):
    card = a_card(cds)
    first = cds.post(f"{PATH}/feedback", accepted_feedback(card))
    assert first.status_code == 200
    assert first.get_json() == {"stored": 1, "duplicates": 0}
    again = cds.post(f"{PATH}/feedback", accepted_feedback(card))
    assert again.status_code == 200
    assert again.get_json() == {"stored": 0, "duplicates": 1}


def test_override_with_a_coded_reason(cds):
    card = a_card(cds)
    reason = card["overrideReasons"][0]
    body = {
        "feedback": [
            {
                "card": card["uuid"],
                "outcome": "overridden",
                "overrideReason": {"reason": reason, "userComment": "imaging done elsewhere"},
                "outcomeTimestamp": "2026-11-21T10:00:00Z",
            }
        ]
    }
    assert cds.post(f"{PATH}/feedback", body).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"feedback": "yes"},
        {
            "feedback": [
                {
                    "card": "not-a-uuid",
                    "outcome": "accepted",
                    "outcomeTimestamp": "2026-11-21T10:00:00Z",
                }
            ]
        },
        {
            "feedback": [
                {
                    "card": "6f1c2d0e-8a4b-4c1e-9a53-2f7d7b1c0a11",
                    "outcome": "maybe",
                    "outcomeTimestamp": "2026-11-21T10:00:00Z",
                }
            ]
        },
        {"feedback": [{"card": "6f1c2d0e-8a4b-4c1e-9a53-2f7d7b1c0a11", "outcome": "overridden"}]},
    ],
)
def test_malformed_feedback_is_400(cds, body):
    response = cds.post(f"{PATH}/feedback", body)
    assert response.status_code == 400
    outcome = response.get_json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert (
        "feedback" in outcome["issue"][0]["diagnostics"]
        or "body" in outcome["issue"][0]["diagnostics"]
    )


def override(card: dict, reason: dict | None = None, comment: str | None = None) -> dict:
    why: dict = {}
    if reason is not None:
        why["reason"] = reason
    if comment is not None:
        why["userComment"] = comment
    return {
        "feedback": [
            {
                "card": card["uuid"],
                "outcome": "overridden",
                "overrideReason": why,
                "outcomeTimestamp": "2026-11-21T10:00:00Z",
            }
        ]
    }


def diagnostics(response) -> str:
    return response.get_json()["issue"][0]["diagnostics"]


def test_a_second_different_override_is_stored(cds):
    card = a_card(cds)
    first, second = card["overrideReasons"][:2]
    assert cds.post(f"{PATH}/feedback", override(card, first)).get_json()["stored"] == 1
    assert cds.post(f"{PATH}/feedback", override(card, second)).get_json()["stored"] == 1
    again = cds.post(f"{PATH}/feedback", override(card, second)).get_json()
    assert again == {"stored": 0, "duplicates": 1}


def test_an_override_reason_the_card_never_offered_is_400(cds):
    card = a_card(cds)
    made_up = {**card["overrideReasons"][0], "code": "made-up"}
    response = cds.post(f"{PATH}/feedback", override(card, made_up))
    assert response.status_code == 400
    assert "overrideReason.reason: not one of the overrideReasons" in diagnostics(response)


def test_a_suggestion_the_card_never_offered_is_400(cds):
    card = a_card(cds)
    body = accepted_feedback(card)
    body["feedback"][0]["acceptedSuggestions"] = [{"id": "4e0a3a1e-3283-4575-ab82-028d55fe2719"}]
    response = cds.post(f"{PATH}/feedback", body)
    assert response.status_code == 400
    assert "acceptedSuggestions[0].id: not a suggestion this card offered" in diagnostics(response)


def test_feedback_for_an_unknown_card_or_another_services_card_is_404(cds):
    card = a_card(cds)
    elsewhere = f"/cds-services/{SERVICE_IDS['order-sign']}/feedback"
    response = cds.post(elsewhere, accepted_feedback(card))
    assert response.status_code == 404
    assert "not a card this service issued to this client" in diagnostics(response)
    unknown = {**card, "uuid": "4e0a3a1e-3283-4575-ab82-028d55fe2719"}
    assert cds.post(f"{PATH}/feedback", accepted_feedback(unknown)).status_code == 404


def test_feedback_from_another_issuer_is_refused(tmp_path):
    ours, theirs = JwtIssuer(), JwtIssuer(iss="https://other-ehr.example.org")
    trusted = {
        ours.iss: str(ours.write_jwks(tmp_path / "ours.json")),
        theirs.iss: str(theirs.write_jwks(tmp_path / "theirs.json")),
    }
    app = create_app(
        Settings(
            trusted_issuers_json=json.dumps(trusted),
            database_url=f"sqlite:///{tmp_path / 'cds.sqlite3'}",
        )
    )
    client = app.test_client()
    as_ours = SignedClient(app=app, client=client, issuer=ours)
    as_theirs = SignedClient(app=app, client=client, issuer=theirs)
    card = a_card(as_ours)
    refused = as_theirs.post(f"{PATH}/feedback", accepted_feedback(card))
    assert refused.status_code == 404
    assert as_ours.post(f"{PATH}/feedback", accepted_feedback(card)).status_code == 200


def test_feedback_body_over_the_limit_is_413(cds):
    card = a_card(cds)
    body = override(card, comment="x" * 2000)
    body["feedback"] = body["feedback"] * 100
    body["extension"] = {"padding": "y" * MAX_FEEDBACK_BODY_BYTES}
    response = cds.post(f"{PATH}/feedback", body)
    assert response.status_code == 413
    assert str(MAX_FEEDBACK_BODY_BYTES) in diagnostics(response)


def test_more_than_100_entries_is_400(cds):
    card = a_card(cds)
    body = override(card, comment="x")
    body["feedback"] = body["feedback"] * 101
    response = cds.post(f"{PATH}/feedback", body)
    assert response.status_code == 400 and "at most 100" in diagnostics(response)


def test_too_many_feedback_requests_get_429_with_retry_after(cds):
    cds.app.extensions[LIMITER_EXTENSION] = FeedbackRateLimiter(rate_per_s=0.05, burst=3)
    card = a_card(cds)
    statuses = [cds.post(f"{PATH}/feedback", accepted_feedback(card)).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    throttled = cds.post(f"{PATH}/feedback", accepted_feedback(card))
    assert throttled.status_code == 429
    assert 1 <= int(throttled.headers["Retry-After"]) <= 20
    assert throttled.get_json()["resourceType"] == "OperationOutcome"
    # another service's feedback has its own budget
    other = f"/cds-services/{SERVICE_IDS['order-sign']}/feedback"
    assert cds.post(other, accepted_feedback(card)).status_code == 404


def test_feedback_needs_a_valid_jwt(cds):
    card = a_card(cds)
    assert cds.post(f"{PATH}/feedback", accepted_feedback(card), sign=False).status_code == 401


def test_feedback_for_unknown_service_is_404(cds):
    assert cds.post("/cds-services/nope/feedback", {"feedback": []}).status_code == 404


def test_stats_command_reports_acceptance_per_tier(cds, tmp_path):
    card = a_card(cds)
    cds.post(f"{PATH}/feedback", accepted_feedback(card))
    env = {**os.environ, "PANNET_CDS_DATABASE_URL": f"sqlite:///{tmp_path / 'cds.sqlite3'}"}
    result = subprocess.run(
        [sys.executable, "-m", "cds_service.cli", "feedback-stats", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=process_timeout(),
    )
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    row = next(r for r in rows if r["serviceId"] == SERVICE_IDS["patient-view"])
    assert row["cardsIssued"] == 1
    assert row["accepted"] == 1
    assert row["acceptanceRate"] == 1.0
    table = subprocess.run(
        [sys.executable, "-m", "cds_service.cli", "feedback-stats"],
        capture_output=True,
        text=True,
        env=env,
        timeout=process_timeout(),
    )
    assert SERVICE_IDS["patient-view"] in table.stdout
