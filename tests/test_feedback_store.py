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
from cards_factories import assessment, card_args
from sqlalchemy import Engine, select

from cds_service.cards.builder import build_assessment_card
from cds_service.db import make_engine
from cds_service.feedback.checks import Offered
from cds_service.feedback.errors import CardNotIssued, FeedbackStoreError, FeedbackValidationError
from cds_service.feedback.models import Feedback, FeedbackRequest, parse_feedback_request
from cds_service.feedback.stats import feedback_stats
from cds_service.feedback.store import (
    IssuedCard,
    StoreResult,
    add_issued_cards,
    record_issued_cards,
    store_feedback,
)
from cds_service.feedback.tables import feedback as feedback_table
from cds_service.feedback.tables import issued_cards as issued_table
from scoring.assessment import Tier

REPO_ROOT = Path(__file__).resolve().parent.parent
SERVICE = "pannet-patient-view"
WHEN = "2024-03-01T10:00:00Z"
REASON_SYSTEM = "urn:pannet:override"
REASON_CODES = ("not-resected", "patient-declined", "other", "a", "b", "c", "d")
ISSUER = "https://ehr.example.org"


def new_uuid() -> str:
    return str(uuid.uuid4())


def issue(
    engine: Engine,
    service_id: str = SERVICE,
    tier: str | None = "low",
    count: int = 1,
    *,
    issuer: str | None = None,
) -> list[IssuedCard]:
    """`count` cards recorded as issued, each offering two suggestions (at most one) and the
    override reasons REASON_CODES."""
    offered = [
        Offered(
            suggestions=(new_uuid(), new_uuid()),
            override_reasons=tuple((REASON_SYSTEM, code) for code in REASON_CODES),
            at_most_one=True,
        )
        for _ in range(count)
    ]
    cards = [IssuedCard(new_uuid(), tier, "info", offered=o) for o in offered]
    record_issued_cards(
        engine,
        service_id=service_id,
        hook="patient-view",
        hook_instance=new_uuid(),
        cards=cards,
        issuer=issuer,
    )
    return cards


def accepted(card: IssuedCard, *suggestions: str, when: str = WHEN) -> dict:
    return {
        "card": card.uuid,
        "outcome": "accepted",
        "acceptedSuggestions": [{"id": s} for s in suggestions or card.offered.suggestions[:1]],
        "outcomeTimestamp": when,
    }


def overridden(
    card: IssuedCard, code: str | None = None, comment: str | None = None, when: str = WHEN
) -> dict:
    item: dict = {"card": card.uuid, "outcome": "overridden", "outcomeTimestamp": when}
    reason: dict = {}
    if code is not None:
        reason["reason"] = {"system": REASON_SYSTEM, "code": code, "display": code.title()}
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
    request = request_of(accepted(*issue(engine)))
    assert store_feedback(engine, SERVICE, request) == StoreResult(new=1, duplicate=0)
    assert store_feedback(engine, SERVICE, request) == StoreResult(new=0, duplicate=1)
    assert len(feedback_rows(engine)) == 1


def test_same_card_different_outcome_is_two_records(engine):
    (card,) = issue(engine)
    store_feedback(engine, SERVICE, request_of(accepted(card)))
    store_feedback(engine, SERVICE, request_of(overridden(card)))
    assert sorted(row.outcome for row in feedback_rows(engine)) == ["accepted", "overridden"]


def test_a_second_different_override_is_a_new_record(engine):
    (card,) = issue(engine)
    assert store_feedback(engine, SERVICE, request_of(overridden(card, "other"))).new == 1
    assert store_feedback(engine, SERVICE, request_of(overridden(card, "not-resected"))).new == 1
    assert store_feedback(engine, SERVICE, request_of(overridden(card, "other", "MDT"))).new == 1
    again = store_feedback(engine, SERVICE, request_of(overridden(card, "other")))
    assert again == StoreResult(new=0, duplicate=1)
    assert [(r.override_reason_code, r.user_comment) for r in feedback_rows(engine)] == [
        ("other", None),
        ("not-resected", None),
        ("other", "MDT"),
    ]


def test_accepting_the_other_suggestion_is_a_new_record(engine):
    (card,) = issue(engine)
    first, second = card.offered.suggestions
    store_feedback(engine, SERVICE, request_of(accepted(card, first)))
    assert store_feedback(engine, SERVICE, request_of(accepted(card, second))).new == 1


def test_repeat_with_a_later_timestamp_keeps_the_first_report(engine):
    (card,) = issue(engine)
    store_feedback(engine, SERVICE, request_of(accepted(card)))
    later = accepted(card, when="2024-03-02T08:00:00Z")
    assert store_feedback(engine, SERVICE, request_of(later)) == StoreResult(new=0, duplicate=1)
    (row,) = feedback_rows(engine)
    assert row.accepted_suggestions == [card.offered.suggestions[0]]
    assert row.outcome_timestamp.replace(tzinfo=UTC) == datetime(2024, 3, 1, 10, tzinfo=UTC)
    assert row.latest_timestamp.replace(tzinfo=UTC) == datetime(2024, 3, 2, 8, tzinfo=UTC)
    earlier = accepted(card, when="2024-02-01T08:00:00Z")
    store_feedback(engine, SERVICE, request_of(earlier))  # an older repeat moves nothing
    (row,) = feedback_rows(engine)
    assert row.latest_timestamp.replace(tzinfo=UTC) == datetime(2024, 3, 2, 8, tzinfo=UTC)


def test_duplicates_inside_one_request_count_once(engine):
    (card,) = issue(engine)
    request = request_of(overridden(card), overridden(card), overridden(card, "other"))
    assert store_feedback(engine, SERVICE, request) == StoreResult(new=2, duplicate=1)


def test_stored_fields(engine):
    card, other = issue(engine, count=2)
    store_feedback(
        engine,
        SERVICE,
        request_of(accepted(card), overridden(other, "not-resected", "see MDT")),
    )
    first, second = feedback_rows(engine)
    assert (first.card_uuid, first.outcome, first.accepted_suggestions) == (
        card.uuid,
        "accepted",
        [card.offered.suggestions[0]],
    )
    assert first.override_reason_code is None and first.user_comment is None
    assert (
        second.override_reason_system,
        second.override_reason_code,
        second.override_reason_display,
        second.user_comment,
        second.accepted_suggestions,
    ) == (REASON_SYSTEM, "not-resected", "Not-Resected", "see MDT", [])
    assert second.received_at is not None


def test_a_reason_without_system_is_stored_with_the_cards_system(engine):
    (card,) = issue(engine)
    item = overridden(card, "other")
    del item["overrideReason"]["reason"]["system"]
    store_feedback(engine, SERVICE, request_of(item))
    assert store_feedback(engine, SERVICE, request_of(overridden(card, "other"))).duplicate == 1
    (row,) = feedback_rows(engine)
    assert (row.override_reason_system, row.override_reason_code) == (REASON_SYSTEM, "other")


# --- checked against the issued card --------------------------------------------------------


def test_feedback_for_a_card_never_issued_is_refused(engine):
    stranger = IssuedCard(new_uuid(), "low", "info")
    with pytest.raises(CardNotIssued, match=r"feedback\[0\]\.card"):
        store_feedback(engine, SERVICE, request_of(overridden(stranger)))
    assert feedback_rows(engine) == []


def test_feedback_for_another_services_card_is_refused(engine):
    (card,) = issue(engine, "pannet-order-sign")
    with pytest.raises(CardNotIssued):
        store_feedback(engine, SERVICE, request_of(overridden(card)))
    assert store_feedback(engine, "pannet-order-sign", request_of(overridden(card))).new == 1


def test_feedback_from_another_issuer_is_refused(engine):
    (card,) = issue(engine, issuer=ISSUER)
    for other in ("https://other-ehr.example.org", ISSUER + "/"):
        with pytest.raises(CardNotIssued):
            store_feedback(engine, SERVICE, request_of(overridden(card)), issuer=other)
    assert store_feedback(engine, SERVICE, request_of(overridden(card)), issuer=ISSUER).new == 1


def test_with_verification_on_a_card_issued_without_an_issuer_is_refused(engine):
    (card,) = issue(engine, issuer=None)
    with pytest.raises(CardNotIssued):
        store_feedback(engine, SERVICE, request_of(overridden(card)), issuer=ISSUER)
    # verification off: nobody is authenticated, the issuer is not compared
    assert store_feedback(engine, SERVICE, request_of(overridden(card))).new == 1


def test_suggestions_the_card_never_offered_are_refused(engine):
    (card,) = issue(engine)
    with pytest.raises(FeedbackValidationError, match=r"acceptedSuggestions\[0\]\.id"):
        store_feedback(engine, SERVICE, request_of(accepted(card, new_uuid())))
    with pytest.raises(FeedbackValidationError, match="at most one"):
        store_feedback(engine, SERVICE, request_of(accepted(card, *card.offered.suggestions)))
    assert feedback_rows(engine) == []


@pytest.mark.parametrize(
    ("system", "code"),
    [(REASON_SYSTEM, "made-up"), ("urn:other", "other"), (None, "made-up")],
)
def test_override_reasons_the_card_never_offered_are_refused(engine, system, code):
    (card,) = issue(engine)
    item = overridden(card, code)
    item["overrideReason"]["reason"]["system"] = system
    if system is None:
        del item["overrideReason"]["reason"]["system"]
    with pytest.raises(FeedbackValidationError, match=r"overrideReason\.reason"):
        store_feedback(engine, SERVICE, request_of(item))


def test_one_bad_entry_refuses_the_whole_request(engine):
    card, other = issue(engine, count=2)
    request = request_of(overridden(card, "other"), accepted(other, new_uuid()))
    with pytest.raises(FeedbackValidationError, match=r"feedback\[1\]"):
        store_feedback(engine, SERVICE, request)
    assert feedback_rows(engine) == []


def test_issued_card_of_a_built_card_records_what_it_offered(engine):
    card = build_assessment_card(assessment(Tier.INTERMEDIATE), **card_args(card_uuid=new_uuid()))
    issued = IssuedCard.of(card, tier="intermediate")
    assert issued.offered.suggestions == tuple(s.uuid for s in card.suggestions)
    assert issued.offered.at_most_one
    assert {code for _, code in issued.offered.override_reasons} >= {"patient-declined"}


def test_a_failing_entry_rolls_back_the_whole_request(engine):
    card, other = issue(engine, count=2)
    good = request_of(overridden(card)).feedback[0]
    # Valid on the wire cannot fail in SQL, so bypass validation to make the database refuse.
    broken = Feedback.model_construct(
        card=other.uuid,
        outcome=None,
        accepted_suggestions=None,
        override_reason=None,
        outcome_timestamp=datetime(2024, 3, 1, tzinfo=UTC),
    )
    with pytest.raises((FeedbackStoreError, AttributeError)):
        store_feedback(engine, SERVICE, FeedbackRequest.model_construct(feedback=[good, broken]))
    assert feedback_rows(engine) == []


def test_bad_service_id_is_refused(engine):
    (card,) = issue(engine)
    with pytest.raises(FeedbackValidationError):
        store_feedback(engine, "", request_of(overridden(card)))
    with pytest.raises(FeedbackValidationError):
        store_feedback(engine, "s" * 129, request_of(overridden(card)))


def test_user_comment_is_not_logged(engine, caplog):
    (card,) = issue(engine)
    caplog.set_level(logging.DEBUG)
    store_feedback(engine, SERVICE, request_of(overridden(card, comment="moved to Lyon")))
    assert "Lyon" not in caplog.text
    assert "1 new" in caplog.text


def test_issued_cards_are_recorded_once(engine):
    cards = [IssuedCard(new_uuid(), "low", "info"), IssuedCard(new_uuid(), None, "warning")]
    kwargs = {"service_id": SERVICE, "hook": "patient-view", "hook_instance": new_uuid()}
    assert record_issued_cards(engine, cards=cards, issuer=ISSUER, **kwargs) == 2
    assert record_issued_cards(engine, cards=cards, **kwargs) == 0
    with engine.connect() as connection:
        rows = connection.execute(select(issued_table.c.tier, issued_table.c.issuer)).all()
        assert sorted(rows, key=lambda r: str(r.tier)) == [(None, ISSUER), ("low", ISSUER)]


def _issued_rows(engine: Engine) -> list[tuple]:
    with engine.connect() as connection:
        rows = connection.execute(select(issued_table).order_by(issued_table.c.card_uuid)).all()
    return [tuple(row[:-1]) for row in rows]  # all but issued_at


def test_the_hook_paths_writer_stores_the_same_rows_and_ignores_repeats(engine):
    """`add_issued_cards` (the hook call's: no RETURNING) writes what `record_issued_cards`
    writes, and a repeated card uuid (a retried call) is a no-op there too."""
    offered = Offered(suggestions=(new_uuid(),), override_reasons=((REASON_SYSTEM, "a"),))
    cards = [IssuedCard(new_uuid(), "high", "warning", offered=offered)]
    cards.append(IssuedCard(new_uuid(), None, "info"))
    kwargs = {"service_id": SERVICE, "hook": "patient-view", "hook_instance": new_uuid()}
    assert record_issued_cards(engine, cards=cards, issuer=ISSUER, **kwargs) == 2
    counted = _issued_rows(engine)
    with engine.begin() as connection:
        connection.execute(issued_table.delete())
    for _ in range(2):
        with engine.begin() as connection:
            add_issued_cards(connection, cards=cards, issuer=ISSUER, **kwargs)
    assert _issued_rows(engine) == counted
    with engine.begin() as connection, pytest.raises(FeedbackValidationError):
        add_issued_cards(connection, cards=cards, **{**kwargs, "hook": ""})


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
    request = request_of(overridden(*issue(engine), "other"))
    results = run_in_threads(8, lambda _: store_feedback(engine, SERVICE, request))
    assert sum(r.new for r in results) == 1
    assert sum(r.duplicate for r in results) == 7
    assert len(feedback_rows(engine)) == 1


def test_eight_threads_posting_different_cards_store_all(engine):
    cards = issue(engine, count=8)
    results = run_in_threads(
        8, lambda i: store_feedback(engine, SERVICE, request_of(accepted(cards[i])))
    )
    assert all(r == StoreResult(new=1, duplicate=0) for r in results)
    assert sorted(row.card_uuid for row in feedback_rows(engine)) == sorted(c.uuid for c in cards)


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


def test_feedback_survives_kill_9_right_after_storing(database_url, engine):
    (card,) = issue(engine)
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
        assert [row.card_uuid for row in feedback_rows(reopened)] == [card.uuid]
    finally:
        reopened.dispose()


# --- statistics ----------------------------------------------------------------------------


def test_statistics_per_service_and_tier(engine):
    low = issue(engine, SERVICE, "low", 4)
    high = issue(engine, SERVICE, "high", 2)
    untiered = issue(engine, SERVICE, None, 1)
    other = issue(engine, "pannet-order-sign", "intermediate", 1)
    store_feedback(
        engine,
        SERVICE,
        request_of(
            accepted(low[0]),
            overridden(low[1], "not-resected"),
            overridden(low[2], "not-resected", "MDT decided otherwise"),
            overridden(high[0]),  # no coded reason
            overridden(high[1], comment="comment only"),
            overridden(untiered[0], "patient-declined"),
        ),
    )
    # low[0] overridden later: it counts once, as overridden
    later = "2024-03-05T10:00:00Z"
    store_feedback(engine, SERVICE, request_of(overridden(low[0], "patient-declined", when=later)))
    # low[1] overridden again with another reason later: its latest reason counts
    store_feedback(engine, SERVICE, request_of(overridden(low[1], "other", when=later)))
    store_feedback(engine, SERVICE, request_of(accepted(low[0])))  # a duplicate changes nothing

    rows = {(r.tier, r.card_known): r for r in feedback_stats(engine, SERVICE)}
    assert list(rows) == [("low", True), ("high", True), (None, True)]

    low_row = rows[("low", True)]
    assert (low_row.cards_issued, low_row.cards_with_feedback, low_row.feedback_count) == (4, 3, 5)
    assert (low_row.accepted, low_row.overridden) == (0, 3)
    assert (low_row.acceptance_rate, low_row.override_rate) == (0.0, 0.75)
    assert [(r.code, r.count, r.display) for r in low_row.top_override_reasons] == [
        ("not-resected", 1, "Not-Resected"),
        ("other", 1, "Other"),
        ("patient-declined", 1, "Patient-Declined"),
    ]

    high_row = rows[("high", True)]
    assert (high_row.accepted, high_row.overridden, high_row.override_rate) == (0, 2, 1.0)
    assert high_row.top_override_reasons == []

    untiered_row = rows[(None, True)]
    assert (untiered_row.cards_issued, untiered_row.overridden) == (1, 1)

    everything = feedback_stats(engine)
    other_rows = [r for r in everything if r.service_id == "pannet-order-sign"]
    assert [(r.tier, r.cards_issued, r.feedback_count, r.acceptance_rate) for r in other_rows] == [
        ("intermediate", 1, 0, 0.0)
    ]
    del other


def test_a_card_accepted_after_an_override_counts_as_accepted(engine):
    (card,) = issue(engine, SERVICE, "high", 1)
    store_feedback(engine, SERVICE, request_of(accepted(card)))
    store_feedback(
        engine, SERVICE, request_of(overridden(card, "other", when="2024-03-02T10:00:00Z"))
    )
    # accepted again, repeating the first report: the latest report is now that one
    store_feedback(engine, SERVICE, request_of(accepted(card, when="2024-03-03T10:00:00Z")))
    (row,) = feedback_stats(engine, SERVICE)
    assert (row.accepted, row.overridden, row.cards_with_feedback, row.feedback_count) == (
        1,
        0,
        1,
        2,
    )


def test_feedback_about_unknown_cards_from_before_the_checks_is_reported_apart(engine):
    # rows written before feedback was checked against issued cards: straight into the table
    (card,) = issue(engine)
    store_feedback(engine, SERVICE, request_of(accepted(card)))
    with engine.begin() as connection:
        row = connection.execute(select(feedback_table)).mappings().one()
        stray = {
            **{k: v for k, v in row.items() if k != "id"},
            "card_uuid": new_uuid(),
            "fingerprint": "f" * 64,
        }
        connection.execute(feedback_table.insert().values(**stray))
    rows = {(r.tier, r.card_known): r for r in feedback_stats(engine, SERVICE)}
    unknown = rows[(None, False)]
    assert (unknown.cards_issued, unknown.accepted, unknown.feedback_count) == (0, 1, 1)
    assert unknown.acceptance_rate is None and unknown.override_rate is None


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
