"""What one app instance holds for its lifetime: settings, database engine, site configuration,
service definitions, the JWT verifier, the outbound HTTP session, the `fhirServer` allowlist
and the per-client rate limiter. Built once per app by
`init_app`, never at import time."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import requests
from flask import Flask, current_app
from sqlalchemy import Engine

import cds_service.feedback.tables  # noqa: F401 - declares its tables on db.metadata
from cds_service.auth.setup import verifier_from_environ
from cds_service.auth.verifier import ClientJwtVerifier
from cds_service.db import create_schema, make_engine
from cds_service.hooks.fhir_targets import FhirServerPolicy, FhirServersConfigError
from cds_service.hooks.services import ServiceDefinition, service_definitions
from cds_service.http_session import outbound_session
from cds_service.rate_limit import RateLimiter
from cds_service.settings import ConfigurationError, Settings
from cds_service.site import load_site_config
from scoring.site_config import SiteConfig

_EXTENSION = "pannet_cds"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServiceState:
    settings: Settings
    engine: Engine
    site: SiteConfig
    services: dict[str, ServiceDefinition]
    verifier: ClientJwtVerifier | None
    http: requests.Session
    fhir_servers: FhirServerPolicy
    rate_limiter: RateLimiter | None


def init_app(app: Flask, settings: Settings) -> ServiceState:
    engine = make_engine(settings.database_url)
    create_schema(engine)
    http = outbound_session()
    site = load_site_config(settings.site_config_path)
    verifier = verifier_from_environ(
        engine,
        environ={
            "PANNET_CDS_TRUSTED_ISSUERS": settings.trusted_issuers_json,
            "PANNET_CDS_AUTH": "on" if settings.auth_enabled else "off",
        },
        session=http,
    )
    state = ServiceState(
        settings=settings,
        engine=engine,
        site=site,
        services=service_definitions(
            settings.pathology_hook,
            extra_observation_codes=[c for cs in site.extra_code_keys().values() for c in cs],
        ),
        verifier=verifier,
        http=http,
        fhir_servers=fhir_server_policy(settings),
        rate_limiter=(
            RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst)
            if settings.rate_limit_per_second > 0
            else None
        ),
    )
    app.extensions[_EXTENSION] = state
    return state


def fhir_server_policy(settings: Settings) -> FhirServerPolicy:
    """The `fhirServer` allowlist; with authentication off a loopback FHIR server is allowed
    without one (development), and start-up says so."""
    try:
        policy = FhirServerPolicy.from_env_value(
            settings.fhir_servers_json, allow_loopback=not settings.auth_enabled
        )
    except FhirServersConfigError as exc:
        raise ConfigurationError(str(exc)) from None
    if policy.allow_loopback:
        log.warning(
            "PANNET_CDS_AUTH=off: a loopback fhirServer is read without an allowlist entry; "
            "for development only"
        )
    return policy


def service_state() -> ServiceState:
    return current_app.extensions[_EXTENSION]
