"""From the first release's feedback tables to the current ones, once: when the current tables
are created (`CREATE TABLE IF NOT EXISTS` cannot add columns or change a unique key), in the
same transaction, so of several workers starting together only the one that creates a table
copies into it.

`issued_cards` rows are copied with no issuer and nothing recorded as offered (the first release
stored neither): their statistics live on, and feedback about them, which cannot be checked
against the card, is refused like feedback about any card not issued to the caller. `feedback`
rows are copied with their content fingerprint. The old tables are left as they were.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from sqlalchemy import Connection, MetaData, Table, inspect, select

from cds_service.feedback.fingerprint import content_fingerprint

V1_ISSUED = "issued_cards"
V1_FEEDBACK = "feedback"
UNKNOWN_OFFER = {"suggestions": [], "overrideReasons": [], "atMostOne": True}
_BATCH = 1000

Row = Mapping[str, Any]


def _old_rows(connection: Connection, name: str, order_by: str) -> Iterator[Row] | None:
    if not inspect(connection).has_table(name):
        return None
    old = Table(name, MetaData(), autoload_with=connection)
    result = connection.execute(select(old).order_by(old.c[order_by]))
    return iter(result.mappings())


def _copy(
    target: Table, connection: Connection, name: str, order_by: str, convert: Callable[[Row], dict]
) -> None:
    rows = _old_rows(connection, name, order_by)
    if rows is None:
        return
    # Read whole first: SQLite cannot insert while a SELECT on the same connection is open.
    converted = [convert(row) for row in rows]
    for start in range(0, len(converted), _BATCH):
        connection.execute(target.insert(), converted[start : start + _BATCH])


def _issued(row: Row) -> dict:
    return {
        "card_uuid": row["card_uuid"],
        "service_id": row["service_id"],
        "hook": row["hook"],
        "hook_instance": row["hook_instance"],
        "issuer": None,
        "tier": row["tier"],
        "indicator": row["indicator"],
        "offered": UNKNOWN_OFFER,
        "issued_at": row["issued_at"],
    }


def _feedback(row: Row) -> dict:
    suggestions = row["accepted_suggestions"] or []
    return {
        "service_id": row["service_id"],
        "card_uuid": row["card_uuid"],
        "outcome": row["outcome"],
        "fingerprint": content_fingerprint(
            row["outcome"],
            suggestions,
            row["override_reason_system"],
            row["override_reason_code"],
            row["user_comment"],
        ),
        "outcome_timestamp": row["outcome_timestamp"],
        "latest_timestamp": row["outcome_timestamp"],
        "accepted_suggestions": suggestions,
        "override_reason_system": row["override_reason_system"],
        "override_reason_code": row["override_reason_code"],
        "override_reason_display": row["override_reason_display"],
        "user_comment": row["user_comment"],
        "received_at": row["received_at"],
    }


def copy_issued_cards(target: Table, connection: Connection, **_: object) -> None:
    """`after_create` listener of the current issued-card table."""
    _copy(target, connection, V1_ISSUED, "issued_at", _issued)


def copy_feedback(target: Table, connection: Connection, **_: object) -> None:
    """`after_create` listener of the current feedback table."""
    _copy(target, connection, V1_FEEDBACK, "id", _feedback)
