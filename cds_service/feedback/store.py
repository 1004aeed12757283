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
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, Table, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from cds_service.cards.models import Card, Indicator, SelectionBehavior
from cds_service.feedback.checks import IssuedRecord, Offered, as_offered, check_request
from cds_service.feedback.errors import FeedbackStoreError, FeedbackValidationError
from cds_service.feedback.fingerprint import content_fingerprint
from cds_service.feedback.models import UUID_PATTERN, Feedback, FeedbackRequest
from cds_service.feedback.tables import (
    MAX_HOOK,
    MAX_HOOK_INSTANCE,
    MAX_ISSUER,
    MAX_SERVICE_ID,
    feedback,
    issued_cards,
)
from scoring.assessment import Tier

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IssuedCard:
    """A card the service returned: its `uuid`, the tier it stated (None when the card stated no
    tier, e.g. "incomplete data"), its indicator and what it offered (suggestion uuids, coded
    override reasons) for checking feedback about it."""

    uuid: str
    tier: Tier | None
    indicator: Indicator
    offered: Offered = field(default_factory=Offered)

    def __post_init__(self) -> None:
        if not UUID_PATTERN.match(self.uuid):
            raise ValueError(f"IssuedCard.uuid must be a lower-case UUID, got {self.uuid!r}")
        # Converted only when not of the enum already (as `IssuedCard.of` passes the indicator).
        if self.tier is not None and type(self.tier) is not Tier:
            object.__setattr__(self, "tier", Tier(self.tier))
        if type(self.indicator) is not Indicator:
            object.__setattr__(self, "indicator", Indicator(self.indicator))

    @classmethod
    def of(cls, card: Card, tier: Tier | str | None) -> IssuedCard:
        """The record of `card` as it goes to the client."""
        if card.uuid is None:
            raise ValueError("an issued card needs a uuid")
        # List comprehensions, not generators: a tuple of a list is built without a frame per
        # item.
        offered = Offered(
            suggestions=tuple([s.uuid for s in card.suggestions or () if s.uuid is not None]),
            override_reasons=tuple([(c.system, c.code) for c in card.override_reasons or ()]),
            at_most_one=card.selection_behavior is SelectionBehavior.AT_MOST_ONE,
        )
        return cls(uuid=card.uuid, tier=tier, indicator=card.indicator, offered=offered)


@dataclass(frozen=True)
class StoreResult:
    """How many entries of a request were new and how many repeated an already stored one."""

    new: int
    duplicate: int


def _require_text(name: str, value: str, max_length: int) -> None:
    if not value or len(value) > max_length:
        raise FeedbackValidationError([f"{name}: must be 1 to {max_length} characters"])


def _insert_ignoring_duplicates(
    engine: Engine, table: Table, key: Sequence[str], *, returning: bool = True
) -> sqlite.Insert | postgresql.Insert:
    # Built once per statement shape: building it cost more than running it.
    return _insert_statement(engine.dialect.name, table, tuple(key), returning)


@functools.cache
def _insert_statement(
    dialect: str, table: Table, key: tuple[str, ...], returning: bool = True
) -> sqlite.Insert | postgresql.Insert:
    # RETURNING tells inserted from ignored rows on both databases (rowcount is -1 on psycopg
    # when SQLAlchemy adds RETURNING for the primary key).
    if dialect == "sqlite":
        insert = sqlite.insert(table).on_conflict_do_nothing(index_elements=key)
    elif dialect == "postgresql":
        insert = postgresql.insert(table).on_conflict_do_nothing(index_elements=key)
    else:
        raise FeedbackStoreError(f"feedback storage supports SQLite and PostgreSQL, not {dialect}")
    return insert.returning(*(table.c[name] for name in key)) if returning else insert


def _issued_rows(
    *,
    service_id: str,
    hook: str,
    hook_instance: str,
    cards: Sequence[IssuedCard],
    issued_at: datetime | None,
    issuer: str | None,
) -> list[dict[str, object]]:
    """The `issued_cards` rows of `cards`, after checking the call's fields."""
    _require_text("serviceId", service_id, MAX_SERVICE_ID)
    _require_text("hook", hook, MAX_HOOK)
    _require_text("hookInstance", hook_instance, MAX_HOOK_INSTANCE)
    if issuer is not None:
        _require_text("issuer", issuer, MAX_ISSUER)
    when = (issued_at or datetime.now(UTC)).astimezone(UTC)
    # Values as parameters, not `.values(...)`: rebuilding the statement per row cost more than
    # running it.
    return [
        {
            "card_uuid": card.uuid,
            "service_id": service_id,
            "hook": hook,
            "hook_instance": hook_instance,
            "issuer": issuer,
            "tier": None if card.tier is None else card.tier.value,
            "indicator": card.indicator.value,
            "offered": card.offered.to_json(),
            "issued_at": when,
        }
        for card in cards
    ]


def record_issued_cards(
    engine: Engine,
    *,
    service_id: str,
    hook: str,
    hook_instance: str,
    cards: Sequence[IssuedCard],
    issued_at: datetime | None = None,
    issuer: str | None = None,
    connection: Connection | None = None,
) -> int:
    """Record cards returned by `service_id` to the client `issuer` (the verified JWT `iss`;
    None with JWT verification off); returns how many were not recorded before.

    Re-recording a card uuid (a retried call) is a no-op. On `connection` the rows join the
    transaction open there (the hook call's one transaction) instead of committing their own.
    """
    rows = _issued_rows(
        service_id=service_id,
        hook=hook,
        hook_instance=hook_instance,
        cards=cards,
        issued_at=issued_at,
        issuer=issuer,
    )
    if not rows:
        return 0
    statement = _insert_ignoring_duplicates(engine, issued_cards, ["card_uuid"])

    def insert_all(on: Connection) -> int:
        return sum(len(on.execute(statement, row).all()) for row in rows)

    try:
        if connection is not None:
            return insert_all(connection)
        with engine.begin() as own:
            return insert_all(own)
    except SQLAlchemyError as exc:
        raise FeedbackStoreError("could not record issued cards") from exc


def add_issued_cards(
    connection: Connection,
    *,
    service_id: str,
    hook: str,
    hook_instance: str,
    cards: Sequence[IssuedCard],
    issuer: str | None = None,
) -> None:
    """`record_issued_cards` on `connection`'s open transaction, for a caller that needs no
    count (the hook call): the same rows and duplicate handling, without RETURNING, so no
    result row is fetched per card (~7 us of a call on SQLite)."""
    rows = _issued_rows(
        service_id=service_id,
        hook=hook,
        hook_instance=hook_instance,
        cards=cards,
        issued_at=None,
        issuer=issuer,
    )
    statement = _insert_statement(connection.dialect.name, issued_cards, ("card_uuid",), False)
    try:
        for row in rows:
            connection.execute(statement, row)
    except SQLAlchemyError as exc:
        raise FeedbackStoreError("could not record issued cards") from exc


def fingerprint(item: Feedback) -> str:
    """What makes two reports about one card the same report (feedback.fingerprint)."""
    reason = item.override_reason
    coding = reason.reason if reason is not None else None
    return content_fingerprint(
        item.outcome.value,
        item.accepted_suggestion_ids,
        coding.system if coding else None,
        coding.code if coding else None,
        reason.user_comment if reason else None,
    )


def _feedback_row(service_id: str, item: Feedback, received_at: datetime) -> dict[str, object]:
    reason = item.override_reason
    coding = reason.reason if reason is not None else None
    return {
        "service_id": service_id,
        "card_uuid": item.card,
        "outcome": item.outcome.value,
        "fingerprint": fingerprint(item),
        "outcome_timestamp": item.outcome_timestamp,
        "latest_timestamp": item.outcome_timestamp,
        "accepted_suggestions": item.accepted_suggestion_ids,
        "override_reason_system": coding.system if coding is not None else None,
        "override_reason_code": coding.code if coding is not None else None,
        "override_reason_display": coding.display if coding is not None else None,
        "user_comment": reason.user_comment if reason is not None else None,
        "received_at": received_at,
    }


def _issued_records(connection: Connection, cards: set[str]) -> dict[str, IssuedRecord]:
    i = issued_cards
    rows = connection.execute(
        select(i.c.card_uuid, i.c.service_id, i.c.issuer, i.c.offered).where(
            i.c.card_uuid.in_(sorted(cards))
        )
    )
    return {
        row.card_uuid: IssuedRecord(row.service_id, row.issuer, Offered.from_json(row.offered))
        for row in rows
    }


def _repeat(connection: Connection, row: dict[str, object]) -> None:
    """A report already stored: only its latest outcomeTimestamp may move forward."""
    f = feedback
    connection.execute(
        update(f)
        .where(f.c.service_id == row["service_id"])
        .where(f.c.card_uuid == row["card_uuid"])
        .where(f.c.fingerprint == row["fingerprint"])
        .where(f.c.latest_timestamp < row["latest_timestamp"])
        .values(latest_timestamp=row["latest_timestamp"])
    )


def store_feedback(
    engine: Engine, service_id: str, request: FeedbackRequest, *, issuer: str | None = None
) -> StoreResult:
    """Check every entry of `request` against its issued card (feedback.checks) and store them
    all in one committed transaction, or none (CardNotIssued, FeedbackValidationError).

    `issuer` is the caller's verified JWT `iss` (None with JWT verification off: not compared).
    An entry whose content is already stored for its card, from an earlier request or earlier
    in this one, is counted as a duplicate; a later outcomeTimestamp only moves the stored
    row's `latest_timestamp`.
    """
    _require_text("serviceId", service_id, MAX_SERVICE_ID)
    received_at = datetime.now(UTC)
    statement = _insert_ignoring_duplicates(
        engine, feedback, ["service_id", "card_uuid", "fingerprint"]
    )
    new = 0
    try:
        with engine.begin() as connection:
            issued = _issued_records(connection, {item.card for item in request.feedback})
            check_request(request, service_id=service_id, issuer=issuer, issued=issued)
            for item in request.feedback:
                completed = as_offered(item, issued[item.card].offered)
                row = _feedback_row(service_id, completed, received_at)
                if connection.execute(statement.values(**row)).all():
                    new += 1
                else:
                    _repeat(connection, row)
    except SQLAlchemyError as exc:
        raise FeedbackStoreError("could not store feedback") from exc
    result = StoreResult(new=new, duplicate=len(request.feedback) - new)
    # Counts only: the entries may hold a clinician's free-text comment.
    log.info("feedback for %s: %d new, %d duplicate", service_id, result.new, result.duplicate)
    return result
