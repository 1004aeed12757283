"""The `jti` replay cache: each client JWT is accepted once.

CDS Hooks 2.0: `jti` is "a nonce ... used to protect against replay attacks". An entry is kept
until the token could no longer pass the `exp` check, after which the same (issuer, jti) is
treated as new. The SQL cache makes N replicas sharing one database behave as one: the insert
and the conflict check are a single statement guarded by a unique constraint.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    Insert,
    Integer,
    String,
    Table,
    UniqueConstraint,
    bindparam,
    delete,
    insert,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from cds_service.auth.errors import AuthUnavailableError
from cds_service.db import metadata

logger = logging.getLogger(__name__)

UtcClock = Callable[[], datetime]

MAX_ISSUER_CHARS = 2048
MAX_JTI_CHARS = 255

replay_table = Table(
    "auth_jwt_replay",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("issuer", String(MAX_ISSUER_CHARS), nullable=False),
    Column("jti", String(MAX_JTI_CHARS), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
    UniqueConstraint("issuer", "jti", name="uq_auth_jwt_replay_issuer_jti"),
)


class ReplayCache(Protocol):
    def seen_before(
        self, issuer: str, jti: str, expires_at: datetime, connection: Connection | None = None
    ) -> bool:
        """Record (issuer, jti) until `expires_at`; True if it was already recorded and still
        unexpired. Check and record are one atomic step. A SQL cache writes on `connection`,
        inside the caller's transaction, when one is given."""
        ...


def utc_now() -> datetime:
    return datetime.now(UTC)


def _as_utc(moment: datetime) -> datetime:
    # SQLite stores wall-clock text without the offset: every value must be in one zone.
    if moment.tzinfo is None:
        raise ValueError("expires_at must be timezone-aware")
    return moment.astimezone(UTC)


class InMemoryReplayCache:
    """For a single process (tests, development); thread-safe, prunes expired entries."""

    def __init__(self, clock: UtcClock = utc_now, prune_every: int = 1024) -> None:
        self._clock = clock
        self._prune_every = prune_every
        self._entries: dict[tuple[str, str], datetime] = {}
        self._inserts = 0
        self._lock = threading.Lock()

    def seen_before(
        self, issuer: str, jti: str, expires_at: datetime, connection: Connection | None = None
    ) -> bool:
        expires_at = _as_utc(expires_at)
        with self._lock:
            now = self._clock()
            recorded = self._entries.get((issuer, jti))
            if recorded is not None and recorded > now:
                return True
            self._entries[(issuer, jti)] = expires_at
            self._inserts += 1
            if self._inserts % self._prune_every == 0:
                self._entries = {k: v for k, v in self._entries.items() if v > now}
            return False

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


class SqlReplayCache:
    """Shared by every replica using the same database (PostgreSQL in production, SQLite too)."""

    def __init__(
        self,
        engine: Engine,
        clock: UtcClock = utc_now,
        prune_interval_seconds: float = 300.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._prune_interval = prune_interval_seconds
        self._monotonic = monotonic
        self._next_prune = monotonic()
        self._prune_lock = threading.Lock()
        self._upsert_statement: Insert | None = None

    def seen_before(
        self, issuer: str, jti: str, expires_at: datetime, connection: Connection | None = None
    ) -> bool:
        if len(issuer) > MAX_ISSUER_CHARS or len(jti) > MAX_JTI_CHARS:
            raise ValueError("issuer or jti longer than the replay cache stores")
        values = {"issuer": issuer, "jti": jti, "expires_at": _as_utc(expires_at)}
        now = self._clock()
        try:
            if connection is not None:
                # In the caller's transaction: its commit makes the entry count.
                new = connection.execute(*self._upsert(values, now)).first() is not None
            else:
                new = self._record(values, now)
        except SQLAlchemyError as error:
            raise AuthUnavailableError(
                f"replay cache unavailable: {type(error).__name__}"
            ) from None
        # On the caller's connection: a second transaction of this thread would wait for the
        # first one's lock on SQLite.
        self._maybe_prune(connection)
        return not new

    def _upsert(self, values: dict[str, object], now: datetime) -> tuple[Insert, dict]:
        """One statement: insert, or take over an expired entry; returns a row if it did. Built
        once per cache and run with bound values: building it per call cost more than the
        database round trip."""
        if self._upsert_statement is None:
            dialect = self._engine.dialect.name
            if dialect not in ("postgresql", "sqlite"):
                raise ValueError(
                    "the replay cache joins transactions on SQLite and PostgreSQL only"
                )
            module = postgresql if dialect == "postgresql" else sqlite
            moment = replay_table.c.expires_at.type
            statement = module.insert(replay_table).values(
                issuer=bindparam("p_issuer"),
                jti=bindparam("p_jti"),
                expires_at=bindparam("p_expires_at", type_=moment),
            )
            statement = statement.on_conflict_do_update(
                index_elements=[replay_table.c.issuer, replay_table.c.jti],
                set_={"expires_at": statement.excluded.expires_at},
                where=replay_table.c.expires_at <= bindparam("p_now", type_=moment),
            )
            # RETURNING, not rowcount: drivers report -1 for statements that return rows.
            self._upsert_statement = statement.returning(replay_table.c.id)
        bound = {f"p_{name}": value for name, value in values.items()}
        bound["p_now"] = now
        return self._upsert_statement, bound

    def _record(self, values: dict[str, object], now: datetime) -> bool:
        """Insert, or take over an expired entry; True if this call recorded the jti."""
        dialect = self._engine.dialect.name
        if dialect in ("postgresql", "sqlite"):
            with self._engine.begin() as connection:
                return connection.execute(*self._upsert(values, now)).first() is not None
        return self._record_portably(insert(replay_table).values(values), values, now)

    def _record_portably(self, statement: Insert, values: dict[str, object], now: datetime) -> bool:
        # Other databases: the unique constraint still makes exactly one insert win.
        try:
            with self._engine.begin() as connection:
                connection.execute(statement)
            return True
        except IntegrityError:
            pass
        takeover = (
            update(replay_table)
            .where(replay_table.c.issuer == values["issuer"])
            .where(replay_table.c.jti == values["jti"])
            .where(replay_table.c.expires_at <= now)
            .values(expires_at=values["expires_at"])
        )
        with self._engine.begin() as connection:
            return connection.execute(takeover).rowcount == 1

    def prune(self, connection: Connection | None = None) -> int:
        """Delete expired entries (in the transaction open on `connection`, if given); returns
        how many."""
        statement = delete(replay_table).where(replay_table.c.expires_at <= self._clock())
        if connection is not None:
            return connection.execute(statement).rowcount
        with self._engine.begin() as own:
            return own.execute(statement).rowcount

    def _maybe_prune(self, connection: Connection | None = None) -> None:
        if self._monotonic() < self._next_prune or not self._prune_lock.acquire(blocking=False):
            return
        try:
            self._next_prune = self._monotonic() + self._prune_interval
            if connection is not None:
                # A savepoint: a failed prune must not abort the caller's transaction.
                with connection.begin_nested():
                    self.prune(connection)
            else:
                self.prune()
        except SQLAlchemyError as error:
            # Housekeeping only: the jti was recorded; the next prune retries.
            logger.warning("pruning the replay cache failed: %s", type(error).__name__)
        finally:
            self._prune_lock.release()
