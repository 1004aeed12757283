"""How the Bulk Data client is authorised: none (an open test server), a bearer token, or SMART
Backend Services (client-credentials grant with a signed JWT client assertion,
https://hl7.org/fhir/smart-app-launch/backend-services.html).

The assertion is signed with authlib's RFC 7523 helper (joserfc underneath, the project's JWT
library); a fresh `jti` and an expiry five minutes ahead each time, as SMART requires. The token
endpoint comes from the server's `.well-known/smart-configuration` unless given. Tokens are
never logged nor put in an error message.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import requests
from authlib.oauth2.rfc7523 import private_key_jwt_sign
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, RSAKey
from pydantic import BaseModel, ConfigDict, ValidationError

from cds_service.bulk.errors import AuthorizationError

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_LIFETIME_S = 300  # SMART: "no more than five minutes in the future"
# Renew a little before the server's expiry so a long download does not start with a dead token.
RENEW_MARGIN_S = 60
TIMEOUT_S = 30.0


class Authorizer(Protocol):
    def headers(self) -> dict[str, str]:
        """The Authorization header (or none) for the next request."""
        ...

    def renew(self) -> bool:
        """After a 401: get a new token; False when there is nothing to renew."""
        ...


class NoAuth:
    def headers(self) -> dict[str, str]:
        return {}

    def renew(self) -> bool:
        return False


@dataclass(frozen=True)
class BearerToken:
    token: str = field(repr=False)

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def renew(self) -> bool:
        return False


class _TokenAnswer(BaseModel):
    model_config = ConfigDict(extra="allow")
    access_token: str
    token_type: str
    expires_in: int | None = None


class _SmartConfiguration(BaseModel):
    model_config = ConfigDict(extra="allow")
    token_endpoint: str


def load_private_key(path: Path) -> RSAKey | ECKey:
    """A PEM private key, or a private JWK (or a JWK Set holding one) as JSON."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise AuthorizationError(f"private key {path}: cannot be read ({exc.strerror})") from None
    try:
        if data.lstrip().startswith(b"{"):
            jwk = json.loads(data)
            if "keys" in jwk:
                jwk = next(k for k in jwk["keys"] if "d" in k)
            key_class = ECKey if jwk.get("kty") == "EC" else RSAKey
            return key_class.import_key(jwk)
        for key_class in (RSAKey, ECKey):
            try:
                return key_class.import_key(data)
            except (JoseError, ValueError, TypeError):
                continue
    except (JoseError, ValueError, TypeError, StopIteration, AttributeError):
        pass
    raise AuthorizationError(f"private key {path}: not a PEM private key or a private JWK")


class BackendServices:
    """SMART Backend Services: a client-credentials token, renewed before it expires."""

    def __init__(
        self,
        *,
        session: requests.Session,
        fhir_base: str,
        client_id: str,
        key: RSAKey | ECKey,
        kid: str | None = None,
        alg: str | None = None,
        scope: str = "system/*.rs",
        token_url: str | None = None,
    ) -> None:
        self._session = session
        self._fhir_base = fhir_base.rstrip("/")
        self.client_id = client_id
        self._key = key
        self._kid = kid or key.thumbprint()
        # SMART names RS384 and ES384; the key's type decides which.
        self._alg = alg or ("ES384" if isinstance(key, ECKey) else "RS384")
        self.scope = scope
        self._token_url = token_url
        self._token: str | None = None
        self._expires_at = 0.0

    def headers(self) -> dict[str, str]:
        if self._token is None or time.monotonic() >= self._expires_at:
            self._fetch()
        return {"Authorization": f"Bearer {self._token}"}

    def renew(self) -> bool:
        self._fetch()
        return True

    def token_url(self) -> str:
        if self._token_url is None:
            url = f"{self._fhir_base}/.well-known/smart-configuration"
            try:
                response = self._session.get(
                    url, headers={"Accept": "application/json"}, timeout=TIMEOUT_S
                )
            except requests.RequestException as exc:
                raise AuthorizationError(f"{url}: not reachable ({type(exc).__name__})") from None
            if response.status_code != 200:
                raise AuthorizationError(
                    f"{url} answered {response.status_code}: the server announces no SMART"
                    " token endpoint (give one with --token-url)"
                )
            try:
                self._token_url = _SmartConfiguration.model_validate_json(
                    response.content
                ).token_endpoint
            except ValidationError:
                raise AuthorizationError(f"{url}: no token_endpoint in its answer") from None
        return self._token_url

    def assertion(self, token_url: str) -> str:
        now = int(time.time())
        claims = {"jti": uuid.uuid4().hex, "exp": now + ASSERTION_LIFETIME_S, "iat": now}
        header = {"kid": self._kid, "typ": "JWT"}
        signed = private_key_jwt_sign(
            self._key, self.client_id, token_url, alg=self._alg, claims=claims, header=header
        )
        return signed.decode() if isinstance(signed, bytes) else signed

    def _fetch(self) -> None:
        token_url = self.token_url()
        form = {
            "grant_type": "client_credentials",
            "scope": self.scope,
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": self.assertion(token_url),
        }
        try:
            response = self._session.post(
                token_url, data=form, headers={"Accept": "application/json"}, timeout=TIMEOUT_S
            )
        except requests.RequestException as exc:
            raise AuthorizationError(
                f"token endpoint {token_url}: not reachable ({type(exc).__name__})"
            ) from None
        if response.status_code != 200:
            raise AuthorizationError(
                f"token endpoint {token_url} refused client {self.client_id!r}"
                f" ({response.status_code}{_oauth_error(response)})"
            )
        try:
            answer = _TokenAnswer.model_validate_json(response.content)
        except ValidationError:
            raise AuthorizationError(f"token endpoint {token_url}: no access_token") from None
        if answer.token_type.lower() != "bearer":
            raise AuthorizationError(
                f"token endpoint {token_url}: token type {answer.token_type[:20]!r}, not bearer"
            )
        self._token = answer.access_token
        lifetime = answer.expires_in if answer.expires_in is not None else 300
        self._expires_at = time.monotonic() + max(lifetime - RENEW_MARGIN_S, 0)


def _oauth_error(response: requests.Response) -> str:
    """`: invalid_client`: the OAuth error code only (a fixed vocabulary, safe to print)."""
    try:
        code = response.json().get("error")
    except (ValueError, AttributeError):
        return ""
    return f": {code}" if isinstance(code, str) and code.isascii() and len(code) < 40 else ""
