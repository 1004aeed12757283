"""Regression: gunicorn workers starting together on a fresh database raced in CREATE TABLE and
one died with "table ... already exists", which made gunicorn halt the whole server."""

from __future__ import annotations

import pytest
import requests

from tests.support.service_process import ServiceProcess


@pytest.mark.e2e
def test_server_with_several_workers_starts_on_a_fresh_database(tmp_path):
    with ServiceProcess(tmp_path, {"PANNET_CDS_AUTH": "off"}, workers=4) as service:
        # Every worker answers: hit readiness more often than there are workers.
        for _ in range(16):
            assert requests.get(service.url("/readyz"), timeout=10).status_code == 200
        log = service.log_text()
        assert "already exists" not in log
        assert "Worker failed to boot" not in log and "exited with code" not in log
