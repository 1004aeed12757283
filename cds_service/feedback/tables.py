"""SQL tables of the feedback subsystem, declared on the service's shared metadata.

The SQL names carry a version: the tables of the first release (`issued_cards`, `feedback`)
lacked the issuer, what each card offered and the per-content key of feedback, and `CREATE
TABLE IF NOT EXISTS` cannot change an existing table. Their rows are copied into the current
tables when those are created (`feedback.upgrade`); the old tables are left untouched.
"""

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
    event,
)

from cds_service.db import metadata
from cds_service.feedback.models import (
    MAX_CODING_CODE,
    MAX_CODING_DISPLAY,
    MAX_CODING_SYSTEM,
    MAX_USER_COMMENT,
)
from cds_service.feedback.upgrade import copy_feedback, copy_issued_cards

MAX_SERVICE_ID = 128
MAX_HOOK = 128
MAX_HOOK_INSTANCE = 128
MAX_ISSUER = 512

# Every card the service returned, so feedback can be checked against it (the client it was
# issued to, what it offered) and related to the tier it showed.
issued_cards = Table(
    "issued_cards_v2",
    metadata,
    Column("card_uuid", String(36), primary_key=True),
    Column("service_id", String(MAX_SERVICE_ID), nullable=False),
    Column("hook", String(MAX_HOOK), nullable=False),
    Column("hook_instance", String(MAX_HOOK_INSTANCE), nullable=False),
    # The verified JWT `iss` of the call; NULL when JWT verification was off.
    Column("issuer", String(MAX_ISSUER), nullable=True),
    # NULL = the card stated no tier (incomplete data), not "low".
    Column("tier", String(16), nullable=True),
    Column("indicator", String(16), nullable=False),
    # {"suggestions": [uuid...], "overrideReasons": [[system, code]...], "atMostOne": bool}
    Column("offered", JSON, nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("indicator IN ('info', 'warning', 'critical')", name="ck_issued_v2_indicator"),
)
Index("ix_issued_cards_v2_service_tier", issued_cards.c.service_id, issued_cards.c.tier)

# One row per distinct report about a card: same card, same outcome and same content (accepted
# suggestions, or coded reason and comment) is one row however often it is sent, even with a later
# outcomeTimestamp (that only moves `latest_timestamp`); a changed outcome or a second, different
# override is a new row. `fingerprint` is the hash of that content (feedback.fingerprint).
feedback = Table(
    "feedback_v2",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("service_id", String(MAX_SERVICE_ID), nullable=False),
    Column("card_uuid", String(36), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    # First reported outcomeTimestamp of this content, and the latest one (a repeat moves it).
    Column("outcome_timestamp", DateTime(timezone=True), nullable=False),
    Column("latest_timestamp", DateTime(timezone=True), nullable=False),
    Column("accepted_suggestions", JSON, nullable=False),
    Column("override_reason_system", String(MAX_CODING_SYSTEM), nullable=True),
    Column("override_reason_code", String(MAX_CODING_CODE), nullable=True),
    Column("override_reason_display", String(MAX_CODING_DISPLAY), nullable=True),
    Column("user_comment", String(MAX_USER_COMMENT), nullable=True),
    Column("received_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("service_id", "card_uuid", "fingerprint", name="uq_feedback_v2_content"),
    CheckConstraint("outcome IN ('accepted', 'overridden')", name="ck_feedback_v2_outcome"),
)
Index("ix_feedback_v2_card", feedback.c.service_id, feedback.c.card_uuid)

event.listen(issued_cards, "after_create", copy_issued_cards)
event.listen(feedback, "after_create", copy_feedback)
