"""What every `pannet-cds` sub-command shares: the one way a command fails."""

from __future__ import annotations

import sys
from typing import NoReturn

import click


def fail(message: str) -> NoReturn:
    """One line on stderr naming what is wrong, exit code 2, nothing on stdout."""
    click.echo(f"pannet-cds: {message}", err=True)
    sys.exit(2)
