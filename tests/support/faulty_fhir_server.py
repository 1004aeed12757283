"""A loopback "FHIR server" that fails on purpose: every request answers 500 with an
OperationOutcome ("error"), or is held for `delay_s` seconds before answering ("slow").

    with FaultyFhirServer("slow", delay_s=10) as server:
        body["fhirServer"] = server.base_url     # http://127.0.0.1:<port>/fhir
        server.hits                               # requests seen so far
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from typing import Any, Literal

from tests.support.loopback import BackgroundServer, StartStop, serve_wsgi

Fault = Literal["error", "slow"]
_OUTCOME = {
    "resourceType": "OperationOutcome",
    "issue": [{"severity": "error", "code": "exception", "diagnostics": "injected failure"}],
}


class FaultyFhirServer(StartStop):
    def __init__(self, fault: Fault, *, delay_s: float = 10.0) -> None:
        self.fault = fault
        self.delay_s = delay_s
        self.hits = 0
        self._lock = threading.Lock()
        self._released = threading.Event()
        self._server: BackgroundServer | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() first"
        return f"{self._server.url}/fhir"

    def start(self) -> FaultyFhirServer:
        self._server = serve_wsgi(self._app)
        return self

    def stop(self) -> None:
        self._released.set()  # let held requests finish at once
        if self._server is not None:
            self._server.stop()

    def _app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        with self._lock:
            self.hits += 1
        if self.fault == "slow":
            self._released.wait(timeout=self.delay_s)
            start_response("200 OK", [("Content-Type", "application/fhir+json")])
            return [json.dumps({"resourceType": "Bundle", "type": "searchset"}).encode()]
        start_response("500 Internal Server Error", [("Content-Type", "application/fhir+json")])
        return [json.dumps(_OUTCOME).encode()]
