"""SMART Backend Services end to end: sekmet-fhir with SMART authorisation on (no open access),
a client registered by its public JWK; `pannet-cds worklist --client-id --private-key` gets a
token with a signed client assertion from the token endpoint the server's
smart-configuration names, exports, downloads the files the manifest says need the token, and
writes the worklist. A client the server does not know, or a key it did not register, is one
clear line, exit code 2."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from joserfc.jwk import ECKey, RSAKey

from cds_service.bulk.auth import BackendServices, load_private_key
from cds_service.http_session import outbound_session
from cds_service.sandbox.patients import demo_patients
from tests.support.fhir_load import load_bundle
from tests.support.fhir_server import FhirServerProcess
from tests.support.worklist_cohort import put_group, read_worklist, run_worklist

pytestmark = pytest.mark.e2e

CLIENT_ID = "pannet-worklist-test"
EC_CLIENT_ID = "pannet-worklist-ec"  # sekmet tries every key of a client: one kind per client
LOADER_TOKEN = "loader-static-token-for-tests"
GROUP = "backend-services"


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("keys")
    rsa = RSAKey.generate_key(2048, parameters={"kid": "rsa-1"}, private=True)
    ec = ECKey.generate_key("P-384", parameters={"kid": "ec-1"}, private=True)
    other = RSAKey.generate_key(2048, private=True)
    (folder / "rsa.pem").write_bytes(rsa.as_pem(private=True))
    (folder / "ec.jwk.json").write_text(json.dumps(ec.as_dict(private=True)))
    (folder / "other.pem").write_bytes(other.as_pem(private=True))
    (folder / "rsa.jwks.json").write_text(json.dumps({"keys": [rsa.as_dict(private=False)]}))
    (folder / "ec.jwks.json").write_text(json.dumps({"keys": [ec.as_dict(private=False)]}))
    return {
        "rsa": folder / "rsa.pem",
        "ec": folder / "ec.jwk.json",
        "other": folder / "other.pem",
        "rsa-public": folder / "rsa.jwks.json",
        "ec-public": folder / "ec.jwks.json",
    }


@pytest.fixture(scope="module")
def smart_server(tmp_path_factory, keys) -> Iterator[str]:
    auth = {
        "types": ["smart", "bearer"],
        "tokens": [LOADER_TOKEN],
        "smart_clients": [
            {
                "client_id": CLIENT_ID,
                "jwks": json.loads(keys["rsa-public"].read_text()),
                "scopes": "system/*.rs",
            },
            {
                "client_id": EC_CLIENT_ID,
                "jwks": json.loads(keys["ec-public"].read_text()),
                "scopes": "system/*.rs",
            },
        ],
    }
    workdir = tmp_path_factory.mktemp("fhir-smart")
    with FhirServerProcess(workdir, extra_settings={"server_auth": auth}) as server:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {LOADER_TOKEN}"
        patients = demo_patients()
        for patient in patients:
            load_bundle(server.base_url, patient.bundle, session=session)
        put_group(
            server.base_url,
            GROUP,
            [p.bundle["entry"][0]["resource"]["id"] for p in patients],
            session,
        )
        yield server.base_url


def test_the_open_door_is_closed(smart_server):
    response = requests.get(f"{smart_server}/Patient/$export", timeout=30)
    assert response.status_code == 401


@pytest.mark.parametrize("key", ["rsa", "ec"])
def test_worklist_with_backend_services_authorisation(smart_server, keys, key, tmp_path):
    out = tmp_path / "worklist.json"
    result = run_worklist(
        "--fhir-server",
        smart_server,
        "--group",
        GROUP,
        "--today",
        "2026-12-01",
        "--client-id",
        CLIENT_ID if key == "rsa" else EC_CLIENT_ID,
        "--private-key",
        str(keys[key]),
        *(["--kid", "rsa-1"] if key == "rsa" else []),
        "-o",
        str(out),
        "--database-url",
        f"sqlite:///{tmp_path / 'a.sqlite3'}",
    )
    assert result.returncode == 0, result.stderr
    worklist = read_worklist(out)
    assert {r.patient_id for r in worklist.rows} == {f"pannet-demo-p0{n}" for n in range(1, 7)}
    assert worklist.rows[0].state == "overdue"


def test_the_assertion_is_what_smart_asks_for(smart_server, keys):
    from joserfc import jwt

    key = load_private_key(keys["rsa"])
    auth = BackendServices(
        session=outbound_session(),
        fhir_base=smart_server,
        client_id=CLIENT_ID,
        key=key,
        kid="rsa-1",
    )
    token_url = auth.token_url()
    assert token_url.endswith("/auth/token")
    first, second = auth.assertion(token_url), auth.assertion(token_url)
    decoded = jwt.decode(first, key, algorithms=["RS384"])
    claims, header = decoded.claims, decoded.header
    assert header["alg"] == "RS384" and header["kid"] == "rsa-1"
    assert claims["iss"] == claims["sub"] == CLIENT_ID and claims["aud"] == token_url
    assert 0 < claims["exp"] - claims["iat"] <= 300
    assert (
        jwt.decode(second, key, algorithms=["RS384"]).claims["jti"] != claims["jti"]
    )  # never replayed


@pytest.mark.parametrize(
    ("client_id", "key", "message"),
    [
        ("not-registered", "rsa", "refused client 'not-registered' (401: invalid_client)"),
        (CLIENT_ID, "other", f"refused client '{CLIENT_ID}' (401: invalid_client)"),
    ],
)
def test_a_refused_client_is_one_line(smart_server, keys, tmp_path, client_id, key, message):
    result = run_worklist(
        "--fhir-server",
        smart_server,
        "--client-id",
        client_id,
        "--private-key",
        str(keys[key]),
        "-o",
        str(tmp_path / "w.json"),
        "--database-url",
        f"sqlite:///{tmp_path / 'a.sqlite3'}",
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert message in result.stderr and result.stderr.startswith("pannet-cds: token endpoint ")
    assert not (tmp_path / "w.json").exists()


def test_without_credentials_the_server_refuses_in_one_line(smart_server, tmp_path):
    result = run_worklist(
        "--fhir-server", smart_server, "--database-url", f"sqlite:///{tmp_path / 'a.sqlite3'}"
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"pannet-cds: {smart_server}/Patient/$export answered 401: access refused (check the"
        " token, or the client's registration and scopes)"
    )
