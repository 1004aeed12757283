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
from types import TracebackType
from typing import Any, Literal

from werkzeug.serving import BaseWSGIServer, make_server

Fault = Literal["error", "slow"]
_OUTCOME = {
    "resourceType": "OperationOutcome",
    "issue": [{"severity": "error", "code": "exception", "diagnostics": "injected failure"}],
}


class FaultyFhirServer:
    def __init__(self, fault: Fault, *, delay_s: float = 10.0) -> None:
        self.fault = fault
        self.delay_s = delay_s
        self.hits = 0
        self._lock = threading.Lock()
        self._released = threading.Event()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() first"
        return f"http://127.0.0.1:{self._server.server_port}/fhir"

    def start(self) -> FaultyFhirServer:
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        # held requests must not keep the test process alive at exit
        self._server.daemon_threads = True
        server = self._server
        self._thread = threading.Thread(
            target=lambda: server.serve_forever(poll_interval=0.05), daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._released.set()  # let held requests finish at once
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        with self._lock:
            self.hits += 1
        if self.fault == "slow":
            self._released.wait(timeout=self.delay_s)
            start_response("200 OK", [("Content-Type", "application/fhir+json")])
            return [json.dumps({"resourceType": "Bundle", "type": "searchset"}).encode()]
        start_response("500 Internal Server Error", [("Content-Type", "application/fhir+json")])
        return [json.dumps(_OUTCOME).encode()]

    def __enter__(self) -> FaultyFhirServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
