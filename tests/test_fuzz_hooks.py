"""Input fuzzing of the hook and feedback endpoints: every body gets a 200 with cards or a clear
4xx OperationOutcome; never a 5xx, never HTML, never a traceback. The fuzzed bodies go through
the real app (SQLite file, JWT verification) in process; the size limit and the deepest bodies
also go over real HTTP to the gunicorn server."""

from __future__ import annotations

import json

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.app_fixtures import build_signed_client
from tests.support.cds_calls import SERVICE_IDS, prefetch_for, request_body
from tests.support.fhir_strategies import json_values, mutated, odd_text, payload_texts, resources
from tests.support.jwt_issuer import JwtIssuer
from tests.support.service_process import ServiceProcess, signed_service_env

EXAMPLES = 200
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
TEN_MB = 10 * 1024 * 1024


@pytest.fixture(scope="module")
def cds(tmp_path_factory):
    # Hundreds of fuzzed calls from one client within a second or two would exceed the
    # per-client limit (100/s, bursts of 200) on a fast machine; throttling has its own tests
    # (tests/test_rate_limit.py), here every body must reach the handlers.
    return build_signed_client(tmp_path_factory.mktemp("fuzz-hooks"), rate_limit_per_second=0)


def check_answer(response) -> None:
    assert response.status_code in (200, 400, 404, 412, 413), response.get_data(as_text=True)[:300]
    text = response.get_data(as_text=True)
    assert "Traceback" not in text and "<html" not in text.lower()
    body = json.loads(text)
    if response.status_code == 200 and "stored" in body:
        assert body["stored"] + body["duplicates"] >= 0
    elif response.status_code == 200:
        assert isinstance(body["cards"], list)
        for card in body["cards"]:
            assert len(card["summary"]) < 140
    else:
        assert body["resourceType"] == "OperationOutcome"
        assert body["issue"][0]["diagnostics"]


@st.composite
def hook_bodies(draw):
    hook = draw(st.sampled_from(["patient-view", "order-sign", "encounter-discharge"]))
    items = draw(resources())
    patient_id = "p01"
    if isinstance(items, list):
        found = [r for r in items if isinstance(r, dict) and r.get("resourceType") == "Patient"]
        if found and isinstance(found[0].get("id"), str):
            patient_id = found[0]["id"]
        try:
            prefetch = prefetch_for([r for r in items if isinstance(r, dict)])
        except (KeyError, TypeError, AttributeError):
            prefetch = {"junk": items}
    else:
        prefetch = {"patient": items}
    body = request_body(hook, patient_id, prefetch=prefetch)
    if draw(st.booleans()):
        body = draw(mutated(body, max_mutations=3))
    return SERVICE_IDS[hook], body


@FUZZ
@given(hook_bodies())
def test_fuzzed_hook_calls(cds, call):
    service_id, body = call
    check_answer(cds.post(f"/cds-services/{service_id}", raw=json.dumps(body).encode()))


@FUZZ
@given(payload_texts())
def test_raw_bytes_to_the_hook_endpoint(cds, raw):
    check_answer(cds.post("/cds-services/pannet-cds-patient-view", raw=raw))


FEEDBACK = {
    "feedback": [
        {
            "card": "4e0a3a1e-3283-4575-ab82-028d55fe2719",
            "outcome": "overridden",
            "overrideReason": {
                "reason": {"system": "http://example.org", "code": "x", "display": "X"},
                "userComment": "not now",
            },
            "outcomeTimestamp": "2025-01-01T10:00:00Z",
        }
    ]
}


@FUZZ
@given(st.one_of(mutated(FEEDBACK, max_mutations=4), json_values, odd_text))
def test_fuzzed_feedback(cds, body):
    response = cds.post(
        "/cds-services/pannet-cds-patient-view/feedback", raw=json.dumps(body).encode()
    )
    check_answer(response)


# --- over real HTTP: gunicorn, MAX_CONTENT_LENGTH, chunked bodies -----------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("fuzz-server")
    issuer = JwtIssuer()
    env = signed_service_env(issuer, workdir)
    with ServiceProcess(workdir, env, workers=1) as service:
        service.issuer = issuer
        yield service


def post(server, path, data, **headers):
    token = server.issuer.mint(aud=server.url(path))
    return requests.post(
        server.url(path),
        data=data,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json", **headers},
        timeout=60,
    )


@pytest.mark.e2e
@pytest.mark.parametrize(
    "path",
    ["/cds-services/pannet-cds-patient-view", "/cds-services/pannet-cds-patient-view/feedback"],
)
def test_ten_mb_body_is_413_over_http(server, path):
    body = json.dumps({"hook": "patient-view", "pad": "x" * TEN_MB}).encode()
    response = post(server, path, body)
    assert response.status_code == 413
    assert response.json()["resourceType"] == "OperationOutcome"


@pytest.mark.e2e
@pytest.mark.parametrize(
    "path",
    ["/cds-services/pannet-cds-patient-view", "/cds-services/pannet-cds-patient-view/feedback"],
)
def test_ten_mb_chunked_body_without_length_is_413(server, path):
    """Regression: a chunked body past the limit was cut at the limit and answered 400."""
    chunk = b"x" * 65536

    def stream():
        yield b'{"hook": "patient-view", "pad": "'
        for _ in range(TEN_MB // len(chunk)):
            yield chunk
        yield b'"}'

    response = post(server, path, stream())
    assert response.status_code == 413


@pytest.mark.e2e
def test_deeply_nested_body_is_400_over_http(server):
    body = b'{"hook": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    response = post(server, "/cds-services/pannet-cds-patient-view", body)
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["issue"][0]["diagnostics"]


@pytest.mark.e2e
def test_a_valid_call_still_works_after_the_abuse(server):
    from tests.support.cds_calls import case_resources

    body = request_body("patient-view", "p01", prefetch=prefetch_for(case_resources("p01")))
    response = post(server, "/cds-services/pannet-cds-patient-view", json.dumps(body))
    assert response.status_code == 200
    assert "Traceback" not in server.log_text()


def test_regression_integral_float_expires_in_is_an_integer(cds):
    """Found by the contract fuzzing: `expires_in: 300.0` (the JSON number 300) was a 400."""
    from tests.support.cds_calls import case_resources

    body = request_body(
        "patient-view",
        "p01",
        prefetch=prefetch_for(case_resources("p01")),
        fhir_server="http://127.0.0.1:9/fhir",
        access_token="t",
    )
    body["fhirAuthorization"]["expires_in"] = 300.0
    assert cds.post("/cds-services/pannet-cds-patient-view", body).status_code == 200
    body["fhirAuthorization"]["expires_in"] = 300.5
    assert cds.post("/cds-services/pannet-cds-patient-view", body).status_code == 400


@pytest.mark.parametrize("token", ["tökén", "a b", "\udb13x", "日本"])
def test_regression_unsendable_access_token_is_400_not_500(cds, token):
    """Found by the contract fuzzing: a token that cannot go into an HTTP header (not Latin-1)
    made the FHIR fetch raise UnicodeEncodeError, answered 500."""
    body = request_body(
        "patient-view", "p01", fhir_server="http://127.0.0.1:9/fhir", access_token=token
    )
    response = cds.post("/cds-services/pannet-cds-patient-view", raw=json.dumps(body).encode())
    assert response.status_code == 400
    diagnostics = response.get_json()["issue"][0]["diagnostics"]
    assert "access_token" in diagnostics and token not in diagnostics
