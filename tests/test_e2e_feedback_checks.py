"""Feedback checked against the issued card, over real HTTP to the service process (issues 11.9
and 12): another JWT issuer's feedback about a card is refused, so are override reasons and
suggestions the card did not offer; a second, different override is a new record."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.support.cds_calls import (
    SERVICE_IDS,
    accepted_feedback,
    case_resources,
    prefetch_for,
    request_body,
)
from tests.support.jwt_issuer import JwtIssuer
from tests.support.service_process import ServiceProcess, SignedService, signed_service_env

pytestmark = pytest.mark.e2e

PATH = f"/cds-services/{SERVICE_IDS['patient-view']}"


@pytest.fixture(scope="module")
def clients(tmp_path_factory) -> Iterator[tuple[SignedService, SignedService]]:
    """The service trusting two EHRs: (ours, theirs)."""
    workdir = tmp_path_factory.mktemp("cds-feedback-checks")
    ours, theirs = JwtIssuer(), JwtIssuer(iss="https://other-ehr.example.org")
    env = signed_service_env(ours, workdir)
    env["PANNET_CDS_TRUSTED_ISSUERS"] = json.dumps(
        {
            ours.iss: str(ours.write_jwks(workdir / "ours.json")),
            theirs.iss: str(theirs.write_jwks(workdir / "theirs.json")),
        }
    )
    with ServiceProcess(workdir, env) as process:
        as_ours, as_theirs = SignedService(process, ours), SignedService(process, theirs)
        yield as_ours, as_theirs
        as_theirs.http.close()
        as_ours.stop()


def a_card(client: SignedService) -> dict:
    body = request_body("patient-view", "p04", prefetch=prefetch_for(case_resources("p04")))
    response = client.post(PATH, body)
    assert response.status_code == 200, response.text[:1000]
    return response.json()["cards"][0]


def override(card: dict, reason: dict) -> dict:
    entry = {
        "card": card["uuid"],
        "outcome": "overridden",
        "overrideReason": {"reason": reason},
        "outcomeTimestamp": "2026-11-21T10:00:00Z",
    }
    return {"feedback": [entry]}


def test_another_issuers_feedback_about_a_card_is_refused(clients):
    ours, theirs = clients
    card = a_card(ours)
    refused = theirs.post(f"{PATH}/feedback", accepted_feedback(card))
    assert refused.status_code == 404
    assert "not a card this service issued to this client" in refused.text
    assert ours.post(f"{PATH}/feedback", accepted_feedback(card)).json() == {
        "stored": 1,
        "duplicates": 0,
    }


def test_only_what_the_card_offered_is_accepted(clients):
    ours, _ = clients
    card = a_card(ours)
    made_up = {**card["overrideReasons"][0], "code": "made-up"}
    assert ours.post(f"{PATH}/feedback", override(card, made_up)).status_code == 400
    body = accepted_feedback(card)
    body["feedback"][0]["acceptedSuggestions"] = [{"id": "4e0a3a1e-3283-4575-ab82-028d55fe2719"}]
    assert ours.post(f"{PATH}/feedback", body).status_code == 400


def test_a_second_different_override_is_a_new_record(clients):
    ours, _ = clients
    card = a_card(ours)
    first, second = card["overrideReasons"][:2]
    answers = [
        ours.post(f"{PATH}/feedback", override(card, reason)).json()
        for reason in (first, second, second)
    ]
    assert answers == [
        {"stored": 1, "duplicates": 0},
        {"stored": 1, "duplicates": 0},
        {"stored": 0, "duplicates": 1},
    ]
