"""N replicas sharing one database behave as one: the JWT `jti` replay cache, feedback and the
audit trail live in SQL, checked with two app instances on a SQLite file and on PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from cds_service.app import create_app
from cds_service.audit.store import read_audit
from cds_service.feedback.tables import feedback as feedback_table
from cds_service.settings import Settings
from cds_service.state import service_state
from tests.app_fixtures import SignedClient
from tests.support.cds_calls import SERVICE_IDS, case_resources, prefetch_for, request_body
from tests.support.jwt_issuer import JwtIssuer

PATH = f"/cds-services/{SERVICE_IDS['patient-view']}"


@pytest.fixture
def replicas(database_url, tmp_path) -> Iterator[list[SignedClient]]:
    issuer = JwtIssuer()
    jwks = issuer.write_jwks(tmp_path / "jwks.json")
    settings = Settings(
        trusted_issuers_json=json.dumps({issuer.iss: str(jwks)}), database_url=database_url
    )
    apps = [create_app(settings) for _ in range(2)]
    yield [SignedClient(app=a, client=a.test_client(), issuer=issuer) for a in apps]
    for app in apps:
        with app.app_context():
            service_state().engine.dispose()


def body(case: str) -> dict:
    return request_body("patient-view", case, prefetch=prefetch_for(case_resources(case)))


def test_a_token_used_on_one_replica_is_refused_by_the_other(replicas):
    a, b = replicas
    token = a.issuer.mint(aud=f"http://localhost{PATH}")
    assert a.post(PATH, body("p01"), token=token).status_code == 200
    assert b.post(PATH, body("p01"), token=token).status_code == 401


def test_feedback_sent_to_both_replicas_is_stored_once(replicas):
    a, b = replicas
    card = a.post(PATH, body("p01")).get_json()["cards"][0]
    feedback = {
        "feedback": [
            {
                "card": card["uuid"],
                "outcome": "overridden",
                "outcomeTimestamp": "2026-03-01T10:00:00Z",
            }
        ]
    }
    first = a.post(f"{PATH}/feedback", feedback).get_json()
    second = b.post(f"{PATH}/feedback", feedback).get_json()
    assert (first, second) == ({"stored": 1, "duplicates": 0}, {"stored": 0, "duplicates": 1})
    with a.app.app_context(), service_state().engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(feedback_table)).scalar() == 1


def test_audit_records_of_both_replicas_are_in_one_trail(replicas):
    a, b = replicas
    sent = [body("p01"), body("p03")]
    assert a.post(PATH, sent[0]).status_code == 200
    assert b.post(PATH, sent[1]).status_code == 200
    with b.app.app_context():
        records = list(read_audit(service_state().engine))
    assert [r.hook_instance for r in records] == [s["hookInstance"] for s in sent]
    assert [r.overall_tier for r in records] == ["intermediate", "high"]
