"""What the `worklist` command reads from its options: the `--since` time, the previous
worklist to merge with, the site configuration and how the Bulk Data client is authorised.
Each bad value ends in one line (`cli_support.fail`)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from cds_service.cli_support import IsoDateTime, fail

if TYPE_CHECKING:
    import requests

    from cds_service.bulk.client import BulkClient
    from cds_service.worklist.models import Worklist
    from scoring.site_config import SiteConfig

TOKEN_ENV = "PANNET_CDS_BULK_TOKEN"

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


def previous_worklist(
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


def site_config(config_path: Path | None) -> SiteConfig:
    from cds_service.site import load_site_config
    from scoring.site_config import SiteConfigError

    try:
        return load_site_config(config_path)
    except SiteConfigError as exc:
        fail(str(exc))


def bulk_client(
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


def since_instant(since: datetime | str | None, previous: Worklist | None) -> str | None:
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
