"""Durability of feedback through the real server process: a 200 means the feedback is on disk
(it survives kill -9 of the whole server right after), retries never duplicate, and concurrent
writers on several gunicorn workers lose nothing, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import threading
import uuid

import pytest
import requests
from sqlalchemy import func, select

from cds_service.db import create_schema, make_engine
from cds_service.feedback.checks import Offered
from cds_service.feedback.store import IssuedCard, record_issued_cards
from cds_service.feedback.tables import feedback as feedback_table
from tests.support.jwt_issuer import JwtIssuer
from tests.support.service_process import ServiceProcess, signed_service_env

pytestmark = pytest.mark.e2e

SERVICE = "pannet-cds-patient-view"
PATH = f"/cds-services/{SERVICE}/feedback"
KILL_ROUNDS = 3
WRITERS = 8
PER_WRITER = 10
# Every card of these tests offers this one suggestion (feedback is checked against the card).
SUGGESTION = str(uuid.uuid4())


def issued_cards(database_url: str, service: ServiceProcess, count: int) -> list[str]:
    """`count` cards recorded as issued by SERVICE to the test's JWT issuer, as a hook call
    would record them, so that feedback about them is accepted."""
    cards = [
        IssuedCard(str(uuid.uuid4()), "low", "info", offered=Offered(suggestions=(SUGGESTION,)))
        for _ in range(count)
    ]
    engine = make_engine(database_url)
    try:
        create_schema(engine)
        record_issued_cards(
            engine,
            service_id=SERVICE,
            hook="patient-view",
            hook_instance=str(uuid.uuid4()),
            cards=cards,
            issuer=service.issuer.iss,
        )
    finally:
        engine.dispose()
    return [card.uuid for card in cards]


def entry(card: str, outcome: str = "overridden") -> dict:
    item = {"card": card, "outcome": outcome, "outcomeTimestamp": "2025-06-01T10:00:00Z"}
    if outcome == "overridden":
        item["overrideReason"] = {"userComment": "patient declined"}
    else:
        item["acceptedSuggestions"] = [{"id": SUGGESTION}]
    return item


def post(service: ServiceProcess, entries: list[dict], **headers: str) -> requests.Response:
    token = service.issuer.mint(aud=service.url(PATH))
    return requests.post(
        service.url(PATH),
        data=json.dumps({"feedback": entries}),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json", **headers},
        timeout=30,
    )


def stored(database_url: str) -> list[tuple[str, str]]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(feedback_table.c.card_uuid, feedback_table.c.outcome)
            ).all()
    finally:
        engine.dispose()
    return [tuple(row) for row in rows]


def runner(tmp_path, database_url: str, workers: int) -> ServiceProcess:
    issuer = JwtIssuer()
    env = signed_service_env(issuer, tmp_path)
    service = ServiceProcess(tmp_path, env, workers=workers, database_url=database_url)
    service.issuer = issuer
    return service


def test_acknowledged_feedback_survives_kill_9(tmp_path, database_url):
    service = runner(tmp_path, database_url, workers=2)
    acknowledged = []
    cards = issued_cards(database_url, service, KILL_ROUNDS)
    try:
        for card in cards:
            service.start()
            response = post(service, [entry(card)])
            assert response.status_code == 200
            assert response.json() == {"stored": 1, "duplicates": 0}
            acknowledged.append((card, "overridden"))
            service.kill9()  # no shutdown code runs: only what was committed is left
        assert sorted(stored(database_url)) == sorted(acknowledged)
        # After the crashes the server starts and the retry of the last post is a duplicate.
        service.start()
        retry = post(service, [entry(acknowledged[-1][0])])
        assert retry.json() == {"stored": 0, "duplicates": 1}
    finally:
        service.stop()


def test_retries_never_duplicate(tmp_path, database_url):
    with runner(tmp_path, database_url, workers=2) as service:
        cards = issued_cards(database_url, service, 5)
        batch = [entry(card) for card in cards] + [entry(cards[0], "accepted")]
        first = post(service, batch)
        assert first.json() == {"stored": 6, "duplicates": 0}
        for _ in range(5):
            again = post(service, batch, Connection="close")
            assert again.json() == {"stored": 0, "duplicates": 6}
    rows = stored(database_url)
    assert len(rows) == 6 and len(set(rows)) == 6


def test_concurrent_writers_lose_nothing_and_duplicate_nothing(tmp_path, database_url):
    """Several clients post at once to a multi-worker server, each also retrying what another
    sent: every distinct (card, outcome) is stored exactly once."""
    cards: list[str] = []
    statuses: list[int] = []
    lock = threading.Lock()

    def writer(index: int, service: ServiceProcess) -> None:
        mine = cards[index * PER_WRITER : (index + 1) * PER_WRITER]
        neighbour = cards[((index + 1) % WRITERS) * PER_WRITER]
        for card in mine:
            for batch in ([entry(card)], [entry(card), entry(neighbour)]):
                response = post(service, batch)
                with lock:
                    statuses.append(response.status_code)

    with runner(tmp_path, database_url, workers=3) as service:
        cards.extend(issued_cards(database_url, service, WRITERS * PER_WRITER))
        threads = [threading.Thread(target=writer, args=(i, service)) for i in range(WRITERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not any(thread.is_alive() for thread in threads)
    assert statuses == [200] * (WRITERS * PER_WRITER * 2)
    rows = stored(database_url)
    assert sorted(rows) == sorted((card, "overridden") for card in cards)
    engine = make_engine(database_url)
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(feedback_table)).scalar() == len(
            cards
        )
    engine.dispose()
