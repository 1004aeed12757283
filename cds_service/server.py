"""`pannet-cds serve`: the application under gunicorn, a production WSGI server."""

from __future__ import annotations

import os

from flask import Flask
from gunicorn.app.base import BaseApplication
from gunicorn.config import Config

from cds_service.app import create_app
from cds_service.settings import Settings


def default_workers() -> int:
    # Scoring is CPU-bound and fast; FHIR fetches wait on I/O, which the threads cover.
    return max(1, os.cpu_count() or 1)


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict[str, object], settings: Settings) -> None:
        self.options = options
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return create_app(self.settings)


def run_server(settings: Settings, *, host: str, port: int, workers: int | None) -> None:
    options: dict[str, object] = {
        "bind": f"{host}:{port}",
        "workers": workers or default_workers(),
        "worker_class": "gthread",
        "threads": 8,
        "timeout": 30,
        "graceful_timeout": 20,
        "keepalive": 5,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "info",
        # Each worker builds its own app (engine, JWKS cache, HTTP session) after the fork.
        "preload_app": False,
    }
    if "control_socket_disable" in Config().settings:
        # gunicorn >= 25.1 opens a control socket at $XDG_RUNTIME_DIR/gunicorn.ctl or
        # ~/.gunicorn/gunicorn.ctl: one path for every instance of the user, so a second service
        # takes it over and the first one's shutdown deletes it. Nothing here uses it.
        options["control_socket_disable"] = True
    _Gunicorn(options, settings).run()
