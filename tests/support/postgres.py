"""A database URL per test for the shared-database tests: a SQLite file, or PostgreSQL at
127.0.0.1:5432 (trust auth, database `test`, user postgres; PANNET_CDS_TEST_POSTGRES_URL
overrides) in a fresh schema of its own, dropped afterwards, so parallel runs never meet."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

POSTGRES_URL_ENV = "PANNET_CDS_TEST_POSTGRES_URL"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
# the `params` of a per-test `database_url` fixture: see database_url_of
DATABASES = ("sqlite", "postgresql")


def postgres_url() -> str:
    return os.environ.get(POSTGRES_URL_ENV, "").strip() or DEFAULT_POSTGRES_URL


@contextmanager
def postgres_schema_url() -> Iterator[str]:
    """A URL whose every connection works in a new schema; skips if PostgreSQL cannot be
    reached (the only reason a shared-database test may skip)."""
    url = postgres_url()
    admin = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as exc:
        admin.dispose()
        pytest.skip(
            f"PostgreSQL not reachable at {admin.url.host}:{admin.url.port} "
            f"({type(exc.orig).__name__}); set {POSTGRES_URL_ENV}"
        )
    schema = f"pannet_prod_{uuid.uuid4().hex[:12]}"
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        # libpq `options`: every connection of every engine built from this URL uses the schema.
        yield f"{url}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def database_url_of(kind: str, sqlite_file: Path) -> Iterator[str]:
    """A fresh database of `kind` (one of DATABASES): the SQLite file, or a PostgreSQL schema."""
    if kind == "sqlite":
        yield f"sqlite:///{sqlite_file}"
        return
    with postgres_schema_url() as url:
        yield url
