"""Builders shared by the SMART app tests: a case loaded under fresh ids (so the app's orders do
not touch other tests' patients), the app configured for a test EHR, and a plain-HTTP user agent
that walks the launch as a browser would. Also a pytest plugin (tests/conftest.py loads it): the
`ehr` fixture, one test EHR per module in front of the session's FHIR server."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests

from cds_service.app import create_app
from cds_service.demo.ehr_openid import OpenIdEhr
from cds_service.settings import Settings
from tests.support.ehr_requests import RequestLog
from tests.support.fhir_load import load_bundle
from tests.support.fhir_server import FhirEndpoint
from tests.support.jwt_issuer import JwtIssuer
from tests.support.live_app import LiveApp
from tests.support.oauth_server import LoopbackEhr

CASES = Path(__file__).parent / "data" / "cases"
# Patients only the app's tests use (e.g. pathology only as report text): not scored by the CLI
# tests that read every case in CASES.
SMART_CASES = Path(__file__).parent / "data" / "smart"
PUBLIC_CLIENT = "pannet-smart-public"
CONFIDENTIAL_CLIENT = "pannet-smart-confidential"
CLIENT_SECRET = "test-secret-for-the-confidential-client"


@pytest.fixture(scope="module")
def ehr(fhir_server: FhirEndpoint) -> Iterator[LoopbackEhr]:
    """The test EHR, with OpenID Connect (id_tokens and their JWKS): `ehr.openid`, and a log
    of what reaches its FHIR endpoint (with searches a test can make fail): `ehr.requests`."""
    server = LoopbackEhr(fhir_server.base_url)
    server.openid = OpenIdEhr(server)
    server.requests = RequestLog(server)
    with server:
        yield server


def _rename(node: Any, ids: dict[str, str]) -> Any:
    if isinstance(node, dict):
        out = {k: _rename(v, ids) for k, v in node.items()}
        ref = out.get("reference")
        if isinstance(ref, str) and "/" in ref:
            kind, _, rid = ref.partition("/")
            out["reference"] = f"{kind}/{ids.get(rid, rid)}"
        return out
    if isinstance(node, list):
        return [_rename(v, ids) for v in node]
    return node


def load_case(fhir_base: str, case: str, prefix: str, folder: Path = CASES) -> str:
    """Load `case` (from `folder`) with every id prefixed; returns the new Patient id."""
    bundle = json.loads((folder / f"{case}.bundle.json").read_text())
    ids = {e["resource"]["id"]: f"{prefix}-{e['resource']['id']}"[:64] for e in bundle["entry"]}
    renamed = copy.deepcopy(bundle)
    for entry in renamed["entry"]:
        entry["resource"] = _rename(entry["resource"], ids)
        entry["resource"]["id"] = ids[entry["resource"]["id"]]
    load_bundle(fhir_base, renamed)
    return ids[
        next(
            e["resource"]["id"]
            for e in bundle["entry"]
            if e["resource"]["resourceType"] == "Patient"
        )
    ]


def smart_settings(tmp_path: Path, ehr: LoopbackEhr, **overrides: Any) -> Settings:
    issuer = JwtIssuer()
    jwks = issuer.write_jwks(tmp_path / "jwks.json")
    issuers = {ehr.iss: {"client_id": PUBLIC_CLIENT}}
    return Settings(
        trusted_issuers_json=json.dumps({issuer.iss: str(jwks)}),
        database_url=f"sqlite:///{tmp_path / 'cds.sqlite3'}",
        smart_issuers_json=json.dumps(overrides.pop("issuers", issuers)),
        **overrides,
    )


def build_app(tmp_path: Path, ehr: LoopbackEhr, **overrides: Any):
    return create_app(smart_settings(tmp_path, ehr, **overrides))


@contextmanager
def live_app(
    workdir: Path,
    ehr: LoopbackEhr,
    *,
    client: str = PUBLIC_CLIENT,
    secret: str | None = None,
    **overrides: Any,
) -> Iterator[LiveApp]:
    """The app served on loopback, registered with `ehr` as `client` (its callback URL)."""
    with LiveApp(build_app(workdir, ehr, **overrides)) as server:
        ehr.register_client(client, f"{server.url}/smart/callback", secret)
        yield server


def walk_launch(
    app_url: str, ehr: LoopbackEhr, launch: str | None, *, decision: str = "allow"
) -> tuple[requests.Session, requests.Response]:
    """Launch → consent → callback, following redirects as a browser does; returns the user
    agent (with its cookie) and the last response."""
    agent = requests.Session()
    params = {"iss": ehr.iss, **({"launch": launch} if launch else {})}
    to_consent = agent.get(f"{app_url}/smart/launch", params=params, timeout=30)
    to_consent.raise_for_status()
    decided = agent.post(to_consent.url, data={"decision": decision}, timeout=30)
    return agent, decided
