"""The service's SQL database: one engine per app, SQLite file by default, PostgreSQL by URL.

Tables are declared beside the code that owns them, on the shared `metadata` below, and created
by `create_schema` at start-up.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TypeVar

import orjson
from sqlalchemy import Connection, Engine, MetaData, create_engine, event
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

DEFAULT_DATABASE_URL = "sqlite:///pannet-cds.sqlite3"
_SCHEMA_ATTEMPTS = 20
_DEAD_CONNECTION_ATTEMPTS = 2
# Below the usual 1 h idle cut of cloud load balancers and PgBouncer's server_lifetime.
POOL_RECYCLE_S = 1800
# A worker runs 8 threads (cds_service.server): each holds at most one connection per call.
POOL_SIZE = 10
POOL_OVERFLOW = 10

T = TypeVar("T")
# Without `default`, orjson raises for these instead of writing them its own way.
_ORJSON_NATIVE_ONLY = (
    orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)

metadata = MetaData()


def json_text(value: object) -> str:
    """The text a JSON column stores: orjson's (compact, UTF-8), ~10x faster than `json.dumps`
    for an audit record's inputs; the same value and key order when read back. What orjson
    would write as another value (a subclass of str, int, dict or list, a date, a dataclass, an
    int beyond 64 bits, a non-str key) is written by `json.dumps` as before."""
    try:
        return orjson.dumps(value, option=_ORJSON_NATIVE_ONLY).decode()
    except TypeError:  # orjson.JSONEncodeError
        return json.dumps(value)


def make_engine(url: str = DEFAULT_DATABASE_URL) -> Engine:
    """An engine for `url`; SQLite gets WAL and synchronous writes so acknowledged data survives
    a crash and concurrent writers wait instead of failing. JSON columns are written by
    `json_text`."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, json_serializer=json_text)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    # No pre-ping: it cost one round trip per transaction. A connection the server or a
    # firewall dropped is caught instead by `in_transaction`, which retries once on a fresh
    # one; `pool_recycle` replaces connections before common idle timeouts cut them.
    return create_engine(
        url,
        json_serializer=json_text,
        pool_pre_ping=False,
        pool_recycle=POOL_RECYCLE_S,
        pool_size=POOL_SIZE,
        max_overflow=POOL_OVERFLOW,
    )


def in_transaction(engine: Engine, work: Callable[[Connection], T]) -> T:
    """`work(connection)` in one transaction, committed when it returns (rolled back when it
    raises). If the pooled connection turns out dead (server restart, idle cut) before the
    commit was sent, nothing was written: the work runs once more on a fresh connection. A
    failure during the commit itself is not retried, since the commit may have landed."""
    for attempt in range(1, _DEAD_CONNECTION_ATTEMPTS + 1):
        with engine.connect() as connection:
            transaction = connection.begin()
            try:
                result = work(connection)
            except Exception:
                transaction.rollback()
                # SQLAlchemy invalidates a connection whose error means "disconnected", also
                # when `work` wrapped that error in its own exception type.
                if connection.invalidated and attempt < _DEAD_CONNECTION_ATTEMPTS:
                    continue
                raise
            transaction.commit()
            return result
    raise AssertionError("unreachable")  # pragma: no cover


def create_schema(engine: Engine) -> None:
    """Create the tables that do not exist yet. gunicorn workers start at the same moment on
    one database, and `create_all` checks, then creates: a worker that loses the race for a
    table gets "already exists" (SQLite, PostgreSQL's catalog unique index) and tries again,
    when the check sees the table."""
    for attempt in range(1, _SCHEMA_ATTEMPTS + 1):
        try:
            metadata.create_all(engine)
            return
        except (OperationalError, ProgrammingError, IntegrityError) as exc:
            if attempt == _SCHEMA_ATTEMPTS or "exist" not in str(exc.orig).lower():
                raise
            time.sleep(min(0.05 * attempt, 0.5))
