"""The `pannet-cds` command line (the interface documentation's "Command line").

Start-up cost matters here: `score` and `--help` load only the scoring path. The server,
SQLAlchemy, the audit trail and the sandbox are imported inside the sub-commands that use them;
`score` builds only the FHIR model validators its record needs (`fhir_mappers.r4_models`), and
the report-text reader loads only for a record with report text (`tests/test_cli_imports.py`
holds these lines; `bench/cli_startup.py` measures them).
"""

from __future__ import annotations

import gc
import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

from cds_service.cli_lazy import LazyGroup
from cds_service.cli_support import IsoDate, fail, read_bounded, site_config_option

if TYPE_CHECKING:
    from cds_service.settings import Settings

# A FHIR Bundle for one patient is a few hundred kB; 20 MiB leaves room for a long history while
# refusing what would take minutes and gigabytes to validate (a 50 MB bundle: 27 min, 1 GB).
# Same idea as the HTTP body limit (5 MiB).
SCORE_MAX_BYTES = 20 * 1024 * 1024

_LAZY_COMMANDS = {
    "audit": (
        "cds_service.audit.cli:audit_group",
        "The audit trail: one record per assessment (inputs with sources, versions, tier, cards).",
    ),
    "sandbox": (
        "cds_service.sandbox.cli:sandbox_group",
        "Demo patients for a FHIR sandbox (e.g. the public CDS Hooks sandbox's server).",
    ),
    "worklist": (
        "cds_service.worklist.cli:worklist_command",
        "The surveillance worklist of a FHIR server's patients, from a Bulk Data export.",
    ),
}


@click.group(
    cls=LazyGroup,
    lazy_commands=_LAZY_COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
def main() -> None:
    """pannet-cds: recurrence-risk scores and surveillance after resection of a
    neuroendocrine tumour, as a CDS Hooks service."""


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, path_type=str))
@click.option(
    "--today",
    type=IsoDate(),
    default=None,
    help="Date to plan surveillance from (YYYY-MM-DD); default: today.",
)
@site_config_option
def score(file: str, today: date | None, config_path: Path | None) -> None:
    """Score a FHIR R4 Bundle (any type) or a JSON array of resources read from FILE
    ('-' for standard input, at most 20 MiB) and print the assessment as JSON."""
    # No cyclic garbage collection while the scoring path is imported: the imports create ~30,000
    # long-lived objects and almost no garbage (~1,000 collected), and each collection would walk
    # them again. Frozen afterwards, so the collections while the assessment builds its
    # validators skip them too. Together ~10 % of a `score` process's CPU time (bench/).
    gc.disable()
    # pydantic looks for plugins in every installed distribution's entry points when it builds
    # its first validator (~30 M instructions, 2 % of a `score` process); `score` uses none. An
    # operator who sets the variable (even to "") keeps their choice.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    try:
        from fhir_mappers.r4_models import build_models_when_used

        build_models_when_used()  # first: before any FHIR model class is defined
        from cds_service.scoring_pipeline import assess_payload
        from cds_service.site import load_site_config
        from fhir_mappers.errors import FhirInputError
        from scoring.site_config import SiteConfigError
    finally:
        gc.freeze()
        gc.enable()

    try:
        site = load_site_config(config_path)
    except SiteConfigError as exc:
        fail(str(exc))
    try:
        if file == "-":
            data = read_bounded(sys.stdin.buffer, SCORE_MAX_BYTES)
        else:
            with Path(file).open("rb") as stream:
                data = read_bounded(stream, SCORE_MAX_BYTES)
    except OSError as exc:
        fail(f"{file}: cannot be read ({exc.strerror})")
    if data is None:
        fail(f"{file}: larger than the limit of {SCORE_MAX_BYTES // (1024 * 1024)} MiB")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        fail(f"{file}: not UTF-8 text")
    if not text.strip():
        fail(f"{file}: file is empty (expected a FHIR Bundle or a JSON array of resources)")
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        fail(f"{file}: not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})")
    except RecursionError:
        fail(f"{file}: JSON nested too deeply")
    try:
        assessment = assess_payload(payload, today=today or date.today(), site=site)
    except FhirInputError as exc:
        fail(f"{file}: {exc}")
    click.echo(assessment.model_dump_json(indent=2))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=None, type=click.IntRange(1, 64), help="Default: CPU cores.")
def serve(host: str, port: int, workers: int | None) -> None:
    """Run the CDS Hooks service under gunicorn (configuration from PANNET_CDS_* variables)."""
    from sqlalchemy.exc import SQLAlchemyError

    from cds_service.server import prepare_metrics_dir, run_server
    from cds_service.settings import ConfigurationError, Settings
    from scoring.site_config import SiteConfigError

    # Before the app, and with it the metrics library, is first imported (see server.py).
    prepare_metrics_dir()
    from cds_service.app import create_app

    try:
        settings = Settings.from_env(serving=True)
        # Built once before forking so a bad configuration stops start-up with one clear line
        # (site configuration, trusted issuers, database) instead of failing in every worker.
        create_app(settings)
    except (ConfigurationError, SiteConfigError, ValueError) as exc:
        fail(str(exc))
    except SQLAlchemyError as exc:
        fail(f"database {settings.database_url.split('@')[-1]!r} unusable ({type(exc).__name__})")
    run_server(settings, host=host, port=port, workers=workers)


@main.command("feedback-stats")
@click.option("--service", "service_id", default=None, help="Only this CDS service id.")
@click.option("--json", "as_json", is_flag=True, help="JSON instead of a table.")
def feedback_stats_command(service_id: str | None, as_json: bool) -> None:
    """Acceptance and override rates of the cards, per service and tier, from the database
    named by PANNET_CDS_DATABASE_URL (it must exist: statistics never create one)."""
    from cds_service.cli_feedback import feedback_stats_table, read_feedback_stats

    rows = read_feedback_stats(_settings(), service_id)
    if as_json:
        click.echo(json.dumps([row.model_dump(mode="json") for row in rows], indent=2))
        return
    click.echo(feedback_stats_table(rows))


def _settings() -> Settings:
    from cds_service.settings import ConfigurationError, Settings

    try:
        return Settings.from_env()
    except ConfigurationError as exc:
        fail(str(exc))


if __name__ == "__main__":
    main()
