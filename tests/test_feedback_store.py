"""Feedback storage and statistics on the real databases: a SQLite file and PostgreSQL.

PostgreSQL is the server at 127.0.0.1:5432 (database `test`, user `postgres`, or
PANNET_CDS_TEST_POSTGRES_URL); each test gets its own schema, dropped afterwards.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from cds_service.db import make_engine
from cds_service.feedback.errors import FeedbackStoreError, FeedbackValidationError
from cds_service.feedback.models import Feedback, FeedbackRequest, Outcome, parse_feedback_request
from cds_service.feedback.stats import feedback_stats
from cds_service.feedback.store import (
    IssuedCard,
    StoreResult,
    record_issued_cards,
    store_feedback,
)
from cds_service.feedback.tables import feedback as feedback_table
from cds_service.feedback.tables import issued_cards as issued_table

REPO_ROOT = Path(__file__).resolve().parent.parent
SERVICE = "pannet-patient-view"
WHEN = "2024-03-01T10:00:00Z"


def new_uuid() -> str:
    return str(uuid.uuid4())


def accepted(card: str, *suggestions: str, when: str = WHEN) -> dict:
    return {
        "card": card,
        "outcome": "accepted",
        "acceptedSuggestions": [{"id": s} for s in suggestions or (new_uuid(),)],
        "outcomeTimestamp": when,
    }


def overridden(card: str, code: str | None = None, comment: str | None = None) -> dict:
    item: dict = {"card": card, "outcome": "overridden", "outcomeTimestamp": WHEN}
    reason: dict = {}
    if code is not None:
        reason["reason"] = {"system": "urn:pannet:override", "code": code, "display": code.title()}
    if comment is not None:
        reason["userComment"] = comment
    if reason:
        item["overrideReason"] = reason
    return item


def request_of(*items: dict) -> FeedbackRequest:
    return parse_feedback_request({"feedback": list(items)})


def feedback_rows(engine: Engine) -> list:
    with engine.connect() as connection:
        return list(connection.execute(select(feedback_table).order_by(feedback_table.c.id)))


# --- idempotency ---------------------------------------------------------------------------


def test_same_feedback_twice_is_one_record(engine):
    request = request_of(accepted(new_uuid()))
    assert store_feedback(engine, SERVICE, request) == StoreResult(new=1, duplicate=0)
    assert store_feedback(engine, SERVICE, request) == StoreResult(new=0, duplicate=1)
    assert len(feedback_rows(engine)) == 1


def test_same_card_different_outcome_is_two_records(engine):
    card = new_uuid()
    store_feedback(engine, SERVICE, request_of(accepted(card)))
    store_feedback(engine, SERVICE, request_of(overridden(card)))
    assert sorted(row.outcome for row in feedback_rows(engine)) == ["accepted", "overridden"]


def test_repeat_with_a_later_timestamp_keeps_the_first_report(engine):
    card, first, second = new_uuid(), new_uuid(), new_uuid()
    store_feedback(engine, SERVICE, request_of(accepted(card, first)))
    later = accepted(card, second, when="2024-03-02T08:00:00Z")
    assert store_feedback(engine, SERVICE, request_of(later)) == StoreResult(new=0, duplicate=1)
    (row,) = feedback_rows(engine)
    assert row.accepted_suggestions == [first]
    assert row.outcome_timestamp.replace(tzinfo=UTC) == datetime(2024, 3, 1, 10, tzinfo=UTC)


def test_duplicates_inside_one_request_count_once(engine):
    card = new_uuid()
    request = request_of(overridden(card), overridden(card, "other"), accepted(card))
    assert store_feedback(engine, SERVICE, request) == StoreResult(new=2, duplicate=1)


def test_same_card_under_another_service_is_kept_apart(engine):
    request = request_of(overridden(new_uuid()))
    store_feedback(engine, SERVICE, request)
    assert store_feedback(engine, "pannet-order-sign", request) == StoreResult(1, 0)


def test_stored_fields(engine):
    card, suggestion = new_uuid(), new_uuid()
    store_feedback(
        engine,
        SERVICE,
        request_of(accepted(card, suggestion), overridden(new_uuid(), "not-resected", "see MDT")),
    )
    first, second = feedback_rows(engine)
    assert (first.card_uuid, first.outcome, first.accepted_suggestions) == (
        card,
        "accepted",
        [suggestion],
    )
    assert first.override_reason_code is None and first.user_comment is None
    assert (
        second.override_reason_system,
        second.override_reason_code,
        second.override_reason_display,
        second.user_comment,
        second.accepted_suggestions,
    ) == ("urn:pannet:override", "not-resected", "Not-Resected", "see MDT", [])
    assert second.received_at is not None


def test_feedback_for_a_card_never_issued_is_stored(engine):
    assert store_feedback(engine, SERVICE, request_of(overridden(new_uuid()))).new == 1


def test_a_failing_entry_rolls_back_the_whole_request(engine):
    good = request_of(overridden(new_uuid())).feedback[0]
    # Valid on the wire cannot fail in SQL, so bypass validation to make the database refuse.
    broken = Feedback.model_construct(
        card=None,
        outcome=Outcome.OVERRIDDEN,
        accepted_suggestions=None,
        override_reason=None,
        outcome_timestamp=datetime(2024, 3, 1, tzinfo=UTC),
    )
    with pytest.raises(FeedbackStoreError):
        store_feedback(engine, SERVICE, FeedbackRequest.model_construct(feedback=[good, broken]))
    assert feedback_rows(engine) == []


def test_bad_service_id_is_refused(engine):
    with pytest.raises(FeedbackValidationError):
        store_feedback(engine, "", request_of(overridden(new_uuid())))
    with pytest.raises(FeedbackValidationError):
        store_feedback(engine, "s" * 129, request_of(overridden(new_uuid())))


def test_user_comment_is_not_logged(engine, caplog):
    caplog.set_level(logging.DEBUG)
    store_feedback(engine, SERVICE, request_of(overridden(new_uuid(), comment="moved to Lyon")))
    assert "Lyon" not in caplog.text
    assert "1 new" in caplog.text


def test_issued_cards_are_recorded_once(engine):
    cards = [IssuedCard(new_uuid(), "low", "info"), IssuedCard(new_uuid(), None, "warning")]
    kwargs = {"service_id": SERVICE, "hook": "patient-view", "hook_instance": new_uuid()}
    assert record_issued_cards(engine, cards=cards, **kwargs) == 2
    assert record_issued_cards(engine, cards=cards, **kwargs) == 0
    with engine.connect() as connection:
        tiers = connection.execute(select(issued_table.c.tier).order_by(issued_table.c.tier))
        assert sorted(tiers.scalars(), key=str) == [None, "low"]


@pytest.mark.parametrize(
    "uuid_,tier,indicator",
    [
        ("CARD", "low", "info"),
        (str(uuid.uuid4()), "moderate", "info"),
        (str(uuid.uuid4()), None, "x"),
    ],
)
def test_issued_card_is_validated(uuid_, tier, indicator):
    with pytest.raises(ValueError):
        IssuedCard(uuid_, tier, indicator)


# --- concurrency ---------------------------------------------------------------------------


def run_in_threads(count: int, work) -> list:
    barrier = threading.Barrier(count)
    results: list = [None] * count
    errors: list[BaseException] = []

    def target(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work(index)
        except BaseException as exc:  # re-raised below: a thread's failure fails the test
            errors.append(exc)

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


def test_eight_threads_posting_the_same_feedback_store_one_row(engine):
    request = request_of(overridden(new_uuid(), "other"))
    results = run_in_threads(8, lambda _: store_feedback(engine, SERVICE, request))
    assert sum(r.new for r in results) == 1
    assert sum(r.duplicate for r in results) == 7
    assert len(feedback_rows(engine)) == 1


def test_eight_threads_posting_different_cards_store_all(engine):
    cards = [new_uuid() for _ in range(8)]
    results = run_in_threads(
        8, lambda i: store_feedback(engine, SERVICE, request_of(accepted(cards[i])))
    )
    assert all(r == StoreResult(new=1, duplicate=0) for r in results)
    assert sorted(row.card_uuid for row in feedback_rows(engine)) == sorted(cards)


# --- durability ----------------------------------------------------------------------------

WRITER = textwrap.dedent(
    """
    import sys, time
    from cds_service.db import create_schema, make_engine
    from cds_service.feedback.models import parse_feedback_request
    from cds_service.feedback.store import store_feedback

    engine = make_engine(sys.argv[1])
    create_schema(engine)
    request = parse_feedback_request(sys.stdin.read())
    store_feedback(engine, sys.argv[2], request)
    print("stored", flush=True)
    time.sleep(600)
    """
)


def test_feedback_survives_kill_9_right_after_storing(database_url):
    card = new_uuid()
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, database_url, SERVICE],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    try:
        writer.stdin.write(request_of(overridden(card, "other")).model_dump_json())
        writer.stdin.close()
        assert writer.stdout.readline().strip() == "stored"
        os.kill(writer.pid, signal.SIGKILL)
        assert writer.wait() == -signal.SIGKILL
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait()
    if database_url.startswith("sqlite"):
        # The write lives in the WAL only: no checkpoint ran before the kill.
        assert Path(database_url.removeprefix("sqlite:///") + "-wal").stat().st_size > 0
    reopened = make_engine(database_url)
    try:
        assert [row.card_uuid for row in feedback_rows(reopened)] == [card]
    finally:
        reopened.dispose()


# --- statistics ----------------------------------------------------------------------------


def issue(engine: Engine, service_id: str, tier: str | None, count: int) -> list[str]:
    cards = [IssuedCard(new_uuid(), tier, "info") for _ in range(count)]
    record_issued_cards(
        engine, service_id=service_id, hook="patient-view", hook_instance=new_uuid(), cards=cards
    )
    return [card.uuid for card in cards]


def test_statistics_per_service_and_tier(engine):
    low = issue(engine, SERVICE, "low", 4)
    high = issue(engine, SERVICE, "high", 2)
    untiered = issue(engine, SERVICE, None, 1)
    other = issue(engine, "pannet-order-sign", "intermediate", 1)
    stranger = new_uuid()
    store_feedback(
        engine,
        SERVICE,
        request_of(
            accepted(low[0]),
            overridden(low[1], "not-resected"),
            overridden(low[2], "not-resected", "MDT decided otherwise"),
            overridden(low[0], "patient-declined"),  # the same card, later overridden too
            overridden(high[0]),  # no coded reason
            overridden(high[1], comment="comment only"),
            overridden(untiered[0], "patient-declined"),
            accepted(stranger),
            accepted(other[0]),  # posted to the wrong service: unknown here
        ),
    )
    store_feedback(engine, SERVICE, request_of(accepted(low[0])))  # a duplicate changes nothing

    rows = {(r.tier, r.card_known): r for r in feedback_stats(engine, SERVICE)}
    assert list(rows) == [("low", True), ("high", True), (None, True), (None, False)]

    low_row = rows[("low", True)]
    assert (low_row.cards_issued, low_row.cards_with_feedback, low_row.feedback_count) == (4, 3, 4)
    assert (low_row.accepted, low_row.overridden) == (1, 3)
    assert (low_row.acceptance_rate, low_row.override_rate) == (0.25, 0.75)
    assert [(r.code, r.count, r.display) for r in low_row.top_override_reasons] == [
        ("not-resected", 2, "Not-Resected"),
        ("patient-declined", 1, "Patient-Declined"),
    ]

    high_row = rows[("high", True)]
    assert (high_row.accepted, high_row.overridden, high_row.override_rate) == (0, 2, 1.0)
    assert high_row.top_override_reasons == []

    untiered_row = rows[(None, True)]
    assert (untiered_row.cards_issued, untiered_row.overridden) == (1, 1)

    unknown = rows[(None, False)]
    assert (unknown.cards_issued, unknown.accepted, unknown.feedback_count) == (0, 2, 2)
    assert unknown.acceptance_rate is None and unknown.override_rate is None

    everything = feedback_stats(engine)
    other_rows = [r for r in everything if r.service_id == "pannet-order-sign"]
    assert [(r.tier, r.cards_issued, r.feedback_count, r.acceptance_rate) for r in other_rows] == [
        ("intermediate", 1, 0, 0.0)
    ]


def test_statistics_serialise_in_camel_case(engine):
    issue(engine, SERVICE, "intermediate", 1)
    (row,) = feedback_stats(engine, SERVICE)
    assert row.model_dump(mode="json") == {
        "serviceId": SERVICE,
        "tier": "intermediate",
        "cardKnown": True,
        "cardsIssued": 1,
        "cardsWithFeedback": 0,
        "feedbackCount": 0,
        "accepted": 0,
        "overridden": 0,
        "acceptanceRate": 0.0,
        "overrideRate": 0.0,
        "topOverrideReasons": [],
    }


def test_top_reasons_are_limited(engine):
    cards = issue(engine, SERVICE, "low", 7)
    codes = ["a", "b", "b", "c", "c", "c", "d"]
    store_feedback(engine, SERVICE, request_of(*map(overridden, cards, codes)))
    (row,) = feedback_stats(engine, SERVICE, top_reasons=2)
    assert [(r.code, r.count) for r in row.top_override_reasons] == [("c", 3), ("b", 2)]


def test_statistics_of_an_empty_database(engine):
    assert feedback_stats(engine) == []
    assert feedback_stats(engine, SERVICE) == []
