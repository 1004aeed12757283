"""SQL tables of the feedback subsystem, declared on the service's shared metadata."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    DateTime,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from cds_service.db import metadata
from cds_service.feedback.models import (
    MAX_CODING_CODE,
    MAX_CODING_DISPLAY,
    MAX_CODING_SYSTEM,
    MAX_USER_COMMENT,
)

MAX_SERVICE_ID = 128
MAX_HOOK = 128
MAX_HOOK_INSTANCE = 128

# Every card the service returned, so feedback can be related to the tier it showed.
issued_cards = Table(
    "issued_cards",
    metadata,
    Column("card_uuid", String(36), primary_key=True),
    Column("service_id", String(MAX_SERVICE_ID), nullable=False),
    Column("hook", String(MAX_HOOK), nullable=False),
    Column("hook_instance", String(MAX_HOOK_INSTANCE), nullable=False),
    # NULL = the card stated no tier (incomplete data), not "low".
    Column("tier", String(16), nullable=True),
    Column("indicator", String(16), nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("indicator IN ('info', 'warning', 'critical')", name="ck_issued_indicator"),
)
Index("ix_issued_cards_service_tier", issued_cards.c.service_id, issued_cards.c.tier)

# One row per (service, card, outcome): a client re-sending the same interaction, even with a
# later outcomeTimestamp, does not count twice; the first report received is kept.
feedback = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("service_id", String(MAX_SERVICE_ID), nullable=False),
    Column("card_uuid", String(36), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("outcome_timestamp", DateTime(timezone=True), nullable=False),
    Column("accepted_suggestions", JSON, nullable=False),
    Column("override_reason_system", String(MAX_CODING_SYSTEM), nullable=True),
    Column("override_reason_code", String(MAX_CODING_CODE), nullable=True),
    Column("override_reason_display", String(MAX_CODING_DISPLAY), nullable=True),
    Column("user_comment", String(MAX_USER_COMMENT), nullable=True),
    Column("received_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("service_id", "card_uuid", "outcome", name="uq_feedback_card_outcome"),
    CheckConstraint("outcome IN ('accepted', 'overridden')", name="ck_feedback_outcome"),
)
