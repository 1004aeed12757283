"""`python -m cds_service.demo` (what `./dev demo` runs)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cds_service.demo.loopback import DEFAULT_STARTUP_TIMEOUT_S
from cds_service.demo.run import run


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--workdir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Keep the FHIR data, database and logs here; default: a temporary folder, removed.",
)
@click.option(
    "--startup-timeout",
    default=DEFAULT_STARTUP_TIMEOUT_S,
    show_default=True,
    type=click.FloatRange(min=1),
    help="Seconds to wait for each server to start.",
)
@click.option(
    "--framed",
    is_flag=True,
    help="Also open the app inside the test EHR's chart page (a cross-site frame, as in a"
    " hospital's EHR); for Chromium or Firefox.",
)
def main(port: int, workdir: Path | None, startup_timeout: float, framed: bool) -> None:
    """Run the service with a FHIR server, the demo patients and a local test EHR on
    127.0.0.1, and print the SMART launch and CDS discovery URLs. Ctrl-C stops everything."""
    sys.exit(run(workdir, port, startup_timeout, framed))


if __name__ == "__main__":
    main()
