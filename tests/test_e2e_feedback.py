"""Feedback through the service process: stored once, kept across a restart, and counted by
`pannet-cds feedback-stats` reading the same database."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.cds_calls import SERVICE_IDS, accepted_feedback, prefetch_for, request_body
from tests.support.e2e_patients import bundle_resources, case_bundle
from tests.support.jwt_issuer import JwtIssuer
from tests.support.loopback import process_timeout
from tests.support.service_process import (
    ServiceProcess,
    SignedService,
    child_environment,
    signed_service_env,
)

pytestmark = pytest.mark.e2e

SERVICE = SERVICE_IDS["pathology"]
PATH = f"/cds-services/{SERVICE}"


@pytest.fixture(scope="module")
def setup(tmp_path_factory) -> tuple[Path, JwtIssuer]:
    """One issuer and one database, for a service started, stopped and started again."""
    return tmp_path_factory.mktemp("cds-feedback"), JwtIssuer()


@pytest.fixture(scope="module")
def service(setup) -> Iterator[SignedService]:
    workdir, issuer = setup
    with ServiceProcess(workdir, signed_service_env(issuer, workdir)) as process:
        service = SignedService(process, issuer)
        yield service
        service.stop()


def sign_off_card(service: SignedService, case: str) -> dict[str, Any]:
    resources = bundle_resources(case_bundle(case))
    report = (
        next(r for r in resources if r["resourceType"] == "DiagnosticReport")
        if (case == "e07")
        else {
            "resourceType": "DiagnosticReport",
            "id": f"{case}-signed",
            "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "60567-5"}]},
            "subject": {"reference": f"Patient/{case}"},
        }
    )
    body = request_body(
        "pathology", case, prefetch=prefetch_for(resources), diagnosticReport=report
    )
    response = service.post(PATH, body)
    assert response.status_code == 200, response.text[:1000]
    return response.json()["cards"][0]


def overridden(card: dict[str, Any]) -> dict[str, Any]:
    return {
        "feedback": [
            {
                "card": card["uuid"],
                "outcome": "overridden",
                "overrideReason": {"reason": card["overrideReasons"][0]},
                "outcomeTimestamp": "2026-11-21T10:05:00Z",
            }
        ]
    }


@pytest.fixture(scope="module")
def stored(service) -> dict[str, Any]:
    """A high-tier card accepted (twice) and an intermediate one overridden."""
    high, intermediate = sign_off_card(service, "e01"), sign_off_card(service, "e06")
    answers = [
        service.post(f"{PATH}/feedback", accepted_feedback(high)),
        service.post(f"{PATH}/feedback", accepted_feedback(high)),
        service.post(f"{PATH}/feedback", overridden(intermediate)),
    ]
    return {"high": high, "intermediate": intermediate, "answers": answers}


def test_feedback_is_stored_once(stored):
    first, again, override = stored["answers"]
    assert (first.status_code, first.json()) == (200, {"stored": 1, "duplicates": 0})
    assert (again.status_code, again.json()) == (200, {"stored": 0, "duplicates": 1})
    assert (override.status_code, override.json()) == (200, {"stored": 1, "duplicates": 0})


def feedback_stats(workdir: Path) -> list[dict[str, Any]]:
    env = child_environment(signed_service_env(JwtIssuer(), workdir / "stats"))
    env["PANNET_CDS_DATABASE_URL"] = f"sqlite:///{workdir / 'cds.sqlite3'}"
    result = subprocess.run(
        [sys.executable, "-m", "cds_service.cli", "feedback-stats", "--json", "--service", SERVICE],
        env=env,
        capture_output=True,
        text=True,
        timeout=process_timeout(),
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_feedback_survives_a_restart_and_is_counted(setup, service, stored):
    workdir, issuer = setup
    assert service.stop() == 0, service.process.log_tail()  # SIGTERM: a clean exit
    rows = {row["tier"]: row for row in feedback_stats(workdir)}
    assert rows["high"]["cardsIssued"] == 1
    assert (rows["high"]["accepted"], rows["high"]["overridden"]) == (1, 0)
    assert rows["intermediate"]["cardsIssued"] == 1
    assert (rows["intermediate"]["accepted"], rows["intermediate"]["overridden"]) == (0, 1)
    reason = stored["intermediate"]["overrideReasons"][0]["code"]
    assert [r["code"] for r in rows["intermediate"]["topOverrideReasons"]] == [reason]
    # the same database behind a new process: the earlier feedback is still known
    with ServiceProcess(workdir, signed_service_env(issuer, workdir)) as process:
        restarted = SignedService(process, issuer)
        again = restarted.post(f"{PATH}/feedback", accepted_feedback(stored["high"]))
        restarted.stop()
    assert (again.status_code, again.json()) == (200, {"stored": 0, "duplicates": 1})
