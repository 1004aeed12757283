"""`pannet-cds sandbox load|check`: demo patients on a FHIR server, and the service's answers."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import requests

from cds_service.cli_support import fail
from cds_service.sandbox.check import ClientKey, check_patients, format_table
from cds_service.sandbox.patients import DemoPatient, SandboxError, demo_patients
from cds_service.sandbox.upload import upload_patients

_fhir_option = click.option(
    "--fhir-server", required=True, help="FHIR R4 base URL, e.g. https://example.org/fhir"
)
_patient_option = click.option(
    "--patient",
    "only",
    multiple=True,
    help="Only this demo patient (file name such as p01, or id); repeatable.",
)


def _selected(only: tuple[str, ...]) -> list[DemoPatient]:
    patients = demo_patients()
    if not only:
        return patients
    chosen = [p for p in patients if p.name in only or p.patient_id in only]
    unknown = set(only) - {p.name for p in chosen} - {p.patient_id for p in chosen}
    if unknown:
        fail(f"no demo patient {sorted(unknown)}; have {[p.name for p in patients]}")
    return chosen


@click.group(name="sandbox")
def sandbox_group() -> None:
    """Demo patients for a FHIR sandbox (e.g. the public CDS Hooks sandbox's server)."""


@sandbox_group.command(name="load")
@_fhir_option
@_patient_option
def load_command(fhir_server: str, only: tuple[str, ...]) -> None:
    """Upload the demo patients (one transaction of idempotent PUTs per patient)."""
    try:
        results = upload_patients(fhir_server, _selected(only))
    except SandboxError as exc:
        fail(str(exc))
    except requests.RequestException as exc:
        fail(f"{fhir_server}: {type(exc).__name__}")
    for result in results:
        click.echo(f"{result.patient}: {result.resources} resources ({result.method})")


@sandbox_group.command(name="check")
@_fhir_option
@click.option("--service", "service_url", required=True, help="pannet-cds base URL.")
@click.option("--hook", default="patient-view", show_default=True)
@_patient_option
@click.option(
    "--private-key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="PEM key to sign each call (needed unless the service runs with PANNET_CDS_AUTH=off).",
)
@click.option("--issuer", default=None, help="`iss` of the signed calls (with --private-key).")
@click.option("--kid", default=None, help="`kid` header of the signed calls.")
def check_command(
    fhir_server: str,
    service_url: str,
    hook: str,
    only: tuple[str, ...],
    private_key: Path | None,
    issuer: str | None,
    kid: str | None,
) -> None:
    """Call the service for each demo patient (no prefetch: it reads the FHIR server) and print
    a table of tiers and cards. Exit 1 if any call did not answer 200."""
    key = None
    if private_key is not None:
        if not issuer:
            fail("--issuer is required with --private-key")
        try:
            key = ClientKey.from_pem(private_key, issuer, kid)
        except SandboxError as exc:
            fail(str(exc))
    try:
        rows = check_patients(service_url, fhir_server, _selected(only), hook=hook, client_key=key)
    except SandboxError as exc:
        fail(str(exc))
    except requests.RequestException as exc:
        fail(f"{service_url}: {type(exc).__name__}")
    click.echo(format_table(rows))
    if any(row.status != 200 for row in rows):
        sys.exit(1)
