"""Writing, reading and pruning audit records in the shared SQL database (SQLite or PostgreSQL),
so every replica writes to one trail."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, delete, insert, select
from sqlalchemy.exc import SQLAlchemyError

from cds_service.audit.errors import AuditStoreError
from cds_service.audit.records import AuditRecord
from cds_service.audit.tables import audit_records

log = logging.getLogger(__name__)

RETENTION_ENV = "PANNET_CDS_AUDIT_RETENTION_DAYS"
PRUNE_INTERVAL_S = 3600.0
_READ_BATCH = 500
# Built once, run with the row as parameters: `.values(**row)` per call cost a millisecond.
_INSERT = insert(audit_records).returning(audit_records.c.id)


def _utc(moment: datetime) -> datetime:
    # SQLite stores wall-clock text without the offset: every value must be in one zone.
    if moment.tzinfo is None:
        raise ValueError("audit timestamps must be timezone-aware")
    return moment.astimezone(UTC)


def audit_row(record: AuditRecord) -> dict[str, object]:
    """The table row of `record` (serialised once: `write_audit` accepts it ready-made, so a
    caller can build it before it opens its transaction)."""
    row = record.model_dump(mode="json", exclude={"id"})
    row["recorded_at"] = _utc(record.recorded_at)
    return row


def write_audit(
    engine: Engine,
    record: AuditRecord | dict[str, object],
    connection: Connection | None = None,
) -> int:
    """Store `record` (or its `audit_row`) in its own committed transaction, or in the one
    open on `connection` (then it is stored only if that transaction commits); returns its
    row id."""
    row = audit_row(record) if isinstance(record, AuditRecord) else record
    try:
        if connection is not None:
            return int(connection.execute(_INSERT, row).scalar_one())
        with engine.begin() as own:
            return int(own.execute(_INSERT, row).scalar_one())
    except SQLAlchemyError as exc:
        raise AuditStoreError("could not write the audit record") from exc


def read_audit(
    engine: Engine,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    service_id: str | None = None,
) -> Iterator[AuditRecord]:
    """Records with `since <= recorded_at < until` in the order they were written (time order
    as the service writes them), read in batches by id."""
    table = audit_records
    filters = []
    if since is not None:
        filters.append(table.c.recorded_at >= _utc(since))
    if until is not None:
        filters.append(table.c.recorded_at < _utc(until))
    if service_id is not None:
        filters.append(table.c.service_id == service_id)
    last_id = 0
    while True:
        query = (
            select(table)
            .where(*filters, table.c.id > last_id)
            .order_by(table.c.id)
            .limit(_READ_BATCH)
        )
        try:
            with engine.connect() as connection:
                rows = connection.execute(query).mappings().all()
        except SQLAlchemyError as exc:
            raise AuditStoreError("could not read audit records") from exc
        for row in rows:
            values = dict(row)
            recorded = values["recorded_at"]
            # SQLite gives back naive datetimes; they were written in UTC.
            if recorded.tzinfo is None:
                values["recorded_at"] = recorded.replace(tzinfo=UTC)
            yield AuditRecord.model_validate(values)
        if len(rows) < _READ_BATCH:
            return
        last_id = rows[-1]["id"]


def prune_audit(engine: Engine, *, retention_days: int, now: datetime | None = None) -> int:
    """Delete records older than `retention_days`; returns how many were deleted."""
    if retention_days < 1:
        raise ValueError("retention_days must be at least 1")
    cutoff = _utc(now or datetime.now(UTC)) - timedelta(days=retention_days)
    try:
        with engine.begin() as connection:
            result = connection.execute(
                delete(audit_records).where(audit_records.c.recorded_at < cutoff)
            )
            return int(result.rowcount)
    except SQLAlchemyError as exc:
        raise AuditStoreError("could not prune audit records") from exc


class AuditRecorder:
    """Writes records; with a retention period, prunes at most once per `prune_interval_s` per
    process (a replica that prunes removes old records for all, since the table is shared)."""

    def __init__(
        self,
        engine: Engine,
        retention_days: int | None,
        *,
        prune_interval_s: float = PRUNE_INTERVAL_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._engine = engine
        self.retention_days = retention_days
        self._interval = prune_interval_s
        self._monotonic = monotonic
        self._next_prune = monotonic()
        self._lock = threading.Lock()

    def record(
        self, record: AuditRecord | dict[str, object], connection: Connection | None = None
    ) -> int:
        """Write `record` (on `connection`: in its open transaction). Pruning runs apart, after
        the caller's transaction: call `maybe_prune` then."""
        row_id = write_audit(self._engine, record, connection)
        if connection is None:
            self.maybe_prune()
        return row_id

    def maybe_prune(self) -> None:
        self._maybe_prune()

    def _maybe_prune(self) -> None:
        if self.retention_days is None or self._monotonic() < self._next_prune:
            return
        if not self._lock.acquire(blocking=False):
            return
        try:
            self._next_prune = self._monotonic() + self._interval
            deleted = prune_audit(self._engine, retention_days=self.retention_days)
            if deleted:
                log.info(
                    "audit retention: %d record(s) older than %d days deleted",
                    deleted,
                    self.retention_days,
                )
        except AuditStoreError as exc:
            # Housekeeping only: the record itself was written; the next interval retries.
            log.warning("audit retention: pruning failed (%s)", type(exc.__cause__).__name__)
        finally:
            self._lock.release()
