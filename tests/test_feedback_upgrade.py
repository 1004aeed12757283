"""A database of the first release (tables `issued_cards` and `feedback`, without issuer, offered
content or per-content key): its rows are copied into the current tables when the service first
creates them, so statistics keep their history; the old tables stay as they were."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    func,
    select,
)

from cds_service.db import create_schema, make_engine
from cds_service.feedback.errors import CardNotIssued
from cds_service.feedback.models import parse_feedback_request
from cds_service.feedback.stats import feedback_stats
from cds_service.feedback.store import store_feedback
from cds_service.feedback.tables import feedback, issued_cards

SERVICE = "pannet-cds-patient-view"
WHEN = datetime(2025, 6, 1, 10, tzinfo=UTC)

# The first release's tables, as cds_service/feedback/tables.py declared them.
V1 = MetaData()
V1_ISSUED = Table(
    "issued_cards",
    V1,
    Column("card_uuid", String(36), primary_key=True),
    Column("service_id", String(128), nullable=False),
    Column("hook", String(128), nullable=False),
    Column("hook_instance", String(128), nullable=False),
    Column("tier", String(16), nullable=True),
    Column("indicator", String(16), nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
)
V1_FEEDBACK = Table(
    "feedback",
    V1,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("service_id", String(128), nullable=False),
    Column("card_uuid", String(36), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("outcome_timestamp", DateTime(timezone=True), nullable=False),
    Column("accepted_suggestions", JSON, nullable=False),
    Column("override_reason_system", String(255), nullable=True),
    Column("override_reason_code", String(128), nullable=True),
    Column("override_reason_display", String(255), nullable=True),
    Column("user_comment", String(2000), nullable=True),
    Column("received_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("service_id", "card_uuid", "outcome"),
)


@pytest.fixture
def old_database(database_url):
    """A first-release database: two cards, one accepted then overridden, one untouched."""
    engine = make_engine(database_url)
    V1.create_all(engine)
    cards = [str(uuid.uuid4()), str(uuid.uuid4())]
    with engine.begin() as connection:
        for card, tier in zip(cards, ["high", "low"], strict=True):
            connection.execute(
                V1_ISSUED.insert().values(
                    card_uuid=card,
                    service_id=SERVICE,
                    hook="patient-view",
                    hook_instance=str(uuid.uuid4()),
                    tier=tier,
                    indicator="warning",
                    issued_at=WHEN,
                )
            )
        # executemany takes its columns from the first row: every row names them all
        common = {
            "service_id": SERVICE,
            "card_uuid": cards[0],
            "received_at": WHEN,
            "override_reason_system": None,
            "override_reason_code": None,
            "override_reason_display": None,
            "user_comment": None,
        }
        connection.execute(
            V1_FEEDBACK.insert(),
            [
                {
                    **common,
                    "outcome": "accepted",
                    "outcome_timestamp": WHEN,
                    "accepted_suggestions": [str(uuid.uuid4())],
                },
                {
                    **common,
                    "outcome": "overridden",
                    "outcome_timestamp": WHEN.replace(hour=11),
                    "accepted_suggestions": [],
                    "override_reason_system": "https://pannet-cds.org/CodeSystem/override-reason",
                    "override_reason_code": "patient-declined",
                    "override_reason_display": "Patient declined surveillance",
                },
            ],
        )
    yield engine, cards
    engine.dispose()


def count(engine, table) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(table)).scalar_one()


def test_first_release_rows_are_copied_once(old_database):
    engine, _ = old_database
    create_schema(engine)
    assert count(engine, issued_cards) == 2 and count(engine, feedback) == 2
    create_schema(engine)  # the next start: the tables exist, nothing is copied again
    assert count(engine, issued_cards) == 2 and count(engine, feedback) == 2
    assert count(engine, V1_ISSUED) == 2 and count(engine, V1_FEEDBACK) == 2  # left as they were
    rows = {(r.tier, r.card_known): r for r in feedback_stats(engine, SERVICE)}
    high = rows[("high", True)]
    assert (high.cards_issued, high.feedback_count, high.accepted, high.overridden) == (1, 2, 0, 1)
    assert [r.code for r in high.top_override_reasons] == ["patient-declined"]
    assert rows[("low", True)].cards_issued == 1


def test_feedback_about_a_first_release_card_cannot_be_checked_and_is_refused(old_database):
    engine, cards = old_database
    create_schema(engine)
    request = parse_feedback_request(
        {
            "feedback": [
                {
                    "card": cards[1],
                    "outcome": "overridden",
                    "overrideReason": {"userComment": "seen elsewhere"},
                    "outcomeTimestamp": "2026-01-01T10:00:00Z",
                }
            ]
        }
    )
    with pytest.raises(CardNotIssued):
        store_feedback(engine, SERVICE, request, issuer="https://ehr.example.org")
