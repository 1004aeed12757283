"""The service's SQL database: one engine per app, SQLite file by default, PostgreSQL by URL.

Tables are declared beside the code that owns them, on the shared `metadata` below, and created
by `create_schema` at start-up.
"""

from __future__ import annotations

import time

from sqlalchemy import Engine, MetaData, create_engine, event
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

DEFAULT_DATABASE_URL = "sqlite:///pannet-cds.sqlite3"
_SCHEMA_ATTEMPTS = 20

metadata = MetaData()


def make_engine(url: str = DEFAULT_DATABASE_URL) -> Engine:
    """An engine for `url`; SQLite gets WAL and synchronous writes so acknowledged data survives
    a crash and concurrent writers wait instead of failing."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


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
