"""What one app instance holds for its lifetime: settings, database engine, site configuration,
service definitions, the JWT verifier and the outbound HTTP session. Built once per app by
`init_app`, never at import time."""

from __future__ import annotations

from dataclasses import dataclass

import requests
from flask import Flask, current_app
from requests.adapters import HTTPAdapter
from sqlalchemy import Engine

import cds_service.feedback.tables  # noqa: F401 - declares its tables on db.metadata
from cds_service.auth.setup import verifier_from_environ
from cds_service.auth.verifier import ClientJwtVerifier
from cds_service.db import create_schema, make_engine
from cds_service.hooks.services import ServiceDefinition, service_definitions
from cds_service.settings import Settings
from cds_service.site import load_site_config
from scoring.site_config import SiteConfig

_EXTENSION = "pannet_cds"


@dataclass(frozen=True)
class ServiceState:
    settings: Settings
    engine: Engine
    site: SiteConfig
    services: dict[str, ServiceDefinition]
    verifier: ClientJwtVerifier | None
    http: requests.Session


def _http_session() -> requests.Session:
    session = requests.Session()
    # Connection pooling for FHIR servers; retries are not wanted inside a time budget.
    adapter = HTTPAdapter(pool_connections=16, pool_maxsize=32, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = "pannet-cds"
    return session


def init_app(app: Flask, settings: Settings) -> ServiceState:
    engine = make_engine(settings.database_url)
    create_schema(engine)
    http = _http_session()
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
    )
    app.extensions[_EXTENSION] = state
    return state


def service_state() -> ServiceState:
    return current_app.extensions[_EXTENSION]
