"""Issue 11/12 findings on the wire, over real HTTP: the service under gunicorn (`ServiceProcess`,
JWT verification on), loopback FHIR servers that set cookies, record what reaches them and answer
with content of their own.

Each test failed before its fix: cookies set by the FHIR server on one caller's call rode along on
the next caller's (11.2); any caller could aim the service at loopback or private addresses, climb
the path with `patientId=".."` and read a foreign server's `resourceType` back in the 412 (11.3,
11.7); a `text/plain` cross-origin POST was served with its Origin echoed (11.3); a token for
another deployment was accepted by naming that host in `Host:` (11.4); a 5,000-digit integer gave
a 500 (11.6); search values went out unencoded (12); the 412 quoted the prefetch template and the
413 did not state the limit (12); a prefetch key of any size was scored (11.9).
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import requests

from tests.support.cds_calls import case_resources, prefetch_for, request_body
from tests.support.jwt_issuer import JwtIssuer
from tests.support.loopback import BackgroundServer, free_loopback_port, serve_wsgi
from tests.support.service_process import REPO_ROOT, ServiceProcess, child_environment

pytestmark = pytest.mark.e2e

PATIENT_VIEW = "/cds-services/pannet-cds-patient-view"
CLIENT_TIMEOUT_S = 30
FHIR_JSON = "application/fhir+json"


@dataclass
class SeenRequest:
    path: str
    query: str
    cookie: str
    authorization: str


@dataclass
class CookieFhir:
    """A FHIR server that sets a session cookie on every answer and records every request.
    Patient `foreign` answers with a resource of another type, as an internal server would."""

    seen: list[SeenRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: BackgroundServer | None = None

    def __call__(self, environ, start_response):
        path = environ["PATH_INFO"].removeprefix("/fhir/")
        token = environ.get("HTTP_AUTHORIZATION", "")
        with self.lock:
            self.seen.append(
                SeenRequest(
                    path,
                    environ.get("QUERY_STRING", ""),
                    environ.get("HTTP_COOKIE", ""),
                    token,
                )
            )
        if path.startswith("Patient/"):
            patient_id = path.split("/", 1)[1]
            resource_type = "InternalAdminBanner" if patient_id == "foreign" else "Patient"
            body = {"resourceType": resource_type, "id": patient_id}
        else:
            body = {"resourceType": "Bundle", "type": "searchset", "entry": []}
        # The cookie names the caller whose call set it, so a leak shows whose it was.
        start_response(
            "200 OK",
            [("Content-Type", FHIR_JSON), ("Set-Cookie", f"fhirsession=of-{token[-6:]}; Path=/")],
        )
        return [json.dumps(body).encode()]

    @property
    def base(self) -> str:
        assert self.server is not None
        return f"{self.server.url}/fhir"

    def requests_since(self, mark: int) -> list[SeenRequest]:
        with self.lock:
            return self.seen[mark:]


@pytest.fixture(scope="module")
def fhir() -> Iterator[CookieFhir]:
    app = CookieFhir()
    app.server = serve_wsgi(app, quiet=True)
    yield app
    app.server.stop()


@dataclass
class Callers:
    allowlisted: JwtIssuer  # PANNET_CDS_FHIR_SERVERS lists the cookie FHIR server for it
    unlisted: JwtIssuer  # no allowlist: public addresses only


@pytest.fixture(scope="module")
def callers() -> Callers:
    return Callers(
        JwtIssuer(iss="https://ehr-listed.example.org"),
        JwtIssuer(iss="https://ehr-unlisted.example.org"),
    )


@pytest.fixture(scope="module")
def service(tmp_path_factory, fhir, callers) -> Iterator[ServiceProcess]:
    workdir = tmp_path_factory.mktemp("hardening")
    trusted = {
        issuer.iss: str(issuer.write_jwks(workdir / f"jwks-{index}.json"))
        for index, issuer in enumerate((callers.allowlisted, callers.unlisted))
    }
    env = {
        "PANNET_CDS_TRUSTED_ISSUERS": json.dumps(trusted),
        "PANNET_CDS_FHIR_SERVERS": json.dumps({callers.allowlisted.iss: [fhir.base]}),
    }
    with ServiceProcess(workdir, env, workers=1) as process:
        yield process


def post(service, issuer: JwtIssuer, body, *, path=PATIENT_VIEW, aud=None, **headers):
    headers.setdefault("Content-Type", "application/json")
    token = issuer.mint(aud=aud or service.url(path))
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return requests.post(
        service.url(path),
        data=data,
        headers={"Authorization": f"Bearer {token}", **headers},
        timeout=CLIENT_TIMEOUT_S,
    )


def fetching_call(fhir: CookieFhir, patient_id: str, access_token: str) -> dict:
    """A patient-view call without prefetch: everything is read from `fhir`."""
    return request_body(
        "patient-view", patient_id, fhir_server=fhir.base, access_token=access_token
    )


def diagnostics(response) -> str:
    return response.json()["issue"][0]["diagnostics"]


# --- 11.2: no cookies across calls or users -------------------------------------------------


def test_a_cookie_set_on_one_callers_call_is_never_sent_on_another(service, fhir, callers):
    mark = len(fhir.seen)
    first = post(service, callers.allowlisted, fetching_call(fhir, "p01", "token-of-caller-a"))
    assert first.status_code in (200, 412), first.text
    second = post(service, callers.allowlisted, fetching_call(fhir, "p01", "token-of-caller-b"))
    assert second.status_code in (200, 412), second.text
    seen = fhir.requests_since(mark)
    assert {r.authorization for r in seen} == {
        "Bearer token-of-caller-a",
        "Bearer token-of-caller-b",
    }
    assert [r.cookie for r in seen if r.cookie] == []


# --- 12: search values percent-encoded; the read path is checked ------------------------------


def test_search_parameter_values_are_percent_encoded(service, fhir, callers):
    mark = len(fhir.seen)
    post(service, callers.allowlisted, fetching_call(fhir, "p01", "token-enc"))
    observation_queries = [r.query for r in fhir.requests_since(mark) if r.path == "Observation"]
    assert observation_queries, "the Observation search was not made"
    query = observation_queries[0]
    assert "code=http%3A%2F%2Floinc.org%7C" in query and "%7C29593-1" in query
    assert "http://" not in query and "|" not in query


def test_a_patient_id_of_dots_never_climbs_the_servers_path(service, fhir, callers):
    mark = len(fhir.seen)
    response = post(service, callers.allowlisted, fetching_call(fhir, "..", "token-dots"))
    assert response.status_code == 412
    assert "not a valid FHIR resource type and id" in diagnostics(response)
    paths = [r.path for r in fhir.requests_since(mark)]
    assert not [p for p in paths if p.startswith("Patient") or p in ("", "/")]


# --- 11.3 / 11.7: fhirServer allowlist, public addresses, fixed reasons ----------------------


def test_a_caller_without_an_allowlist_cannot_reach_loopback(service, fhir, callers):
    mark = len(fhir.seen)
    response = post(service, callers.unlisted, fetching_call(fhir, "p01", "token-unlisted"))
    assert response.status_code == 412
    assert "loopback, private or link-local" in diagnostics(response)
    assert fhir.requests_since(mark) == []  # refused before any connection


@pytest.mark.parametrize(
    "target",
    [
        "http://10.0.0.7:5432/fhir",  # private (the PostgreSQL port-scan oracle)
        "http://169.254.169.254/latest",  # link-local: cloud metadata
        "http://[::ffff:127.0.0.1]:5432/fhir",  # loopback spelt as IPv4-mapped IPv6
        "http://2130706433:5432/fhir",  # 127.0.0.1 as one decimal number
    ],
)
def test_internal_targets_are_refused_at_once_with_one_reason(service, callers, target):
    body = request_body("patient-view", "p01", fhir_server=target, access_token="t")
    started = time.monotonic()
    response = post(service, callers.unlisted, body)
    assert response.status_code == 412
    # The same fixed phrase whatever is (or is not) listening: no port-scan oracle.
    assert "loopback, private or link-local" in diagnostics(response)
    assert time.monotonic() - started < 1.0


def test_an_allowlisted_caller_may_name_only_its_servers(service, fhir, callers):
    closed_port = f"http://127.0.0.1:{free_loopback_port()}/fhir"
    for target in (closed_port, fhir.base.replace("/fhir", "/other")):
        body = request_body("patient-view", "p01", fhir_server=target, access_token="t")
        response = post(service, callers.allowlisted, body)
        assert response.status_code == 412
        assert "not on this client's allowlist" in diagnostics(response)


def test_the_412_never_quotes_what_a_foreign_server_sent(service, fhir, callers):
    response = post(service, callers.allowlisted, fetching_call(fhir, "foreign", "token-f"))
    assert response.status_code == 412
    assert "InternalAdminBanner" not in response.text
    assert "another resource type than requested" in diagnostics(response)
    # Said in words, not as the prefetch template (issue 12).
    assert "Patient (Patient/foreign)" in diagnostics(response)
    assert "{{" not in response.text
    assert "InternalAdminBanner" not in service.log_text()


def test_a_cross_origin_text_plain_post_is_refused_and_its_origin_not_echoed(service, callers):
    body = json.dumps(request_body("patient-view", "p01", prefetch=prefetch_for([])))
    response = post(
        service,
        callers.allowlisted,
        body.encode(),
        **{"Content-Type": "text/plain", "Origin": "https://evil.example"},
    )
    assert response.status_code == 415
    assert "application/json" in diagnostics(response)
    assert response.headers.get("Access-Control-Allow-Origin") in (None, "*")
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_feedback_and_unknown_services_refuse_non_json_bodies_too(service, callers):
    for path in (PATIENT_VIEW + "/feedback", "/cds-services/no-such-service"):
        response = post(
            service,
            callers.allowlisted,
            b"feedback=1",
            path=path,
            **{"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert response.status_code == 415, path


def test_cors_preflight_answers_a_wildcard_not_the_callers_origin(service):
    response = requests.options(
        service.url(PATIENT_VIEW),
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        timeout=CLIENT_TIMEOUT_S,
    )
    assert response.headers.get("Access-Control-Allow-Origin") == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers


# --- 11.4: aud against the configured base URL, never the Host header ------------------------


def test_a_token_for_another_deployment_is_refused_whatever_host_is_named(service, callers):
    body = request_body("patient-view", "p01", prefetch=prefetch_for(case_resources("p01")))
    attempts = [
        # another deployment's token, with that deployment's host in Host:
        (
            "http://cds.other-hospital.example" + PATIENT_VIEW,
            {"Host": "cds.other-hospital.example"},
        ),
        # the https URL of this host, "proved" by a forwarded header from loopback
        (service.url(PATIENT_VIEW).replace("http:", "https:"), {"X-Forwarded-Proto": "https"}),
    ]
    for aud, headers in attempts:
        assert post(service, callers.allowlisted, body, aud=aud, **headers).status_code == 401
    assert post(service, callers.allowlisted, body).status_code == 200


def test_serve_with_authentication_on_refuses_to_start_without_a_base_url(tmp_path, callers):
    jwks = callers.allowlisted.write_jwks(tmp_path / "jwks.json")
    env = child_environment(
        {
            "PANNET_CDS_TRUSTED_ISSUERS": json.dumps({callers.allowlisted.iss: str(jwks)}),
            "PANNET_CDS_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        }
    )
    result = subprocess.run(
        [sys.executable, "-m", "cds_service.cli", "serve", "--port", str(free_loopback_port())],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "PANNET_CDS_BASE_URL is required when client authentication is on" in result.stderr


# --- 11.6, 11.9, 12: body errors and limits ------------------------------------------------


def test_a_5000_digit_integer_is_a_400_not_a_500(service, callers):
    body = request_body("patient-view", "p01", prefetch=prefetch_for(case_resources("p01")))
    raw = json.dumps(body).replace('"hook":', '"n": ' + "9" * 5000 + ', "hook":', 1)
    response = post(service, callers.allowlisted, raw.encode())
    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"
    assert "number too long" in diagnostics(response)
    assert "Traceback" not in service.log_text()


def test_the_413_states_the_body_limit(service, callers):
    response = post(service, callers.allowlisted, b'{"pad": "' + b"x" * (6 * 1024 * 1024) + b'"}')
    assert response.status_code == 413
    assert "the limit is 5 MiB (5242880 bytes)" in diagnostics(response)


def test_a_prefetch_key_past_the_resource_cap_is_413_with_the_limit(service, callers):
    observations = [
        {
            "resourceType": "Observation",
            "id": f"o{index}",
            "status": "final",
            "code": {"text": "x"},
            "subject": {"reference": "Patient/p01"},
        }
        for index in range(5001)
    ]
    prefetch = prefetch_for([*case_resources("p01"), *observations])
    response = post(
        service, callers.allowlisted, request_body("patient-view", "p01", prefetch=prefetch)
    )
    assert response.status_code == 413
    assert "the limit is 5000 per prefetch key" in diagnostics(response)
