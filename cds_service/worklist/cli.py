"""`pannet-cds worklist`: the surveillance worklist of a FHIR server's patients (issue 15).

Registered lazily (`cds_service.cli._LAZY_COMMANDS`): `score` and `--help` never import this.
Every failure ends in one line on stderr and exit code 2 (`cli_support.fail`), never a
traceback; the output file is replaced only when the run succeeded (written beside it, then
renamed), so last week's worklist survives a failed run.
"""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import click

from cds_service.cli_support import IsoDate, IsoDateTime, fail

if TYPE_CHECKING:
    import requests

    from cds_service.bulk.client import BulkClient
    from cds_service.worklist.models import Worklist
    from cds_service.worklist.run import WorklistRun
    from scoring.site_config import SiteConfig

TOKEN_ENV = "PANNET_CDS_BULK_TOKEN"
HELP = "The surveillance worklist of a FHIR server's patients, from a Bulk Data export."
_FORMATS = ("csv", "json", "html")


PREVIOUS = "previous"


class SinceTime(IsoDateTime):
    """A date or time as `IsoDateTime`, a FHIR instant (a manifest's transactionTime, with
    fractions of a second and Z), or 'previous'."""

    name = "YYYY-MM-DD[Thh:mm:ss[.sss][Z|+hh:mm]]|previous"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime | str:
        if value == PREVIOUS or isinstance(value, datetime):
            return value  # type: ignore[return-value]
        try:
            return datetime.fromisoformat(str(value))
        except ValueError:
            return super().convert(value, param, ctx)


@click.command("worklist", help=HELP)
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
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="PANNET_CDS_CONFIG",
    default=None,
    help="Site configuration (YAML/JSON).",
)
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
    previous_worklist = _previous(previous, output, since)
    site = _site(config_path)
    from cds_service.bulk.errors import BulkError
    from cds_service.http_session import outbound_session
    from cds_service.worklist.merge import MergeError
    from cds_service.worklist.run import WorklistRequest, build_worklist

    session = outbound_session()
    try:
        client = _client(
            session, fhir_server, client_id, private_key, kid, scope, token_url, timeout
        )
        request = WorklistRequest(
            fhir_server=fhir_server,
            today=today or date.today(),
            site=site,
            due_within_days=due_within,
            group=group,
            since=_since(since, previous_worklist),
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
            finally:
                run.store.close()
    except BulkError as exc:
        fail(str(exc))
    except MergeError as exc:
        fail(str(exc))
    finally:
        session.close()
    worklist = run.header
    _audit(worklist, site, database_url)


def _format_of(output: Path | None) -> str:
    suffix = output.suffix.lower().lstrip(".") if output else ""
    return suffix if suffix in _FORMATS else "csv"


def _previous(
    previous: Path | None, output: Path | None, since: datetime | str | None
) -> Worklist | None:
    from pydantic import ValidationError

    from cds_service.worklist.models import Worklist

    if since is None:
        if previous is not None:
            fail("--previous is only used with --since (an incremental run)")
        return None
    path = previous or (output if output and output.suffix.lower() == ".json" else None)
    if path is None or not path.is_file():
        fail(
            "--since needs the previous worklist to merge with: give --previous FILE (a JSON"
            " worklist) or -o FILE.json of last run"
        )
    try:
        return Worklist.model_validate_json(path.read_bytes())
    except OSError as exc:
        fail(f"{path}: cannot be read ({exc.strerror})")
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(root)"
        fail(f"{path}: not a worklist JSON file ({where}: {first['msg']})")


def _site(config_path: Path | None) -> SiteConfig:
    from cds_service.site import load_site_config
    from scoring.site_config import SiteConfigError

    try:
        return load_site_config(config_path)
    except SiteConfigError as exc:
        fail(str(exc))


def _client(
    session: requests.Session,
    fhir_server: str,
    client_id: str | None,
    private_key: Path | None,
    kid: str | None,
    scope: str,
    token_url: str | None,
    timeout: float,
) -> BulkClient:
    from cds_service.bulk.auth import (
        Authorizer,
        BackendServices,
        BearerToken,
        NoAuth,
        load_private_key,
    )
    from cds_service.bulk.client import BulkClient

    token = os.environ.get(TOKEN_ENV, "").strip()
    if (client_id is None) != (private_key is None):
        fail("SMART Backend Services needs both --client-id and --private-key")
    if client_id and token:
        fail(f"give either {TOKEN_ENV} (a bearer token) or --client-id/--private-key, not both")
    auth: Authorizer
    if client_id and private_key:
        auth = BackendServices(
            session=session,
            fhir_base=fhir_server,
            client_id=client_id,
            key=load_private_key(private_key),
            kid=kid,
            scope=scope,
            token_url=token_url,
        )
    elif token:
        auth = BearerToken(token)
    else:
        auth = NoAuth()
    return BulkClient(fhir_server, auth, session, export_timeout_s=timeout)


def _since(since: datetime | str | None, previous: Worklist | None) -> str | None:
    """A FHIR instant for `_since` (a naive time is taken as UTC)."""
    if since is None:
        return None
    if isinstance(since, str):  # 'previous'
        if previous is None or not previous.transaction_time:
            fail("--since previous: the previous worklist records no export time; give a date")
        return previous.transaction_time
    aware = since.replace(tzinfo=UTC) if since.tzinfo is None else since
    utc = aware.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _render(run: WorklistRun, fmt: str, stream: TextIO) -> None:
    from cds_service.worklist.writers import write_csv, write_json

    if fmt == "json":
        write_json(run.header, run.rows(), run.without_net_ids(), stream)
    elif fmt == "csv":
        write_csv(run.rows(), stream)
    else:
        from cds_service.worklist.html_page import render_worklist_html

        stream.write(render_worklist_html(run.whole()))


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


def _audit(worklist: Worklist, site: SiteConfig, database_url: str | None) -> None:
    from cds_service.audit.errors import AuditStoreError
    from cds_service.settings import ConfigurationError, Settings
    from cds_service.worklist.audit_line import record_run, summary_text

    try:
        url = database_url or Settings.from_env().database_url
        record_run(url, worklist, site)
    except (ConfigurationError, AuditStoreError) as exc:
        fail(f"worklist written, but its audit record was not: {exc}")
    click.echo(f"pannet-cds: {summary_text(worklist)}", err=True)
