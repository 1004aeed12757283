"""Regression, over HTTP against `pannet-cds serve`: when gunicorn replaces a worker that stopped
(SIGTERM here; max requests or an operator's signal in production), the replacement serves.
Before the fix the stopping worker deleted the metrics directory every worker shares, and every
request of the replacement failed with a 500 (found while the public SMART launcher used the
service)."""

from __future__ import annotations

import os
import signal
import time

import pytest
import requests

from tests.support.service_process import STARTUP_TIMEOUT_S, ServiceProcess


def _replacement_of(service: ServiceProcess, old: int) -> int:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        workers = [pid for pid in service.worker_pids() if pid != old]
        if workers:
            return workers[0]
        time.sleep(0.2)
    raise AssertionError(f"gunicorn started no worker in place of {old}")


def _first_answer(url: str) -> requests.Response:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while True:
        try:
            return requests.get(url, timeout=10)
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.mark.e2e
def test_the_worker_replacing_a_stopped_one_serves(tmp_path):
    # one worker: after the stop every request reaches the replacement
    with ServiceProcess(tmp_path, {"PANNET_CDS_AUTH": "off"}, workers=1) as service:
        assert requests.get(service.url("/healthz"), timeout=10).status_code == 200
        (old,) = service.worker_pids()
        os.kill(old, signal.SIGTERM)
        _replacement_of(service, old)
        assert _first_answer(service.url("/healthz")).status_code == 200
        for path in ("/healthz", "/readyz", "/cds-services", "/metrics"):
            assert requests.get(service.url(path), timeout=10).status_code == 200, path
        assert "FileNotFoundError" not in service.log_text()
