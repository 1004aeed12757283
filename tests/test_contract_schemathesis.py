"""Contract fuzzing: schemathesis, all checks, against the service's own /openapi.json, with the
service running as a real gunicorn process with JWT verification on. Each call carries a fresh
signed JWT (tests/support/schemathesis_hooks.py), so the authentication path is fuzzed too, and
schemathesis's own auth checks send calls without or with broken credentials.

Bounded: a fixed number of examples per operation and a fixed seed (same cases every run)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from tests.support.jwt_issuer import JwtIssuer
from tests.support.loopback import free_loopback_port
from tests.support.service_process import ServiceProcess, signed_service_env

pytestmark = pytest.mark.e2e

REPO_ROOT = Path(__file__).resolve().parent.parent
MAX_EXAMPLES = 30
SEED = 20240601
RUN_TIMEOUT_S = 600


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("contract")
    issuer = JwtIssuer()
    env = signed_service_env(issuer, workdir)
    # Thousands of generated calls from one issuer in a few minutes: the rate limit would answer
    # 429 to valid calls (tests/test_rate_limit.py covers it).
    env["PANNET_CDS_RATE_LIMIT"] = "0"
    key = issuer.default_key
    key_path = workdir / "client-key.pem"
    key_path.write_bytes(
        key.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with ServiceProcess(workdir, env, workers=2) as runner:
        runner.schemathesis_env = {
            "SCHEMATHESIS_HOOKS": "tests.support.schemathesis_hooks",
            "PANNET_CDS_CONTRACT_JWT_KEY": str(key_path),
            "PANNET_CDS_CONTRACT_JWT_ISS": issuer.iss,
            "PANNET_CDS_CONTRACT_JWT_KID": key.kid,
            "PANNET_CDS_CONTRACT_BASE_URL": runner.base_url,
            "PANNET_CDS_CONTRACT_FHIR_URL": f"http://127.0.0.1:{free_loopback_port()}/fhir",
        }
        yield runner


def test_schemathesis_all_checks_pass(service, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), **service.schemathesis_env}
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(REPO_ROOT / "tests/support/schemathesis.toml"),
        "run",
        service.url("/openapi.json"),
        "--checks",
        "all",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        # One worker: hypothesis's lambda descriptions call ast.parse, not thread-safe on 3.11.
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--no-color",
    ]
    result = subprocess.run(
        command,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        check=False,
    )
    output = result.stdout + result.stderr
    counts = re.search(r"(\d+) generated", output)
    print(f"schemathesis: {counts.group(0) if counts else 'no count'}")  # for the README figures
    (tmp_path / "schemathesis.out").write_text(output)  # the whole report, when it fails
    assert result.returncode == 0, output[-8000:]
    assert counts and int(counts.group(1)) > 500
    assert "Traceback" not in service.log_text()
