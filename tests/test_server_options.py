"""The gunicorn configuration `pannet-cds serve` runs with, checked without starting it."""

from __future__ import annotations

import pytest

from cds_service import server
from cds_service.settings import Settings


@pytest.fixture
def gunicorn_config(monkeypatch, tmp_path):
    captured = {}

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
