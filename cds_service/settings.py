"""Service configuration from environment variables (cds-api.md "Configuration")."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import ConfigDict, Field

from cds_service.auth.errors import AuthConfigError
from cds_service.auth.settings import auth_enabled
from cds_service.db import DEFAULT_DATABASE_URL
from cds_service.observability.logs import LogFormat
from scoring.fast_reads import FastReadModel

DEFAULT_PATHOLOGY_HOOK = "org.pannet-cds.pathology-report-sign"
DEFAULT_RATE_LIMIT = 100
BASE_URL_ENV = "PANNET_CDS_BASE_URL"


class ConfigurationError(ValueError):
    """A configuration value is invalid; the message names the variable."""


class Settings(FastReadModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    trusted_issuers_json: str = "{}"
    auth_enabled: bool = True
    base_url: str | None = None
    database_url: str = DEFAULT_DATABASE_URL
    site_config_path: Path | None = None
    smart_app_url: str | None = None
    pathology_hook: str = DEFAULT_PATHOLOGY_HOOK
    fhir_budget_seconds: float = Field(default=1.5, gt=0, le=30)
    max_request_bytes: int = Field(default=5 * 1024 * 1024, gt=0)
    # issuer (or "*") -> FHIR base URLs its calls may name as fhirServer (hooks/fhir_targets.py)
    fhir_servers_json: str = "{}"
    # Hook calls per second per client and worker process (0: no limit), and the burst allowed.
    rate_limit_per_second: float = Field(default=DEFAULT_RATE_LIMIT, ge=0)
    rate_limit_burst: int = Field(default=2 * DEFAULT_RATE_LIMIT, ge=1)
    # SMART app (cds_service/smart): allowed EHRs as JSON, iss -> {client_id, client_secret?,
    # scope?}, and the CSP frame-ancestors of its pages (which EHR origins may frame it)
    smart_issuers_json: str = "{}"
    smart_frame_ancestors: str = "'self'"
    log_format: LogFormat = "json"
    # None: audit records are kept until `pannet-cds audit prune --days N` removes them.
    audit_retention_days: int | None = Field(default=None, ge=1)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, serving: bool = False) -> Settings:
        """The settings from `env` (default: the process environment). `serving`: for running
        the service, which with authentication on needs `PANNET_CDS_BASE_URL` (commands that
        only read the database do not)."""
        env = os.environ if env is None else env
        try:
            auth_on = auth_enabled(env)
        except AuthConfigError as exc:
            raise ConfigurationError(str(exc)) from None
        budget = env.get("PANNET_CDS_FHIR_BUDGET_SECONDS", "1.5")
        try:
            budget_s = float(budget)
        except ValueError as exc:
            raise ConfigurationError("PANNET_CDS_FHIR_BUDGET_SECONDS must be a number") from exc
        config_path = env.get("PANNET_CDS_CONFIG")
        log_format = env.get("PANNET_CDS_LOG_FORMAT", "json").strip().lower()
        if log_format not in {"json", "text"}:
            raise ConfigurationError("PANNET_CDS_LOG_FORMAT must be 'json' or 'text'")
        retention = env.get("PANNET_CDS_AUDIT_RETENTION_DAYS", "").strip()
        try:
            retention_days = int(retention) if retention else None
        except ValueError as exc:
            raise ConfigurationError(
                "PANNET_CDS_AUDIT_RETENTION_DAYS must be a whole number of days"
            ) from exc
        if retention_days is not None and retention_days < 1:
            raise ConfigurationError("PANNET_CDS_AUDIT_RETENTION_DAYS must be at least 1")
        base_url = _base_url(env.get(BASE_URL_ENV, "").strip() or None, auth_on and serving)
        rate = _rate_limit(env.get("PANNET_CDS_RATE_LIMIT", "").strip())
        return cls(
            trusted_issuers_json=env.get("PANNET_CDS_TRUSTED_ISSUERS", "{}"),
            auth_enabled=auth_on,
            base_url=base_url,
            fhir_servers_json=env.get("PANNET_CDS_FHIR_SERVERS", "").strip() or "{}",
            rate_limit_per_second=rate,
            rate_limit_burst=max(1, math.ceil(2 * rate)),
            database_url=env.get("PANNET_CDS_DATABASE_URL") or DEFAULT_DATABASE_URL,
            site_config_path=Path(config_path) if config_path else None,
            smart_app_url=env.get("PANNET_CDS_SMART_APP_URL") or None,
            pathology_hook=env.get("PANNET_CDS_PATHOLOGY_HOOK") or DEFAULT_PATHOLOGY_HOOK,
            fhir_budget_seconds=budget_s,
            smart_issuers_json=env.get("PANNET_CDS_SMART_ISSUERS", "{}"),
            smart_frame_ancestors=env.get("PANNET_CDS_SMART_FRAME_ANCESTORS") or "'self'",
            log_format=log_format,  # type: ignore[arg-type]
            audit_retention_days=retention_days,
        )


def _base_url(value: str | None, required: bool) -> str | None:
    """The public base URL. Required with authentication on: the JWT `aud` is checked against
    it; taken from the request's Host header instead, a token issued for another deployment
    could be replayed here by naming that deployment's host."""
    if value is None:
        if required:
            raise ConfigurationError(
                f"{BASE_URL_ENV} is required when client authentication is on: the JWT aud is "
                f"checked against it (e.g. {BASE_URL_ENV}=https://cds.example-hospital.org), "
                "never against the Host header a caller sends"
            )
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        raise ConfigurationError(
            f"{BASE_URL_ENV} must be an absolute http(s) URL without a query, got {value!r}"
        )
    return value.rstrip("/")


def _rate_limit(value: str) -> float:
    if not value:
        return DEFAULT_RATE_LIMIT
    try:
        rate = float(value)
    except ValueError:
        rate = -1.0
    if not math.isfinite(rate) or rate < 0:
        raise ConfigurationError(
            "PANNET_CDS_RATE_LIMIT must be a number of calls per second (0: no limit)"
        )
    return rate
