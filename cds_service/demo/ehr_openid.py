"""OpenID Connect for the local test EHR (`cds_service.demo.ehr.LoopbackEhr`): when `openid` is
granted, its token response carries an `id_token` signed with the EHR's RSA key, whose JWKS it
publishes (`jwks_uri` in its SMART configuration and in `{issuer}/.well-known/
openid-configuration`), so `./dev demo` and the tests show who is signed in. `mode` lets a test
make the EHR send a token that must not verify.

Attach with `OpenIdEhr(ehr)` before the EHR serves its first request (Flask takes no new routes
or hooks after that).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from flask import Response, jsonify, request
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from cds_service.demo.ehr import USER, LoopbackEhr

KID = "test-ehr-1"
USER_NAME = "Dr Ada Test-Clinician"
# What the EHR may be told to do wrong (or leave out) in its next id_tokens.
MODES = (
    "valid",
    "no-name",
    "wrong-audience",
    "wrong-issuer",
    "foreign-key",
    "expired",
    "absent",
    "wrong-nonce",
    "no-nonce",
    "no-kid",
)


@dataclass
class OpenIdEhr:
    ehr: LoopbackEhr
    mode: str = "valid"
    jwks_in_smart_configuration: bool = True
    # the `fhirUser` of the next tokens (default: the EHR's test clinician), as an absolute URL
    # or, as the public SMART launcher sends it, relative
    user_reference: str = USER
    absolute_fhir_user: bool = True
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": KID}))
    # published beside the signing key, as EHRs publish keys being rotated in or out
    other_key: RSAKey = field(
        default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "test-ehr-0"})
    )
    issued: list[dict[str, Any]] = field(default_factory=list)
    # authorization code -> the nonce of its authorization request, echoed in the id_token
    nonces: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        app = self.ehr.app
        app.add_url_rule("/.well-known/openid-configuration", "openid_config", self._openid)
        app.add_url_rule("/auth/jwks", "jwks", self._jwks)
        app.after_request(self._amend)

    @property
    def issuer(self) -> str:
        return self.ehr.root

    @property
    def fhir_user(self) -> str:
        if not self.absolute_fhir_user:
            return self.user_reference
        return f"{self.ehr.iss}/{self.user_reference}"

    def _openid(self) -> Response:
        return jsonify(
            {
                "issuer": self.issuer,
                "jwks_uri": f"{self.issuer}/auth/jwks",
                "authorization_endpoint": f"{self.issuer}/auth/authorize",
                "token_endpoint": f"{self.issuer}/auth/token",
                "id_token_signing_alg_values_supported": ["RS256"],
                "subject_types_supported": ["public"],
                "response_types_supported": ["code"],
            }
        )

    def _jwks(self) -> Response:
        return jsonify(KeySet([self.other_key, self.key]).as_dict(private=False))

    def _amend(self, response: Response) -> Response:
        if request.path == "/auth/authorize" and response.status_code == 302:
            self._remember_nonce(response)
        if response.status_code != 200 or not response.is_json:
            return response
        body = response.get_json()
        if request.path == "/fhir/.well-known/smart-configuration":
            if self.jwks_in_smart_configuration:
                body["jwks_uri"] = f"{self.issuer}/auth/jwks"
                body["capabilities"] = [*body.get("capabilities", []), "sso-openid-connect"]
        elif request.path == "/auth/token" and "openid" in str(body.get("scope", "")).split():
            if self.mode != "absent":
                body["id_token"] = self._id_token()
        else:
            return response
        response.set_data(json.dumps(body))
        return response

    def _remember_nonce(self, response: Response) -> None:
        code = parse_qs(urlsplit(response.headers.get("Location", "")).query).get("code")
        nonce = request.values.get("nonce")
        if code and nonce:
            self.nonces[code[0]] = nonce

    def _id_token(self) -> str:
        client_id = request.form.get("client_id") or (
            request.authorization.username if request.authorization else ""
        )
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": "test-clinician",
            "aud": client_id,
            "iat": now,
            "exp": now + 300,
            "fhirUser": self.fhir_user,
            "name": USER_NAME,
        }
        nonce = self.nonces.pop(request.form.get("code", ""), None)
        if nonce is not None and self.mode != "no-nonce":
            claims["nonce"] = "another-sign-in" if self.mode == "wrong-nonce" else nonce
        key = self.key
        if self.mode == "no-name":
            del claims["name"]
        elif self.mode == "wrong-audience":
            claims["aud"] = "another-client"
        elif self.mode == "wrong-issuer":
            claims["iss"] = "https://elsewhere.example.org"
        elif self.mode == "expired":
            claims.update(iat=now - 3600, exp=now - 1800)
        elif self.mode == "foreign-key":
            key = RSAKey.generate_key(2048, parameters={"kid": KID})
        self.issued.append(claims)
        header = {"alg": "RS256"} if self.mode == "no-kid" else {"alg": "RS256", "kid": KID}
        return jwt.encode(header, claims, key)
