"""The test EHR's FHIR endpoint: checks the bearer token its authorization server issued (known,
unexpired) and its SMART v2 scopes (read `r`, search `s`, create `c`: patient-level ones within
the patient in context, user-level ones for any patient), then forwards to the real FHIR server
behind it, rewriting that server's base URL (paging links, Location) to its own."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import requests
from flask import Response, jsonify, request

FHIR_JSON = "application/fhir+json"


@dataclass
class Token:
    scope: set[str]
    patient: str
    expires_at: float


def proxy(path: str, tokens: dict[str, Token], upstream: str, iss: str) -> Response:
    if path == "metadata":
        return forward(path, upstream, iss)
    auth = request.headers.get("Authorization", "")
    token = tokens.get(auth.removeprefix("Bearer ")) if auth else None
    if token is None or token.expires_at < time.time():
        return _outcome(401, "login", "missing, unknown or expired bearer token")
    denied = _scope_problem(path, token)
    if denied:
        return _outcome(403, "forbidden", denied)
    return forward(path, upstream, iss)


def forward(path: str, upstream: str, iss: str) -> Response:
    try:
        answer = requests.request(
            request.method,
            f"{upstream}/{path}",
            params=request.args,
            data=request.get_data(),
            headers={"Content-Type": request.content_type or FHIR_JSON, "Accept": FHIR_JSON},
            timeout=30,
            allow_redirects=False,
        )
    except requests.RequestException:
        return _outcome(502, "transient", "upstream FHIR server unreachable")
    body = answer.content.replace(upstream.encode(), iss.encode())
    response = Response(
        body, status=answer.status_code, content_type=answer.headers.get("Content-Type", FHIR_JSON)
    )
    if "Location" in answer.headers:
        response.headers["Location"] = answer.headers["Location"].replace(upstream, iss)
    return response


_PATIENT_PARAM = re.compile(r"^(?:Patient/)?([A-Za-z0-9\-.]{1,64})$")


def _scope_problem(path: str, token: Token) -> str | None:
    kind, _, rest = path.partition("/")
    needed = "c" if request.method == "POST" else "r" if rest else "s"
    # A user-level scope (a practitioner launch) covers every patient the user may see: here
    # all of them; a patient-level one only the patient in context.
    if any(s.startswith(f"user/{kind}.") and needed in s.split(".", 1)[1] for s in token.scope):
        return None
    if request.method == "POST":
        needed = "c"
        body = request.get_json(silent=True) or {}
        subject = (body.get("subject") or {}).get("reference")
        if subject != f"Patient/{token.patient}":
            return "a patient-scoped token may only create this patient's resources"
    elif rest:
        needed = "r"
        if kind == "Patient" and rest != token.patient:
            return "not the patient in context"
    else:
        needed = "s"
        given = request.args.get("patient") or request.args.get("subject") or ""
        match = _PATIENT_PARAM.match(given)
        if kind != "Patient" and (not match or match.group(1) != token.patient):
            return "search must be restricted to the patient in context"
    granted = any(
        s.startswith(f"patient/{kind}.") and needed in s.split(".", 1)[1] for s in token.scope
    )
    return None if granted else f"scope patient/{kind}.{needed} not granted"


def _outcome(status: int, code: str, text: str) -> Response:
    body = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": text}],
    }
    response = jsonify(body)
    response.status_code = status
    response.content_type = FHIR_JSON
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return response
