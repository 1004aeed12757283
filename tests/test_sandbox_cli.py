"""`pannet-cds sandbox load|check` against a real FHIR server (sekmet-fhir) and the production
server (`pannet-cds serve`, gunicorn, JWT verification on) started as a process."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from prometheus_client.parser import text_string_to_metric_families

from cds_service.cli import main
from cds_service.sandbox.patients import demo_patients, transaction_bundle
from tests.support.cds_calls import CASES
from tests.support.fhir_load import search_all
from tests.support.jwt_issuer import JwtIssuer
from tests.support.service_process import ServiceProcess, signed_service_env

EXPECTED_TIERS = {
    "pannet-demo-p01": "intermediate",
    "pannet-demo-p02": "low",
    "pannet-demo-p03": "high",
    "pannet-demo-p06": "high",
}


def test_demo_patients_ship_in_the_package_with_prefixed_ids():
    patients = demo_patients()
    assert [p.name for p in patients] == ["p01", "p02", "p03", "p04", "p05", "p06"]
    for patient in patients:
        assert patient.patient_id == f"pannet-demo-{patient.name}"
        ids = [e["resource"]["id"] for e in patient.bundle["entry"]]
        assert all(i.startswith("pannet-demo-") for i in ids)
        assert len(set(ids)) == len(ids)
    # p01-p04 are the shared cases, resource for resource
    for patient in patients[:4]:
        case = json.loads((CASES / f"{patient.name}.bundle.json").read_text())
        kinds = sorted(e["resource"]["resourceType"] for e in case["entry"])
        assert sorted(e["resource"]["resourceType"] for e in patient.bundle["entry"]) == kinds


def test_transaction_is_idempotent_puts_with_server_references():
    patient = demo_patients()[0]
    transaction = transaction_bundle(patient.bundle)
    assert transaction["type"] == "transaction"
    for entry in transaction["entry"]:
        resource = entry["resource"]
        assert entry["request"] == {
            "method": "PUT",
            "url": f"{resource['resourceType']}/{resource['id']}",
        }
    text = json.dumps(transaction)
    assert "urn:uuid:" not in text
    assert f'"Patient/{patient.patient_id}"' in text


def test_load_twice_leaves_one_copy_of_each_resource(fhir_server):
    runner = CliRunner()
    for _ in range(2):
        result = runner.invoke(main, ["sandbox", "load", "--fhir-server", fhir_server.base_url])
        assert result.exit_code == 0, result.output
    p03 = demo_patients()[2]
    assert f"pannet-demo-p03: {len(p03.bundle['entry'])} resources" in result.output
    for patient in demo_patients():
        expected = [
            e["resource"]["id"]
            for e in patient.bundle["entry"]
            if e["resource"]["resourceType"] == "Observation"
        ]
        found = search_all(fhir_server.base_url, f"Observation?patient={patient.patient_id}")
        assert sorted(o["id"] for o in found) == sorted(expected)


def test_load_names_an_unknown_patient():
    result = CliRunner().invoke(
        main, ["sandbox", "load", "--fhir-server", "http://127.0.0.1:9/fhir", "--patient", "p99"]
    )
    assert result.exit_code == 2
    assert "p99" in result.output


@pytest.fixture(scope="module")
def client_identity(tmp_path_factory) -> tuple[JwtIssuer, Path, Path]:
    folder = tmp_path_factory.mktemp("identity")
    issuer = JwtIssuer()
    jwks = issuer.write_jwks(folder / "jwks.json")
    pem = folder / "client.pem"
    pem.write_bytes(
        issuer.default_key.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return issuer, jwks, pem


@pytest.fixture(scope="module")
def service_url(tmp_path_factory, client_identity) -> Iterator[str]:
    """`pannet-cds serve` with two gunicorn workers, JWT verification on, a SQLite file."""
    issuer, _, _ = client_identity
    folder = tmp_path_factory.mktemp("service")
    # the production start-up the other e2e tests use: trusting this issuer, a fresh SQLite file
    with ServiceProcess(folder, signed_service_env(issuer, folder), workers=2) as service:
        yield service.base_url


def test_check_prints_tiers_and_cards_for_every_demo_patient(
    fhir_server, service_url, client_identity
):
    issuer, _, pem = client_identity
    runner = CliRunner()
    assert (
        runner.invoke(main, ["sandbox", "load", "--fhir-server", fhir_server.base_url]).exit_code
        == 0
    )
    result = runner.invoke(
        main,
        [
            "sandbox",
            "check",
            "--fhir-server",
            fhir_server.base_url,
            "--service",
            service_url,
            "--private-key",
            str(pem),
            "--issuer",
            issuer.iss,
            "--kid",
            issuer.default_key.kid,
        ],
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:4] == ["patient", "HTTP", "tier", "cards"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert set(rows) == {p.patient_id for p in demo_patients()}
    for patient, tier in EXPECTED_TIERS.items():
        assert rows[patient].split()[1:4] == ["200", tier, "1"], rows[patient]
    assert "undecided" in rows["pannet-demo-p04"]

    # Metrics of both gunicorn workers are aggregated, whichever worker answers the scrape.
    text = requests.get(f"{service_url}/metrics", timeout=5).text
    total = sum(
        s.value
        for f in text_string_to_metric_families(text)
        for s in f.samples
        if s.name == "pannet_cds_assessments_total"
    )
    assert total == len(demo_patients())


def test_check_without_a_signing_key_is_refused_by_a_verifying_service(fhir_server, service_url):
    result = CliRunner().invoke(
        main,
        [
            "sandbox",
            "check",
            "--fhir-server",
            fhir_server.base_url,
            "--service",
            service_url,
            "--patient",
            "p01",
        ],
    )
    assert result.exit_code == 1
    assert "401" in result.output
