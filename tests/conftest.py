"""Shared fixtures. The FHIR server is started once per session: end-to-end tests share it and
keep their data apart by using their own resource ids. A test that asks for `database_url` (or
`engine`) runs once on SQLite and once on PostgreSQL, each time on a fresh database."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from cds_service.db import create_schema, make_engine
from tests.support.fhir_server import FhirEndpoint, FhirServerProcess, wait_for_metadata
from tests.support.jwt_issuer import JwtIssuer
from tests.support.loopback import process_timeout
from tests.support.postgres import DATABASES, database_url_of
from tests.support.service_process import ServiceProcess, SignedService, signed_service_env

EXTERNAL_FHIR_URL_ENV = "PANNET_CDS_TEST_FHIR_URL"
pytest_plugins = [
    "tests.smart_fixtures",  # its `ehr` fixture
    "tests.support.browser_fixtures",  # `browser`, `context`
]
# Tests that use these fixtures start real servers as processes: they count as `e2e`, so
# `./dev test -m "not e2e"` is the quick subset for local work.
_SERVER_FIXTURES = frozenset({"fhir_server", "cds_process", "ehr"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _SERVER_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def fhir_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FhirEndpoint]:
    """A real FHIR R4 server: sekmet-fhir on 127.0.0.1, or the server named by
    PANNET_CDS_TEST_FHIR_URL (e.g. a HAPI base such as http://127.0.0.1:8080/fhir)."""
    external = os.environ.get(EXTERNAL_FHIR_URL_ENV, "").strip().rstrip("/")
    if external:
        wait_for_metadata(external, timeout=process_timeout())
        yield FhirEndpoint(external)
        return
    with FhirServerProcess(tmp_path_factory.mktemp("fhir-server")) as server:
        yield server.endpoint


@pytest.fixture(scope="session")
def cds_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SignedService]:
    """The service as production runs it (`cds_service.cli serve`, gunicorn) on 127.0.0.1, with
    JWT authentication trusting one test issuer and its own SQLite file."""
    workdir = tmp_path_factory.mktemp("cds-service")
    issuer = JwtIssuer()
    with ServiceProcess(workdir, signed_service_env(issuer, workdir)) as process:
        service = SignedService(process, issuer)
        yield service
        service.stop()


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with database_url_of(request.param, tmp_path / "test.sqlite3") as url:
        yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on `database_url` with the service's tables created."""
    engine = make_engine(database_url)
    create_schema(engine)
    yield engine
    engine.dispose()
