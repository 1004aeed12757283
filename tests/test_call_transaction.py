"""One transaction per hook call: the client's jti, the issued card and the audit record are
written together or not at all (SQLite and PostgreSQL), through the real app."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.exc import DBAPIError, OperationalError

from cds_service.app import create_app
from cds_service.audit.tables import audit_records
from cds_service.auth.replay import SqlReplayCache, replay_table
from cds_service.db import in_transaction
from cds_service.feedback.tables import issued_cards
from cds_service.settings import Settings
from cds_service.state import service_state
from tests.app_fixtures import SignedClient
from tests.support.cds_calls import SERVICE_IDS, case_resources, prefetch_for, request_body
from tests.support.jwt_issuer import JwtIssuer

PATH = f"/cds-services/{SERVICE_IDS['patient-view']}"


@pytest.fixture
def cds(tmp_path, database_url):
    issuer = JwtIssuer()
    jwks = issuer.write_jwks(tmp_path / "jwks.json")
    settings = Settings(
        trusted_issuers_json=json.dumps({issuer.iss: str(jwks)}), database_url=database_url
    )
    app = create_app(settings)
    yield SignedClient(app=app, client=app.test_client(), issuer=issuer)
    engine_of_app(app).dispose()


def engine_of_app(app):
    with app.app_context():
        return service_state().engine


def engine_of(cds):
    return engine_of_app(cds.app)


def counts(cds) -> dict[str, int]:
    with engine_of(cds).connect() as connection:
        return {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (replay_table, issued_cards, audit_records)
        }


def body(case: str = "p01") -> dict:
    return request_body("patient-view", case, prefetch=prefetch_for(case_resources(case)))


def token(cds) -> str:
    return cds.issuer.mint(aud=f"http://localhost{PATH}")


def test_a_call_commits_its_jti_card_and_audit_record_in_one_transaction(cds):
    commits = []
    event.listen(engine_of(cds), "commit", lambda _connection: commits.append(1))
    response = cds.post(PATH, body())
    assert response.status_code == 200
    assert response.get_json()["cards"]
    assert len(commits) == 1
    assert counts(cds) == {"auth_jwt_replay": 1, issued_cards.name: 1, "audit_records": 1}


def test_no_card_and_no_issued_card_row_when_the_audit_write_fails(cds):
    with engine_of(cds).begin() as connection:
        connection.execute(text("DROP TABLE audit_records"))
    response = cds.post(PATH, body())
    assert response.status_code == 503
    assert "cards" not in response.get_json()
    with engine_of(cds).connect() as connection:
        assert connection.execute(select(func.count()).select_from(issued_cards)).scalar() == 0
        # the token stays spent: a captured copy cannot fetch the answer that was not given
        assert connection.execute(select(func.count()).select_from(replay_table)).scalar() == 1


def test_no_audit_record_when_the_issued_card_write_fails(cds):
    with engine_of(cds).begin() as connection:
        connection.execute(text(f"DROP TABLE {issued_cards.name}"))
    spent = token(cds)
    response = cds.post(PATH, body(), token=spent)
    assert response.status_code == 503
    with engine_of(cds).connect() as connection:
        assert connection.execute(select(func.count()).select_from(audit_records)).scalar() == 0
    assert cds.post(PATH, body(), token=spent).status_code == 401


def test_a_replayed_token_gets_a_bare_401_and_writes_nothing(cds):
    spent = token(cds)
    assert cds.post(PATH, body(), token=spent).status_code == 200
    replay = cds.post(PATH, body("p02"), token=spent)
    assert replay.status_code == 401
    assert replay.get_data() == b""
    assert counts(cds) == {"auth_jwt_replay": 1, issued_cards.name: 1, "audit_records": 1}


def test_a_token_spent_on_a_refused_call_cannot_be_used_again(cds):
    spent = token(cds)
    bad = body()
    del bad["context"]
    assert cds.post(PATH, bad, token=spent).status_code == 400
    assert cds.post(PATH, body(), token=spent).status_code == 401
    assert counts(cds) == {"auth_jwt_replay": 1, issued_cards.name: 0, "audit_records": 0}


def test_a_dead_pooled_connection_is_replaced_without_losing_the_call(cds, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("a server-side disconnect needs a database server")
    assert cds.post(PATH, body()).status_code == 200
    # The app's one pooled connection (the test client calls one at a time), killed by the server.
    with engine_of(cds).connect() as connection:
        pid = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
    admin = create_engine(database_url)
    with admin.connect() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    admin.dispose()
    response = cds.post(PATH, body("p02"))
    assert response.status_code == 200
    assert counts(cds) == {"auth_jwt_replay": 2, issued_cards.name: 2, "audit_records": 2}


def test_an_error_that_is_not_a_disconnect_is_not_retried(engine):
    attempts = []

    def work(connection):
        attempts.append(1)
        connection.execute(text("SELECT * FROM no_such_table"))

    with pytest.raises(DBAPIError):
        in_transaction(engine, work)
    assert len(attempts) == 1


def test_a_jti_recorded_in_a_rolled_back_transaction_does_not_count(engine):
    cache = SqlReplayCache(engine)
    until = datetime.now(UTC) + timedelta(minutes=5)
    with engine.connect() as connection:
        transaction = connection.begin()
        assert not cache.seen_before("https://ehr.example", "j-1", until, connection)
        assert cache.seen_before("https://ehr.example", "j-1", until, connection)
        transaction.rollback()
    assert not cache.seen_before("https://ehr.example", "j-1", until)
    assert cache.seen_before("https://ehr.example", "j-1", until)


def test_expired_jtis_are_pruned_inside_the_callers_transaction(engine):
    now = [datetime(2026, 1, 1, tzinfo=UTC)]
    cache = SqlReplayCache(engine, clock=lambda: now[0], prune_interval_seconds=0.0)
    cache.seen_before("https://ehr.example", "old", now[0] + timedelta(minutes=5))
    now[0] += timedelta(hours=1)
    with engine.connect() as connection, connection.begin():
        cache.seen_before("https://ehr.example", "new", now[0] + timedelta(minutes=5), connection)
    with engine.connect() as connection:
        jtis = connection.execute(select(replay_table.c.jti)).scalars().all()
    assert jtis == ["new"]


def test_a_failed_commit_answers_503_and_leaves_nothing_of_the_call(cds):
    def fail(_connection):
        raise OperationalError("COMMIT", {}, Exception("disk I/O error"))

    event.listen(engine_of(cds), "commit", fail)
    response = cds.post(PATH, body())
    event.remove(engine_of(cds), "commit", fail)
    assert response.status_code == 503
    assert "cards" not in response.get_json()
    assert counts(cds)["audit_records"] == 0
    assert counts(cds)[issued_cards.name] == 0
