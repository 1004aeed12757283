"""A loopback HTTP server publishing JWK Sets, which tests can make slow or take down.

server = JwksServer({"/jwks.json": issuer.jwks}).start()   # a callable: served live
server.url("/jwks.json")   -> "http://127.0.0.1:<port>/jwks.json"
server.mode = "down"       # answers 503; "slow" holds answers until release()/stop(); "up"
server.hits                # how many times each path was fetched
server.slow_request_waiting.wait()   # set once a "slow" request is being held
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any, Literal

from tests.support.loopback import BackgroundServer, serve_wsgi

JwksDocument = Callable[[], dict[str, Any]]
Mode = Literal["up", "down", "slow"]


class JwksServer:
    def __init__(self, documents: dict[str, JwksDocument]) -> None:
        self.documents = documents
        self.mode: Mode = "up"
        self.hits: Counter[str] = Counter()
        self._released = threading.Event()
        self.slow_request_waiting = threading.Event()
        self._server: BackgroundServer | None = None

    def start(self) -> JwksServer:
        self._server = serve_wsgi(self._app)
        return self

    def url(self, path: str) -> str:
        assert self._server is not None, "start() first"
        return f"{self._server.url}{path}"

    def release(self) -> None:
        self._released.set()

    def stop(self) -> None:
        """Closes the port: later fetches get 'connection refused'."""
        self._released.set()
        if self._server is not None:
            self._server.stop()

    def _app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        self.hits[path] += 1
        if self.mode == "slow":
            self.slow_request_waiting.set()
            self._released.wait(timeout=10)
        if self.mode == "down":
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"down"]
        document = self.documents.get(path)
        if document is None:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        body = json.dumps(document()).encode()
        start_response("200 OK", [("Content-Type", "application/jwk-set+json")])
        return [body]
