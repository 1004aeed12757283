"""An app built as production builds it (real SQLite file, real JWT verification with a JWKS
file), and a client identity that signs its calls."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from cds_service.app import create_app
from cds_service.settings import Settings
from tests.support.jwt_issuer import JwtIssuer
from tests.support.service_process import LOOPBACK_FHIR_SERVERS


@dataclass
class SignedClient:
    app: Flask
    client: FlaskClient
    issuer: JwtIssuer

    def post(
        self,
        path: str,
        body: Any = None,
        *,
        raw: bytes | None = None,
        token: str | None = None,
        sign: bool = True,
        **headers: str,
    ):
        if sign and token is None:
            token = self.issuer.mint(aud=f"http://localhost{path}")
        all_headers = {"Content-Type": "application/json", **headers}
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        data = raw if raw is not None else json.dumps(body).encode()
        return self.client.post(path, data=data, headers=all_headers)


def build_signed_client(tmp_path: Path, **settings: Any) -> SignedClient:
    issuer = JwtIssuer()
    jwks = issuer.write_jwks(tmp_path / "jwks.json")
    # The test client calls http://localhost; test FHIR servers run on loopback.
    settings.setdefault("base_url", "http://localhost")
    settings.setdefault("fhir_servers_json", LOOPBACK_FHIR_SERVERS)
    config = Settings(
        trusted_issuers_json=json.dumps({issuer.iss: str(jwks)}),
        database_url=f"sqlite:///{tmp_path / 'cds.sqlite3'}",
        **settings,
    )
    app = create_app(config)
    return SignedClient(app=app, client=app.test_client(), issuer=issuer)


SignedClientFactory = Callable[..., SignedClient]
