"""Builds the app's verifier from the environment: the one call the web layer makes at start-up."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

import requests
from sqlalchemy import Engine

from cds_service.auth.jwks import JwksCache
from cds_service.auth.replay import SqlReplayCache
from cds_service.auth.settings import AUTH_SWITCH_ENV, TrustedIssuers, auth_enabled
from cds_service.auth.verifier import ClientJwtVerifier

logger = logging.getLogger(__name__)


def verifier_from_environ(
    engine: Engine,
    environ: Mapping[str, str] = os.environ,
    session: requests.Session | None = None,
    base_dir: Path | None = None,
) -> ClientJwtVerifier | None:
    """The verifier, or None when `PANNET_CDS_AUTH=off` (logged as a warning). Raises
    `AuthConfigError` (a ValueError) for a missing or bad `PANNET_CDS_TRUSTED_ISSUERS`.
    The replay table lives on `cds_service.db.metadata`; `create_schema(engine)` creates it."""
    if not auth_enabled(environ):
        logger.warning(
            "%s=off: CDS client JWTs are NOT verified; for development only", AUTH_SWITCH_ENV
        )
        return None
    issuers = TrustedIssuers.from_environ(environ, base_dir)
    return ClientJwtVerifier(JwksCache(issuers, session=session), SqlReplayCache(engine))
