"""Feedback through the real app: validated, stored once, counted per service and tier."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.app_fixtures import build_signed_client
from tests.support.cds_calls import (
    SERVICE_IDS,
    accepted_feedback,
    case_resources,
    prefetch_for,
    request_body,
)
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
