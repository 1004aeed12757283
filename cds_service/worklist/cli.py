"""`pannet-cds worklist`: the surveillance worklist of a FHIR server's patients (issue 15).

Registered lazily (`cds_service.cli._LAZY_COMMANDS`): `score` and `--help` never import this.
Every failure ends in one line on stderr and exit code 2 (`cli_support.fail`), never a
traceback; the output file is replaced only when the run succeeded (written beside it, then
renamed), so last week's worklist survives a failed run.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import click

from cds_service.cli_support import IsoDate, fail, site_config_option
from cds_service.worklist.cli_inputs import (
    TOKEN_ENV,
    SinceTime,
    bulk_client,
    since_instant,
    site_config,
)
from cds_service.worklist.cli_inputs import previous_worklist as previous_worklist_of

if TYPE_CHECKING:
    from cds_service.worklist.models import Worklist
    from cds_service.worklist.run import WorklistRun
    from scoring.site_config import SiteConfig

HELP = "The surveillance worklist of a FHIR server's patients, from a Bulk Data export."
_FORMATS = ("csv", "json", "html")


@click.command(
    "worklist",
    help=HELP,
    epilog=f"A bearer access token, when the server takes one, is read from {TOKEN_ENV}; SMART"
    " Backend Services use --client-id and --private-key instead.",
)
@click.option("--fhir-server", required=True, help="FHIR base URL with Bulk Data ($export).")
@click.option("--group", default=None, help="Export this Group's patients (Group/ID/$export).")
@click.option(
    "--since",
    type=SinceTime(),
    default=None,
    help="Incremental: re-score only patients with data changed since then (a date or time, UTC"
    " if naive, or 'previous': the previous run's export time) and merge with the previous"
    " worklist (--previous, or the -o file when it is JSON).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File to write; default: standard output.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(_FORMATS),
    default=None,
    help="Default: from the -o file's extension, else csv.",
)
@click.option(
    "--due-within",
    type=click.IntRange(0, 3650),
    default=30,
    show_default=True,
    help="An exam due within this many days is listed as due.",
)
@click.option(
    "--previous",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="The previous worklist (JSON) an incremental run merges with.",
)
@click.option("--today", type=IsoDate(), default=None, help="Plan for this date; default today.")
@site_config_option
@click.option("--client-id", default=None, help="SMART Backend Services client id.")
@click.option(
    "--private-key",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Backend Services signing key (PEM, or a private JWK / JWK Set as JSON).",
)
@click.option("--kid", default=None, help="Key id for the assertion; default the key's thumbprint.")
@click.option("--scope", default="system/*.rs", show_default=True, help="Scopes to request.")
@click.option("--token-url", default=None, help="Token endpoint; default from smart-configuration.")
@click.option(
    "--timeout",
    type=click.FloatRange(1, 86400),
    default=3600,
    show_default=True,
    help="Seconds to wait for the export to complete.",
)
@click.option(
    "--database-url",
    default=None,
    help="Audit trail database; default: $PANNET_CDS_DATABASE_URL or the service's SQLite file.",
)
def worklist_command(
    fhir_server: str,
    group: str | None,
    since: datetime | str | None,
    output: Path | None,
    fmt: str | None,
    due_within: int,
    previous: Path | None,
    today: date | None,
    config_path: Path | None,
    client_id: str | None,
    private_key: Path | None,
    kid: str | None,
    scope: str,
    token_url: str | None,
    timeout: float,
    database_url: str | None,
) -> None:
    from cds_service.hooks.fhir_server_url import fhir_server_problem

    fhir_server = fhir_server.rstrip("/")
    problem = fhir_server_problem(fhir_server)
    if problem:
        fail(f"--fhir-server {fhir_server[:80]!r}: {problem}")
    fmt = fmt or _format_of(output)
    previous_worklist = previous_worklist_of(previous, output, since)
    site = site_config(config_path)
    from cds_service.bulk.errors import BulkError
    from cds_service.http_session import outbound_session
    from cds_service.worklist.merge import MergeError
    from cds_service.worklist.run import WorklistRequest, build_worklist

    session = outbound_session()
    try:
        client = bulk_client(
            session, fhir_server, client_id, private_key, kid, scope, token_url, timeout
        )
        request = WorklistRequest(
            fhir_server=fhir_server,
            today=today or date.today(),
            site=site,
            due_within_days=due_within,
            group=group,
            since=since_instant(since, previous_worklist),
            previous=previous_worklist,
        )
        with tempfile.TemporaryDirectory(prefix="pannet-worklist-") as workdir:
            from cds_service.worklist.progress import Progress

            with Progress(enabled=sys.stderr.isatty()) as progress:
                run = build_worklist(
                    client, request, Path(workdir), report=progress.report, ticks=progress.ticks
                )
            try:
                _write(run, output, fmt)
                # the SMART app's worklist page reads the run as its JSON document
                document = _json_document(run, Path(workdir))
            finally:
                run.store.close()
    except BulkError as exc:
        fail(str(exc))
    except MergeError as exc:
        fail(str(exc))
    except (OSError, sqlite3.Error) as exc:
        # the scratch folder (downloaded files, the per-patient index): disk full, not writable
        fail(f"scratch files in {tempfile.gettempdir()}: {getattr(exc, 'strerror', None) or exc}")
    finally:
        session.close()
    _record(run.header, document, site, database_url)


def _format_of(output: Path | None) -> str:
    suffix = output.suffix.lower().lstrip(".") if output else ""
    return suffix if suffix in _FORMATS else "csv"


def _json_document(run: WorklistRun, workdir: Path) -> str:
    """The run as `--format json` writes it, streamed through a scratch file."""
    from cds_service.worklist.writers import write_json

    path = workdir / "stored.json"
    with path.open("w", encoding="utf-8") as out:
        write_json(run.header, run.rows(), run.without_net_ids(), out)
    return path.read_text(encoding="utf-8")


def _render(run: WorklistRun, fmt: str, stream: TextIO) -> None:
    from cds_service.worklist.writers import write_csv, write_json

    if fmt == "json":
        write_json(run.header, run.rows(), run.without_net_ids(), stream)
    elif fmt == "csv":
        write_csv(run.rows(), stream)
    else:
        from cds_service.worklist.html_page import render_worklist_html

        stream.write(render_worklist_html(run.whole()))  # one document anyway


def _write(run: WorklistRun, output: Path | None, fmt: str) -> None:
    if output is None:
        _render(run, fmt, sys.stdout)
        return
    directory = output.parent if str(output.parent) else Path(".")
    try:
        with tempfile.NamedTemporaryFile(
            "w",
            encoding="utf-8",
            newline="",
            dir=directory,
            prefix=f".{output.name}.",
            suffix=".tmp",
            delete=False,
        ) as handle:
            try:
                _render(run, fmt, handle)
            except BaseException:
                Path(handle.name).unlink(missing_ok=True)
                raise
        os.replace(handle.name, output)
    except OSError as exc:
        fail(f"{output}: cannot be written ({exc.strerror})")


def _record(worklist: Worklist, document: str, site: SiteConfig, database_url: str | None) -> None:
    """The run's audit line (`worklist`: the run without its rows; counts only), and the run's
    JSON `document` for the SMART app's worklist page, in the service's database (the file or
    standard output is already written)."""
    from cds_service.audit.errors import AuditStoreError
    from cds_service.db import make_engine
    from cds_service.settings import ConfigurationError, Settings
    from cds_service.worklist.audit_line import record_run, summary_text
    from cds_service.worklist.store import WorklistStoreError, save_worklist_document

    try:
        url = database_url or Settings.from_env().database_url
        record_run(url, worklist, site)
    except (ConfigurationError, AuditStoreError) as exc:
        fail(f"worklist written, but its audit record was not: {exc}")
    engine = make_engine(url)
    try:
        save_worklist_document(engine, worklist, document)
    except WorklistStoreError as exc:
        fail(f"worklist written, but not stored for the SMART app's worklist page: {exc}")
    finally:
        engine.dispose()
    click.echo(f"pannet-cds: {summary_text(worklist)}", err=True)
