"""The service's Flask app served by a real HTTP server (werkzeug) on 127.0.0.1 in a thread, for
tests that need a browser or an OAuth redirect to reach it."""

from __future__ import annotations

from flask import Flask

from tests.support.loopback import BackgroundServer, free_loopback_port, serve_wsgi


class LiveApp:
    def __init__(self, app: Flask, port: int | None = None) -> None:
        self.app = app
        self.port = port or free_loopback_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: BackgroundServer | None = None

    def __enter__(self) -> LiveApp:
        # request lines carry OAuth codes and launch ids: quiet
        self._server = serve_wsgi(self.app, port=self.port, quiet=True)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.stop()
