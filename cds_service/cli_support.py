"""What every `pannet-cds` sub-command shares: the one way a command fails, the date format of
its options, reading a file within a size limit, and the database a read-only command opens."""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO, NoReturn

import click

DATABASE_URL_ENV = "PANNET_CDS_DATABASE_URL"

# The site configuration option of every command that scores (`score`, `worklist`).
site_config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="PANNET_CDS_CONFIG",
    default=None,
    help="Site configuration file (YAML/JSON); default: $PANNET_CDS_CONFIG.",
)


def fail(message: str) -> NoReturn:
    """One line on stderr naming what is wrong, exit code 2, nothing on stdout."""
    click.echo(f"pannet-cds: {message}", err=True)
    sys.exit(2)


class IsoDate(click.ParamType):
    """A calendar date written YYYY-MM-DD; anything else is refused saying so."""

    name = "YYYY-MM-DD"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> date:
        if isinstance(value, date):
            return value
        try:
            return datetime.strptime(str(value), "%Y-%m-%d").date()
        except ValueError:
            option = param.opts[0] if param is not None and param.opts else "date"
            fail(f"{option} {str(value)[:40]!r}: not a date, expected YYYY-MM-DD")


class IsoDateTime(click.ParamType):
    """A date or a time written YYYY-MM-DD, YYYY-MM-DDThh:mm:ss or with an offset (+01:00);
    anything else is refused saying so."""

    name = "YYYY-MM-DD[Thh:mm:ss[+hh:mm]]"
    formats = ("%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S%z")

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        if isinstance(value, datetime):
            return value
        for fmt in self.formats:
            try:
                return datetime.strptime(str(value), fmt)
            except ValueError:
                continue
        option = param.opts[0] if param is not None and param.opts else "time"
        fail(
            f"{option} {str(value)[:40]!r}: not a date or time, expected YYYY-MM-DD or"
            " YYYY-MM-DDThh:mm:ss (optionally with an offset such as +01:00)"
        )


def read_bounded(stream: BinaryIO, max_bytes: int) -> bytes | None:
    """The whole stream, or None when it holds more than `max_bytes` (reading stops there)."""
    data = stream.read(max_bytes + 1)
    return None if len(data) > max_bytes else data


def require_existing_database(url: str) -> None:
    """Read-only commands (statistics, export) must not create an empty SQLite database where
    they happen to be run: refuse, naming the file, the URL and the variable that sets it."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        fail(f"{DATABASE_URL_ENV}: not a database URL")
    if parsed.get_backend_name() != "sqlite":
        return
    path = parsed.database or ""
    if path in ("", ":memory:") or path.startswith("file:"):
        return
    if not Path(path).is_file():
        fail(
            f"database file {path} does not exist (URL {parsed.render_as_string()}); run where the"
            f" service keeps it or set {DATABASE_URL_ENV} to the service's database URL"
        )
