"""The gunicorn configuration `pannet-cds serve` runs with, checked without starting it."""

from __future__ import annotations

import os

import pytest

from cds_service import server
from cds_service.settings import Settings


@pytest.fixture
def gunicorn_config(monkeypatch, tmp_path):
    captured = {}
    # run_server sets PROMETHEUS_MULTIPROC_DIR for its workers; restored after the test, so a
    # later test in this process does not write metrics to the directory it removed
    monkeypatch.setenv(server.MULTIPROC_ENV, "")
    monkeypatch.delenv(server.MULTIPROC_ENV)

    def capture(app: server._Gunicorn) -> None:
        captured["cfg"] = app.cfg

    monkeypatch.setattr(server._Gunicorn, "run", capture)
    settings = Settings(auth_enabled=False, database_url=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    server.run_server(settings, host="127.0.0.1", port=8080, workers=2)
    return captured["cfg"]


def test_no_control_socket(gunicorn_config):
    """Regression: gunicorn >= 25.1 opens a control socket at one per-user path by default."""
    if "control_socket_disable" in gunicorn_config.settings:
        assert gunicorn_config.control_socket_disable is True


def test_production_worker_settings(gunicorn_config):
    assert gunicorn_config.worker_class_str == "gthread"
    assert gunicorn_config.workers == 2
    assert gunicorn_config.bind == ["127.0.0.1:8080"]
    assert gunicorn_config.preload_app is False


def test_a_stopping_worker_keeps_the_metrics_directory(monkeypatch, tmp_path):
    """Regression (found by stopping one worker of a server the public SMART launcher was
    using): gunicorn forks its workers inside `run()`, and a worker that stops leaves by
    SystemExit through `run_server`, whose clean-up deleted the shared metrics directory; every
    later request of the other workers and of the replacement worker failed with a 500."""
    monkeypatch.setenv(server.MULTIPROC_ENV, "")
    monkeypatch.delenv(server.MULTIPROC_ENV)
    master = os.getpid()
    seen: dict[str, bool] = {}

    def run_with_a_worker_that_stops(_app: server._Gunicorn) -> None:
        path = os.environ[server.MULTIPROC_ENV]
        pid = os.fork()
        if pid == 0:
            raise SystemExit(0)  # what gunicorn does in a worker that is told to stop
        os.waitpid(pid, 0)
        seen["kept_after_worker_exit"] = os.path.isdir(path)

    monkeypatch.setattr(server._Gunicorn, "run", run_with_a_worker_that_stops)
    settings = Settings(auth_enabled=False, database_url=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    try:
        server.run_server(settings, host="127.0.0.1", port=8080, workers=2)
    except SystemExit:
        if os.getpid() != master:
            os._exit(0)  # the forked "worker": leave at once, never back into pytest
        raise
    assert seen["kept_after_worker_exit"] is True
    # the master's own exit still removes the temporary directory it made
    assert not os.path.isdir(os.environ[server.MULTIPROC_ENV])
