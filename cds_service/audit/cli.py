"""`pannet-cds audit export|prune`: the audit trail for clinical review, and its retention."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import click
from sqlalchemy import Engine

from cds_service.audit.errors import AuditStoreError
from cds_service.audit.export import ExportFormat, export_records
from cds_service.audit.store import RETENTION_ENV, prune_audit, read_audit
from cds_service.cli_support import IsoDateTime, fail, require_existing_database
from cds_service.db import create_schema, make_engine
from cds_service.settings import ConfigurationError, Settings


def _engine(database_url: str | None) -> Engine:
    try:
        url = database_url or Settings.from_env().database_url
    except ConfigurationError as exc:
        fail(str(exc))
    # Run in the wrong directory, a SQLite URL would create an empty database and answer
    # "0 records": refuse instead, naming the file and the variable.
    require_existing_database(url)
    engine = make_engine(url)
    # An existing database may predate the audit table; an empty export is then the honest answer.
    create_schema(engine)
    return engine


def _as_utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


_database_option = click.option(
    "--database-url",
    default=None,
    help="SQLAlchemy URL; default: $PANNET_CDS_DATABASE_URL or the service's SQLite file.",
)


@click.group(name="audit")
def audit_group() -> None:
    """The audit trail: one record per assessment (inputs with sources, versions, tier, cards)."""


@audit_group.command(name="export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice([f.value for f in ExportFormat]),
    default=ExportFormat.CSV.value,
    show_default=True,
)
@click.option("--since", type=IsoDateTime(), help="From this time (UTC if naive).")
@click.option("--until", type=IsoDateTime(), help="Before this time.")
@click.option("--service", "service_id", default=None, help="Only this CDS service id.")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File to write; default: standard output.",
)
@_database_option
def export_command(
    fmt: str,
    since: datetime | None,
    until: datetime | None,
    service_id: str | None,
    output: Path | None,
    database_url: str | None,
) -> None:
    """Export audit records, oldest first, as CSV (nested fields as JSON text) or JSON."""
    start, end = _as_utc(since), _as_utc(until)
    if start is not None and end is not None and start >= end:
        fail(f"--since {start.isoformat()} is not before --until {end.isoformat()}")
    engine = _engine(database_url)
    records = read_audit(engine, since=start, until=end, service_id=service_id)
    try:
        if output is None:
            count = export_records(records, sys.stdout, ExportFormat(fmt))
        else:
            with output.open("w", encoding="utf-8", newline="") as out:
                count = export_records(records, out, ExportFormat(fmt))
    except AuditStoreError as exc:
        fail(f"{exc} ({type(exc.__cause__).__name__})")
    except OSError as exc:
        fail(f"{output}: cannot be written ({exc.strerror})")
    click.echo(f"{count} audit record(s) exported", err=True)


@audit_group.command(name="prune")
@click.option(
    "--days",
    type=click.IntRange(min=1),
    envvar=RETENTION_ENV,
    required=True,
    help=f"Delete records older than this many days; default: ${RETENTION_ENV}.",
)
@_database_option
def prune_command(days: int, database_url: str | None) -> None:
    """Delete audit records older than the retention period."""
    engine = _engine(database_url)
    try:
        deleted = prune_audit(engine, retention_days=days)
    except AuditStoreError as exc:
        fail(f"{exc} ({type(exc.__cause__).__name__})")
    click.echo(f"{deleted} audit record(s) older than {days} days deleted")
