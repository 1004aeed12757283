"""Worklist runs in the service's SQL database (SQLite or PostgreSQL), so the SMART app can show
the latest one for the FHIR server it was launched from, and an incremental run can find the
run it merges with. One row per run: the Worklist JSON as written (`format_version` inside),
with the FHIR server, the Group and the run's time as indexed columns to find it by."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import ValidationError
from sqlalchemy import Column, DateTime, Engine, Index, Integer, String, Table, Text, select
from sqlalchemy.exc import SQLAlchemyError

from cds_service.db import create_schema, metadata
from cds_service.worklist.models import Worklist

MAX_FHIR_SERVER = 512
MAX_GROUP = 128
# Where no Group was given (a Patient-level export): stored as '' rather than NULL so that
# one equality test finds it on every database (NULL = NULL is not true in SQL).
ALL_PATIENTS = ""

worklist_runs = Table(
    "worklist_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("fhir_server", String(MAX_FHIR_SERVER), nullable=False),
    Column("group_id", String(MAX_GROUP), nullable=False),
    Column("generated_at", DateTime(timezone=True), nullable=False),
    Column("format_version", Integer, nullable=False),
    # Text, not JSON: the document is read back whole and validated by the model; a JSON column
    # would reorder keys on PostgreSQL (jsonb) and gain nothing.
    Column("document", Text, nullable=False),
)
Index(
    "ix_worklist_runs_server_group_time",
    worklist_runs.c.fhir_server,
    worklist_runs.c.group_id,
    worklist_runs.c.generated_at,
)


class WorklistStoreError(Exception):
    """The worklist could not be stored or read; the message names what, never patient data."""


def normalise_server(url: str) -> str:
    """The key a FHIR base is stored under: a trailing slash or surrounding space does not make
    it another server (SMART `iss` values are compared the same way)."""
    return url.strip().rstrip("/")


def _moment(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise WorklistStoreError(f"generated_at is not an ISO date-time: {value!r}") from None
    # SQLite keeps wall-clock text without the offset: store every run in UTC.
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def save_worklist(engine: Engine, worklist: Worklist) -> int:
    """Store one run; returns its row id. The worklist must name its FHIR server (that is how
    the app finds it)."""
    return save_worklist_document(engine, worklist, worklist.model_dump_json())


def save_worklist_document(engine: Engine, header: Worklist, document: str) -> int:
    """Store one run given as its JSON `document` (what `writers.write_json` streams, so a
    long list never has to be a model in memory); `header` is the run without its rows."""
    if not header.fhir_server:
        raise WorklistStoreError("a worklist without its FHIR server cannot be stored")
    server = normalise_server(header.fhir_server)
    if len(server) > MAX_FHIR_SERVER or len(header.group or "") > MAX_GROUP:
        raise WorklistStoreError("the FHIR server URL or the Group id is too long to store")
    row = {
        "fhir_server": server,
        "group_id": header.group or ALL_PATIENTS,
        "generated_at": _moment(header.generated_at),
        "format_version": header.format_version,
        "document": document,
    }
    try:
        # The command line may be the first to use this database; the service creates its
        # tables at start-up the same way (race-safe between processes).
        create_schema(engine)
        with engine.begin() as connection:
            result = connection.execute(worklist_runs.insert().values(**row))
            return int(result.inserted_primary_key[0])
    except SQLAlchemyError as exc:
        raise WorklistStoreError(f"could not store the worklist ({type(exc).__name__})") from None


def latest_worklist(engine: Engine, fhir_server: str, group: str | None = None) -> Worklist | None:
    """The most recent run for `fhir_server`: of `group` when given (`ALL_PATIENTS`, '', for
    the Patient-level runs: what an incremental run without --group merges with), else of any
    group or none (the newest run over the server: what the SMART app shows). None when no run
    was stored."""
    table = worklist_runs
    query = select(table.c.document).where(table.c.fhir_server == normalise_server(fhir_server))
    if group is not None:
        query = query.where(table.c.group_id == group)
    # id breaks ties between runs stamped with the same second
    query = query.order_by(table.c.generated_at.desc(), table.c.id.desc()).limit(1)
    try:
        with engine.connect() as connection:
            document = connection.execute(query).scalar_one_or_none()
    except SQLAlchemyError as exc:
        raise WorklistStoreError(f"could not read worklists ({type(exc).__name__})") from None
    if document is None:
        return None
    try:
        return Worklist.model_validate_json(document)
    except ValidationError:
        # A run written by another format version this code cannot read.
        raise WorklistStoreError(
            "the latest stored worklist cannot be read by this version of pannet-cds; "
            "produce a new one with `pannet-cds worklist`"
        ) from None
