"""The service's SQL database: one engine per app, SQLite file by default, PostgreSQL by URL.

Tables are declared beside the code that owns them, on the shared `metadata` below, and created
by `create_schema` at start-up.
"""

from __future__ import annotations

from sqlalchemy import Engine, MetaData, create_engine, event

DEFAULT_DATABASE_URL = "sqlite:///pannet-cds.sqlite3"

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
    metadata.create_all(engine)
