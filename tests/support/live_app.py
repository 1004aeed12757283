"""The service's Flask app served by a real HTTP server (werkzeug) on 127.0.0.1 in a thread, for
tests that need a browser or an OAuth redirect to reach it."""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.support.fhir_server import free_loopback_port


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass  # request lines carry OAuth codes and launch ids


class LiveApp:
    def __init__(self, app: Flask, port: int | None = None) -> None:
        self.app = app
        self.port = port or free_loopback_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: Any = None

    def __enter__(self) -> LiveApp:
        self._server = make_server(
            "127.0.0.1", self.port, self.app, threaded=True, request_handler=QuietHandler
        )
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
