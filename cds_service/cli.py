"""The `pannet-cds` command line (cds-api.md "Command line")."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import click

from cds_service.audit.cli import audit_group
from cds_service.cli_support import fail
from cds_service.sandbox.cli import sandbox_group
from cds_service.scoring_pipeline import assess_payload
from cds_service.settings import ConfigurationError, Settings
from cds_service.site import load_site_config
from fhir_mappers.errors import FhirInputError
from scoring.site_config import SiteConfigError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """pannet-cds: recurrence-risk scores and surveillance after resection of a
    neuroendocrine tumour, as a CDS Hooks service."""


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, path_type=str))
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Date to plan surveillance from (YYYY-MM-DD); default: today.",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="PANNET_CDS_CONFIG",
    default=None,
    help="Site configuration file (YAML/JSON); default: $PANNET_CDS_CONFIG.",
)
def score(file: str, today: object, config_path: Path | None) -> None:
    """Score a FHIR R4 Bundle (any type) or a JSON array of resources read from FILE
    ('-' for standard input) and print the assessment as JSON."""
    try:
        site = load_site_config(config_path)
    except SiteConfigError as exc:
        fail(str(exc))
    try:
        if file == "-":
            text = sys.stdin.buffer.read().decode("utf-8")
        else:
            text = Path(file).read_text(encoding="utf-8")
    except OSError as exc:
        fail(f"{file}: cannot be read ({exc.strerror})")
    except UnicodeDecodeError:
        fail(f"{file}: not UTF-8 text")
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        fail(f"{file}: not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})")
    except RecursionError:
        fail(f"{file}: JSON nested too deeply")
    day = today.date() if today is not None else date.today()  # type: ignore[attr-defined]
    try:
        assessment = assess_payload(payload, today=day, site=site)
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
    named by PANNET_CDS_DATABASE_URL."""
    from cds_service.db import create_schema, make_engine
    from cds_service.feedback.errors import FeedbackStoreError
    from cds_service.feedback.stats import feedback_stats

    try:
        engine = make_engine(Settings.from_env().database_url)
        create_schema(engine)
        rows = feedback_stats(engine, service_id)
    except (ConfigurationError, FeedbackStoreError) as exc:
        fail(str(exc))
    if as_json:
        click.echo(json.dumps([row.model_dump(mode="json") for row in rows], indent=2))
        return
    click.echo(
        f"{'service':<36} {'tier':<13} {'issued':>6} {'accepted':>8} {'overridden':>10}"
        f" {'accept %':>8} {'override %':>10}"
    )
    for row in rows:
        click.echo(
            f"{row.service_id:<36} {(row.tier or '-') if row.card_known else 'unknown card':<13}"
            f" {row.cards_issued:>6} {row.accepted:>8} {row.overridden:>10}"
            f" {_percent(row.acceptance_rate):>8} {_percent(row.override_rate):>10}"
        )


def _percent(rate: float | None) -> str:
    return "-" if rate is None else f"{100 * rate:.0f}"


main.add_command(audit_group)
main.add_command(sandbox_group)

if __name__ == "__main__":
    main()
