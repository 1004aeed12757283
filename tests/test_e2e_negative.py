"""The negative matrix against the service process: bad client JWTs get a bare 401, bad bodies a
400 OperationOutcome, unknown services 404, and a FHIR server that is down, failing or hanging
gives 412 or a degraded card within the time budget; never a 500, never a hang."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from tests.support.cds_calls import SERVICE_IDS, case_resources, prefetch_for, request_body
from tests.support.faulty_fhir_server import FaultyFhirServer
from tests.support.jwt_issuer import OMIT, JwtIssuer, hand_made_token
from tests.support.loopback import free_loopback_port

pytestmark = pytest.mark.e2e

PATIENT_VIEW = f"/cds-services/{SERVICE_IDS['patient-view']}"
ACCESS_TOKEN = "negative-matrix-access-token-6c1f"
# the service's FHIR budget is 1.5 s; this only catches a hang, it is no performance test
NO_HANG_S = 8.0


def good_body() -> dict[str, Any]:
    return request_body("patient-view", "p01", prefetch=prefetch_for(case_resources("p01")))


def assert_bare_401(response: requests.Response) -> None:
    assert response.status_code == 401, response.text[:500]
    assert response.content == b""


def jwt_cases(service) -> dict[str, str | None]:
    issuer: JwtIssuer = service.issuer
    aud = service.url(PATIENT_VIEW)
    now = int(time.time())
    impostor = JwtIssuer(iss=issuer.iss, kid=issuer.default_key.kid)  # same iss and kid
    claims = issuer.claims(aud)
    return {
        "missing": None,
        "expired": issuer.mint(aud, iat=now - 900, exp=now - 600),
        "future-iat": issuer.mint(aud, iat=now + 600, exp=now + 900),
        "wrong-aud": issuer.mint(service.url("/cds-services")),
        "other-port-aud": issuer.mint(aud.replace("127.0.0.1:", "127.0.0.1:1")),
        "wrong-key": impostor.mint(aud),
        "unknown-issuer": JwtIssuer(iss="https://evil.example/").mint(aud),
        "no-jti": issuer.mint(aud, jti=OMIT),
        "hs256-with-public-key": hand_made_token(
            {"alg": "HS256", "typ": "JWT", "kid": issuer.default_key.kid},
            claims,
            issuer.default_key.public_pem(),
        ),
        "alg-none": hand_made_token({"alg": "none", "typ": "JWT"}, claims, None),
        "garbage": "not.a.jwt",
    }


CASES = [
    "missing",
    "expired",
    "future-iat",
    "wrong-aud",
    "other-port-aud",
    "wrong-key",
    "unknown-issuer",
    "no-jti",
    "hs256-with-public-key",
    "alg-none",
    "garbage",
]


@pytest.mark.parametrize("case", CASES)
def test_bad_client_jwt_gets_a_bare_401(cds_process, case):
    token = jwt_cases(cds_process)[case]
    response = cds_process.post(PATIENT_VIEW, good_body(), token=token, sign=token is not None)
    assert_bare_401(response)


def test_the_same_valid_jwt_is_accepted_once(cds_process):
    # several rounds: the two gunicorn workers share the replay cache through the database
    for _ in range(4):
        token = cds_process.token(PATIENT_VIEW)
        first = cds_process.post(PATIENT_VIEW, good_body(), token=token)
        assert first.status_code == 200, first.text[:500]
        for _ in range(2):
            assert_bare_401(cds_process.post(PATIENT_VIEW, good_body(), token=token))


def test_feedback_endpoint_is_protected_too(cds_process):
    response = cds_process.post(f"{PATIENT_VIEW}/feedback", {"feedback": []}, sign=False)
    assert_bare_401(response)


MALFORMED: dict[str, bytes] = {
    "empty": b"",
    "not-json": b"{hook: patient-view",
    "not-utf8": b'{"hook": "\xff\xfe"}',
    "json-array": b"[]",
    "json-string": b'"patient-view"',
    "missing-hook": b'{"hookInstance": "a", "context": {"userId": "Practitioner/1", '
    b'"patientId": "p01"}}',
    "missing-hookInstance": b'{"hook": "patient-view", "context": {"userId": '
    b'"Practitioner/1", "patientId": "p01"}}',
    "missing-context": b'{"hook": "patient-view", "hookInstance": "a"}',
    "context-wrong-type": b'{"hook": "patient-view", "hookInstance": "a", "context": "p01"}',
    "patientId-wrong-type": b'{"hook": "patient-view", "hookInstance": "a", "context": '
    b'{"userId": "Practitioner/1", "patientId": 17}}',
    "hook-of-another-service": b'{"hook": "order-sign", "hookInstance": "a", "context": '
    b'{"userId": "Practitioner/1", "patientId": "p01"}}',
    "prefetch-wrong-type": b'{"hook": "patient-view", "hookInstance": "a", "context": '
    b'{"userId": "Practitioner/1", "patientId": "p01"}, "prefetch": []}',
    "deeply-nested": b'{"hook": "patient-view", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_body_gets_400_operation_outcome(cds_process, case):
    response = cds_process.post(PATIENT_VIEW, data=MALFORMED[case])
    assert response.status_code == 400, (response.status_code, response.text[:500])
    assert response.headers["Content-Type"].startswith("application/fhir+json")
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["severity"] == "error"
    assert outcome["issue"][0]["diagnostics"]
    assert "Traceback" not in response.text


def test_unknown_service_is_404(cds_process):
    path = "/cds-services/no-such-service"
    response = cds_process.post(path, good_body())
    assert response.status_code == 404
    assert response.json()["resourceType"] == "OperationOutcome"


def fetch_only_body(fhir_base: str, **prefetch: Any) -> dict[str, Any]:
    body = request_body("patient-view", "p01", fhir_server=fhir_base, access_token=ACCESS_TOKEN)
    if prefetch:
        body["prefetch"] = prefetch
    return body


@pytest.fixture(scope="module")
def fhir_faults():
    """Where the service's FHIR fetches go wrong: a closed port, 500s, a 10 s hang."""
    with (
        FaultyFhirServer("error") as failing,
        FaultyFhirServer("slow", delay_s=10.0) as hanging,
    ):
        yield {
            "unreachable": f"http://127.0.0.1:{free_loopback_port()}/fhir",
            "failing": failing.base_url,
            "hanging": hanging.base_url,
        }


def timed_post(service, body: dict[str, Any]) -> tuple[requests.Response, float]:
    started = time.monotonic()
    response = service.post(PATIENT_VIEW, body, timeout=30)
    return response, time.monotonic() - started


@pytest.mark.parametrize("fault", ["unreachable", "failing", "hanging"])
def test_no_patient_from_a_broken_fhir_server_is_412(cds_process, fhir_faults, fault):
    response, elapsed = timed_post(cds_process, fetch_only_body(fhir_faults[fault]))
    assert response.status_code == 412, response.text[:500]
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert "Patient (Patient/" in outcome["issue"][0]["diagnostics"]
    assert outcome["issue"][0]["expression"] == ["patient"]
    assert elapsed < NO_HANG_S, f"{fault}: answered after {elapsed:.1f} s"


@pytest.mark.parametrize("fault", ["unreachable", "failing", "hanging"])
def test_optional_data_from_a_broken_fhir_server_gives_a_degraded_card(
    cds_process, fhir_faults, fault
):
    # The EHR prefetched the pathology record; imaging and medication history must come from
    # the broken server.
    full = prefetch_for(case_resources("p01"))
    prefetch = {k: full[k] for k in ("patient", "conditions", "procedures", "observations")}
    response, elapsed = timed_post(cds_process, fetch_only_body(fhir_faults[fault], **prefetch))
    assert response.status_code == 200, response.text[:500]
    assert elapsed < NO_HANG_S, f"{fault}: answered after {elapsed:.1f} s"
    cards = response.json()["cards"]
    assert len(cards) == 1, "with no imaging history, surveillance may be due"
    assessment = cards[0]["extension"]["org.pannet-cds.assessment"]
    unavailable = [w for w in assessment["warnings"] if "Not available from the FHIR server" in w]
    assert any("imagingStudies" in w for w in unavailable), assessment["warnings"]
    assert assessment["overall_tier"] == "intermediate", "the prefetched pathology still counts"


@pytest.mark.parametrize("fault", ["unreachable", "failing", "hanging"])
def test_no_silent_answer_from_an_unreadable_record(cds_process, fhir_faults, fault):
    """Regression: with only the Patient prefetched and every search failing, the service found
    no NET diagnosis and answered 200 with no card, as for a patient it has nothing to say
    about. Silence must rest on the whole record: 412 naming what could not be had."""
    patient = next(r for r in case_resources("p01") if r["resourceType"] == "Patient")
    response, elapsed = timed_post(
        cds_process, fetch_only_body(fhir_faults[fault], patient=patient)
    )
    assert response.status_code == 412, response.text[:500]
    assert elapsed < NO_HANG_S, f"{fault}: answered after {elapsed:.1f} s"
    issue = response.json()["issue"][0]
    assert "conditions" in issue["expression"]
    assert "procedures" in issue["expression"]


def test_no_token_reaches_the_log(cds_process, fhir_faults):
    token = cds_process.token(PATIENT_VIEW)
    cds_process.post(PATIENT_VIEW, fetch_only_body(fhir_faults["failing"]), token=token)
    cds_process.post(PATIENT_VIEW, fetch_only_body(fhir_faults["failing"]), token=token)
    log = cds_process.process.log_text()
    assert ACCESS_TOKEN not in log
    assert token not in log and token.split(".")[2] not in log
