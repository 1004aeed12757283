"""A small real Bulk Data server on loopback for what sekmet-fhir cannot be made to do: a
scripted status sequence (Retry-After, X-Progress, 429, failure), malformed NDJSON files, no
`$export`, a token required only on some requests.

    with ScriptedBulkServer(files={"Patient": b"..."}) as server:
        server.base_url            # http://127.0.0.1:<port>/fhir
        server.requests            # (method, path, Authorization header) seen so far
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Request, Response

from tests.support.loopback import BackgroundServer, StartStop, serve_wsgi

OUTCOME_FAILED = {
    "resourceType": "OperationOutcome",
    "issue": [{"severity": "error", "code": "exception", "diagnostics": "database exploded"}],
}


@dataclass
class StatusAnswer:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None


class ScriptedBulkServer(StartStop):
    def __init__(
        self,
        *,
        files: dict[str, bytes] | None = None,
        statuses: list[StatusAnswer] | None = None,
        kickoff_status: int = 202,
        requires_access_token: bool = False,
        reject_first_with_401: bool = False,
        error_files: dict[str, bytes] | None = None,
    ) -> None:
        self.files = files or {}
        self.error_files = error_files or {}
        self.statuses = statuses or []
        self.kickoff_status = kickoff_status
        self.requires_access_token = requires_access_token
        self.reject_first_with_401 = reject_first_with_401
        self.requests: list[tuple[str, str, str | None]] = []
        self.kickoffs: list[dict[str, Any]] = []  # args and headers of each kick-off
        self._polls = 0
        self._lock = threading.Lock()
        self._server: BackgroundServer | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() first"
        return f"{self._server.url}/fhir"

    def start(self) -> ScriptedBulkServer:
        self._server = serve_wsgi(self._app, quiet=True)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()

    def paths(self, method: str) -> list[str]:
        return [path for m, path, _ in self.requests if m == method]

    def _app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        auth = request.headers.get("Authorization")
        with self._lock:
            first = not self.requests
            self.requests.append((request.method, request.path, auth))
        response = self._answer(request, first)
        return response(environ, start_response)

    def _answer(self, request: Request, first: bool) -> Response:
        if first and self.reject_first_with_401:
            return Response(status=401)
        path = request.path
        if path.endswith("/$export"):
            raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI", "")
            body = request.get_json(silent=True) if request.method == "POST" else None
            self.kickoffs.append(
                {
                    "args": dict(request.args),
                    "headers": dict(request.headers),
                    "raw": raw,
                    "body": body,
                }
            )
            if self.kickoff_status != 202:
                return _json(
                    {
                        "resourceType": "OperationOutcome",
                        "issue": [
                            {
                                "severity": "error",
                                "code": "not-supported",
                                "diagnostics": "Unknown operation",
                            }
                        ],
                    },
                    self.kickoff_status,
                )
            return Response(status=202, headers={"Content-Location": f"{self.base_url}/status/1"})
        if path.endswith("/status/1"):
            if request.method == "DELETE":
                return Response(status=202)
            with self._lock:
                index, self._polls = self._polls, self._polls + 1
            if index < len(self.statuses):
                answer = self.statuses[index]
                if answer.body is not None:
                    return _json(answer.body, answer.status, answer.headers)
                return Response(status=answer.status, headers=answer.headers)
            return _json(self.manifest())
        name = path.rsplit("/", 1)[-1]
        if path.startswith("/fhir/files/") and name in self.files:
            return Response(self.files[name], content_type="application/fhir+ndjson")
        if path.startswith("/fhir/errors/") and name in self.error_files:
            return Response(self.error_files[name], content_type="application/fhir+ndjson")
        return Response(status=404)

    def manifest(self) -> dict[str, Any]:
        return {
            "transactionTime": "2026-12-01T10:00:00.000Z",
            "request": f"{self.base_url}/Patient/$export",
            "requiresAccessToken": self.requires_access_token,
            "output": [
                {"type": name, "url": f"{self.base_url}/files/{name}"} for name in self.files
            ],
            "error": [
                {"type": "OperationOutcome", "url": f"{self.base_url}/errors/{name}"}
                for name in self.error_files
            ],
        }


def _json(
    body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        json.dumps(body), status=status, headers=headers or {}, content_type="application/json"
    )


def ndjson(*resources: dict[str, Any] | str) -> bytes:
    """NDJSON of resources; a str is written as it is (a malformed line)."""
    lines = [r if isinstance(r, str) else json.dumps(r) for r in resources]
    return ("\n".join(lines) + "\n").encode()
