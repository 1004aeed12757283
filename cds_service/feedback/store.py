"""Durable, idempotent storage of issued cards and of the feedback received about them.

Each call is one transaction, committed before it returns: an HTTP 200 sent after
`store_feedback` returned means the feedback is on disk (SQLite runs WAL with synchronous=FULL,
see `cds_service.db`). Duplicates are dropped by the database itself (INSERT ... ON CONFLICT DO
NOTHING on a unique key), so concurrent identical posts cannot race into two rows.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from cds_service.cards.models import Indicator
from cds_service.feedback.errors import FeedbackStoreError, FeedbackValidationError
from cds_service.feedback.models import UUID_PATTERN, Feedback, FeedbackRequest
from cds_service.feedback.tables import (
    MAX_HOOK,
    MAX_HOOK_INSTANCE,
    MAX_SERVICE_ID,
    feedback,
    issued_cards,
)
from scoring.assessment import Tier

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IssuedCard:
    """A card the service returned: its `uuid`, the tier it stated (None when the card stated no
    tier, e.g. "incomplete data") and its indicator."""

    uuid: str
    tier: Tier | None
    indicator: Indicator

    def __post_init__(self) -> None:
        if not UUID_PATTERN.match(self.uuid):
            raise ValueError(f"IssuedCard.uuid must be a lower-case UUID, got {self.uuid!r}")
        if self.tier is not None:
            object.__setattr__(self, "tier", Tier(self.tier))
        object.__setattr__(self, "indicator", Indicator(self.indicator))


@dataclass(frozen=True)
class StoreResult:
    """How many entries of a request were new and how many repeated an already stored one."""

    new: int
    duplicate: int


def _require_text(name: str, value: str, max_length: int) -> None:
    if not value or len(value) > max_length:
        raise FeedbackValidationError([f"{name}: must be 1 to {max_length} characters"])


def _insert_ignoring_duplicates(
    engine: Engine, table: Table, key: Sequence[str]
) -> sqlite.Insert | postgresql.Insert:
    # Built once per statement shape: building it cost more than running it.
    return _insert_statement(engine.dialect.name, table, tuple(key))


@functools.cache
def _insert_statement(
    dialect: str, table: Table, key: tuple[str, ...]
) -> sqlite.Insert | postgresql.Insert:
    # RETURNING tells inserted from ignored rows on both databases (rowcount is -1 on psycopg
    # when SQLAlchemy adds RETURNING for the primary key).
    if dialect == "sqlite":
        insert = sqlite.insert(table).on_conflict_do_nothing(index_elements=key)
    elif dialect == "postgresql":
        insert = postgresql.insert(table).on_conflict_do_nothing(index_elements=key)
    else:
        raise FeedbackStoreError(f"feedback storage supports SQLite and PostgreSQL, not {dialect}")
    return insert.returning(*(table.c[name] for name in key))


def record_issued_cards(
    engine: Engine,
    *,
    service_id: str,
    hook: str,
    hook_instance: str,
    cards: Sequence[IssuedCard],
    issued_at: datetime | None = None,
    connection: Connection | None = None,
) -> int:
    """Record cards returned by `service_id`; returns how many were not recorded before.

    Re-recording a card uuid (a retried call) is a no-op. On `connection` the rows join the
    transaction open there (the hook call's one transaction) instead of committing their own.
    """
    _require_text("serviceId", service_id, MAX_SERVICE_ID)
    _require_text("hook", hook, MAX_HOOK)
    _require_text("hookInstance", hook_instance, MAX_HOOK_INSTANCE)
    if not cards:
        return 0
    when = (issued_at or datetime.now(UTC)).astimezone(UTC)
    statement = _insert_ignoring_duplicates(engine, issued_cards, ["card_uuid"])

    def insert_all(on: Connection) -> int:
        recorded = 0
        for card in cards:
            # Values as parameters, not `.values(...)`: rebuilding the statement per row cost
            # more than running it.
            inserted = on.execute(
                statement,
                {
                    "card_uuid": card.uuid,
                    "service_id": service_id,
                    "hook": hook,
                    "hook_instance": hook_instance,
                    "tier": None if card.tier is None else card.tier.value,
                    "indicator": card.indicator.value,
                    "issued_at": when,
                },
            )
            recorded += len(inserted.all())
        return recorded

    try:
        if connection is not None:
            return insert_all(connection)
        with engine.begin() as own:
            return insert_all(own)
    except SQLAlchemyError as exc:
        raise FeedbackStoreError("could not record issued cards") from exc


def _feedback_row(service_id: str, item: Feedback, received_at: datetime) -> dict[str, object]:
    reason = item.override_reason
    coding = reason.reason if reason is not None else None
    return {
        "service_id": service_id,
        "card_uuid": item.card,
        "outcome": item.outcome.value,
        "outcome_timestamp": item.outcome_timestamp,
        "accepted_suggestions": item.accepted_suggestion_ids,
        "override_reason_system": coding.system if coding is not None else None,
        "override_reason_code": coding.code if coding is not None else None,
        "override_reason_display": coding.display if coding is not None else None,
        "user_comment": reason.user_comment if reason is not None else None,
        "received_at": received_at,
    }


def store_feedback(engine: Engine, service_id: str, request: FeedbackRequest) -> StoreResult:
    """Store every entry of `request` for `service_id` in one committed transaction.

    An entry whose (service, card, outcome) is already stored, from an earlier request or earlier
    in this one, is counted as a duplicate and leaves the stored row unchanged. Feedback about a
    card this service never recorded as issued is stored too; statistics report it apart.
    """
    _require_text("serviceId", service_id, MAX_SERVICE_ID)
    received_at = datetime.now(UTC)
    statement = _insert_ignoring_duplicates(
        engine, feedback, ["service_id", "card_uuid", "outcome"]
    )
    new = 0
    try:
        with engine.begin() as connection:
            for item in request.feedback:
                row = _feedback_row(service_id, item, received_at)
                new += len(connection.execute(statement.values(**row)).all())
    except SQLAlchemyError as exc:
        raise FeedbackStoreError("could not store feedback") from exc
    result = StoreResult(new=new, duplicate=len(request.feedback) - new)
    # Counts only: the entries may hold a clinician's free-text comment.
    log.info("feedback for %s: %d new, %d duplicate", service_id, result.new, result.duplicate)
    return result
