"""Regression: gunicorn workers starting together on a fresh database raced in CREATE TABLE and
one died with "table ... already exists", which made gunicorn halt the whole server."""

from __future__ import annotations

import threading

import pytest
import requests

from cds_service.db import create_schema, make_engine
from tests.support.service_runner import ServiceRunner

WRITERS = 8


def test_concurrent_schema_creation_on_a_fresh_sqlite_file(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    engines = [make_engine(url) for _ in range(WRITERS)]
    barrier = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def create(engine) -> None:
        barrier.wait()
        try:
            create_schema(engine)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=create, args=(e,)) for e in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for engine in engines:
        engine.dispose()
    assert [f"{type(e).__name__}: {e}" for e in errors] == []


@pytest.mark.e2e
def test_server_with_several_workers_starts_on_a_fresh_database(tmp_path):
    with ServiceRunner(tmp_path, env={"PANNET_CDS_AUTH": "off"}, workers=4) as service:
        # Every worker answers: hit readiness more often than there are workers.
        for _ in range(16):
            assert requests.get(service.url("/readyz"), timeout=10).status_code == 200
        log = service.log_text()
        assert "already exists" not in log
        assert "Worker failed to boot" not in log and "exited with code" not in log
