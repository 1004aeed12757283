"""`./dev demo` start-up as a newcomer meets it (`python -m cds_service.demo`, what `dev` runs):
the printed URLs answer, the SMART launch walks through the test EHR's consent to the patient's
page, the service reads the demo patients from the FHIR server, and SIGTERM stops everything."""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time

import pytest
import requests

from tests.support.loopback import (
    free_loopback_port,
    process_timeout,
    read_log,
    spawn_logged,
    stop_process,
    url_answers,
    wait_until_ready,
)
from tests.support.service_process import REPO_ROOT

pytestmark = pytest.mark.e2e
SERVICES = {
    "pannet-cds-patient-view",
    "pannet-cds-order-sign",
    "pannet-cds-encounter-discharge",
    "pannet-cds-pathology-report-sign",
}


def printed(log: str, label: str) -> str:
    match = re.search(rf"^\s*{re.escape(label)}: (\S+)$", log, re.MULTILINE)
    assert match, f"the demo printed no '{label}' line:\n{log}"
    return match.group(1)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("demo")
    log_path = workdir / "demo.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANNET_CDS_")}
    env["PYTHONPATH"] = str(REPO_ROOT)
    command = [sys.executable, "-m", "cds_service.demo", "--port", str(free_loopback_port())]
    command += ["--workdir", str(workdir / "run")]
    process = spawn_logged(command, cwd=workdir, env=env, log_path=log_path)
    started = wait_until_ready(
        process, lambda: "CDS discovery:" in read_log(log_path), process_timeout()
    )
    if not started:
        stop_process(process, 20)
        pytest.fail(f"the demo did not start ({started}):\n{read_log(log_path)}")
    time.sleep(0.5)  # the rest of the block of URLs
    yield process, read_log(log_path), log_path
    stop_process(process, 30)


def test_start_up_says_each_step_on_the_way(demo):
    _, log, _ = demo
    steps = [line for line in log.splitlines() if line.startswith("demo: ")]
    expected = ["FHIR server", "test EHR", "sandbox load", "starting the service"]
    positions = [next(i for i, s in enumerate(steps) if e in s) for e in expected]
    assert positions == sorted(positions), steps
    assert sum("pannet-demo-p0" in s for s in steps) == 6  # one line per loaded patient


def test_discovery_url_lists_the_services(demo):
    _, log, _ = demo
    services = requests.get(printed(log, "CDS discovery"), timeout=30).json()["services"]
    assert {s["id"] for s in services} == SERVICES


def test_smart_launch_url_reaches_the_patients_page(demo):
    _, log, _ = demo
    agent = requests.Session()
    consent = agent.get(printed(log, "SMART launch"), timeout=30)
    assert consent.status_code == 200 and "Allow access?" in consent.text
    page = agent.post(consent.url, data={"decision": "allow"}, timeout=30)
    assert page.status_code == 200, page.text[:500]
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.text))
    # p01, as the shared case's expected facts say: intermediate
    assert "Overall tier: intermediate" in text
    assert "Observation/pannet-demo-p01-" in text
    # the demo EHR's id_token (OpenID Connect), verified by the app, names the user
    assert "Signed in: Dr Ada Test-Clinician" in text
    assert requests.get(printed(log, "Standalone launch"), timeout=30).status_code == 200


def test_printed_cds_call_command_works_as_printed(demo):
    _, log, _ = demo
    [line] = [line.strip() for line in log.splitlines() if " sandbox check " in line]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANNET_CDS_")}
    result = subprocess.run(
        shlex.split(line), capture_output=True, text=True, env=env, timeout=process_timeout()
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # one answered call per demo patient
    assert sum(f"pannet-demo-p0{i}" in result.stdout for i in range(1, 7)) == 6, result.stdout


def test_sigterm_stops_everything_it_started(demo):
    process, log, log_path = demo
    service = printed(log, "CDS discovery")
    fhir = printed(log, "FHIR server (open, no token)")
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=process_timeout()) == 0
    final = read_log(log_path)
    assert final.rstrip().endswith("demo: stopped"), final[-2000:]
    assert not url_answers(service, timeout=2)
    assert not url_answers(f"{fhir}/metadata", timeout=2)


def test_demo_runs_no_test_code():
    imports_tests = re.compile(r"^\s*(from|import) tests\b", re.MULTILINE)
    demo_code = (REPO_ROOT / "cds_service" / "demo").glob("*.py")
    assert [p.name for p in demo_code if imports_tests.search(p.read_text())] == []
