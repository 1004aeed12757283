"""FHIR server faults: the service (a real process) fetches a patient's record from a real
FHIR server (sekmet-fhir) through a fault-injecting proxy. Whatever the fault, every hook call
answers within the client's bound with a 412 OperationOutcome or cards whose assessment names
what could not be had, and the same call succeeds again once the server is healthy."""

from __future__ import annotations

import json
import time

import pytest
import requests

from tests.support.cds_calls import request_body
from tests.support.fault_proxy import KINDS, Fault, FaultProxy
from tests.support.fhir_load import load_bundle
from tests.support.fhir_strategies import case_bundle
from tests.support.jwt_issuer import JwtIssuer
from tests.support.service_process import ServiceProcess, signed_service_env

pytestmark = pytest.mark.e2e

BUDGET_S = 1.0
# A hang shows as a client timeout: far above the budget, far below "forever".
CLIENT_TIMEOUT_S = BUDGET_S + 20
SERVICE = "/cds-services/pannet-cds-encounter-discharge"
WARNING = "Not available from the FHIR server"
LATENCIES: list[float] = []


@pytest.fixture(scope="module")
def proxy(fhir_server):
    load_bundle(fhir_server.base_url, case_bundle("p01"))
    proxy = FaultProxy(fhir_server.base_url).start()
    yield proxy
    proxy.stop()


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("faults")
    issuer = JwtIssuer()
    env = signed_service_env(issuer, workdir)
    env["PANNET_CDS_FHIR_BUDGET_SECONDS"] = str(BUDGET_S)
    with ServiceProcess(workdir, env, workers=2) as runner:
        runner.issuer = issuer
        yield runner


def hook_call(service, proxy):
    body = request_body(
        "encounter-discharge", "p01", fhir_server=proxy.base_url, access_token="fhir-token-1"
    )
    token = service.issuer.mint(aud=service.url(SERVICE))
    started = time.monotonic()
    response = requests.post(
        service.url(SERVICE),
        data=json.dumps(body),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        timeout=CLIENT_TIMEOUT_S,
    )
    LATENCIES.append(time.monotonic() - started)
    return response


def assessment_of(response) -> dict:
    cards = response.json()["cards"]
    assert cards, "encounter-discharge shows a card for a NET patient"
    return cards[0]["extension"]["org.pannet-cds.assessment"]


def test_healthy_server_gives_the_full_assessment(service, proxy):
    proxy.fault = None
    response = hook_call(service, proxy)
    assert response.status_code == 200
    assessment = assessment_of(response)
    assert assessment["overall_tier"] == "intermediate"
    assert not [w for w in assessment["warnings"] if WARNING in w]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("only", ["all", "search", "Observation"])
def test_fault_then_recovery(service, proxy, kind, only):
    if kind in ("loop", "endless") and only == "all":
        pytest.skip("paging faults are about searches")
    proxy.fault = Fault(kind, only=only, seconds=BUDGET_S * 4)
    try:
        response = hook_call(service, proxy)
    finally:
        proxy.fault = None
    assert "Traceback" not in response.text
    if only in ("all", "search"):
        # The Patient read, or the diagnosis search, failed: nothing can be told: 412.
        assert response.status_code == 412
        outcome = response.json()
        assert outcome["resourceType"] == "OperationOutcome"
        expected = "patient" if only == "all" else "conditions"
        assert expected in outcome["issue"][0]["expression"]
    else:
        # The Observations failed: a card, degraded, naming what is missing; no tier made up.
        assert response.status_code == 200
        assessment = assessment_of(response)
        assert [w for w in assessment["warnings"] if WARNING in w]
        assert assessment["overall_tier"] != "low"
    # Recovery: the very next call gets everything.
    healthy = hook_call(service, proxy)
    assert healthy.status_code == 200
    assert assessment_of(healthy)["overall_tier"] == "intermediate"


def test_no_token_or_traceback_in_the_service_log(service, proxy):
    log = service.log_text()
    assert "fhir-token-1" not in log
    assert "Traceback" not in log
    print(f"faults injected: {dict(proxy.injected)}; max latency {max(LATENCIES):.2f} s")
