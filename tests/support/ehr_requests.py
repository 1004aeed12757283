"""What reaches the test EHR's FHIR endpoint (tests/support/oauth_server.py's LoopbackEhr): the
raw query strings as they arrived, and searches a test makes fail (HTTP 500 with an
OperationOutcome) to see how the app reports data it could not read.

Attach with `RequestLog(ehr)` before the EHR serves its first request.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Response, jsonify, request

from tests.support.oauth_server import LoopbackEhr


@dataclass
class RequestLog:
    ehr: LoopbackEhr
    queries: list[str] = field(default_factory=list)
    failing: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.ehr.app.before_request(self._seen)

    def _seen(self) -> Response | None:
        if not request.path.startswith("/fhir/"):
            return None
        raw = request.environ.get("QUERY_STRING", "")
        resource_type = request.path.removeprefix("/fhir/").split("/", 1)[0]
        self.queries.append(f"{resource_type}?{raw}" if raw else resource_type)
        if request.method == "GET" and resource_type in self.failing:
            outcome = {
                "resourceType": "OperationOutcome",
                "issue": [{"severity": "error", "code": "exception", "diagnostics": "test fault"}],
            }
            response = jsonify(outcome)
            response.status_code = 500
            response.mimetype = "application/fhir+json"
            return response
        return None
