"""The OAuth 2 authorization code flow with PKCE S256 (RFC 6749, RFC 7636) as SMART App Launch
2.x uses it, through Authlib's client; and the launch context from the token response
(https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cds_service.smart.config import IssuerConfig
from cds_service.smart.discovery import SmartConfiguration
from cds_service.smart.errors import AuthorizationFailed, EhrUnreachable, SessionInvalid
from cds_service.smart.identity import SignedInUser

TOKEN_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class AuthorizationStart:
    url: str
    code_verifier: str
    nonce: str


def _client(issuer: IssuerConfig, redirect_uri: str, scope: str | None = None) -> OAuth2Session:
    secret = issuer.client_secret.get_secret_value() if issuer.client_secret else None
    return OAuth2Session(
        client_id=issuer.client_id,
        client_secret=secret,
        scope=scope,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic" if secret else "none",
    )


def start_authorization(
    *,
    iss: str,
    issuer: IssuerConfig,
    config: SmartConfiguration,
    redirect_uri: str,
    scope: str,
    state: str,
    launch: str | None,
) -> AuthorizationStart:
    """The authorization URL to send the browser to; `aud` is the FHIR base, `launch` the EHR's
    launch id (EHR launch only), `nonce` for the id_token (OpenID Connect Core 3.1.2.1)."""
    verifier = generate_token(64)
    nonce = generate_token(32)
    extra = {"aud": iss, "nonce": nonce}
    if launch:
        extra["launch"] = launch
    with _client(issuer, redirect_uri, scope) as client:
        url, _ = client.create_authorization_url(
            config.authorization_endpoint, state=state, code_verifier=verifier, **extra
        )
    return AuthorizationStart(url=url, code_verifier=verifier, nonce=nonce)


class TokenContext(BaseModel):
    """What the token response grants: the token and the SMART launch context, and the user
    its verified id_token names (set by the callback)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    access_token: str = Field(repr=False)
    expires_at: float | None = None
    scope: str = ""
    patient: str | None = None
    encounter: str | None = None
    fhir_context: list[str] = Field(default_factory=list)
    need_patient_banner: bool = True
    app_context: str | None = None
    intent: str | None = None
    user: SignedInUser | None = None


@dataclass(frozen=True)
class Exchanged:
    """The token response: its context, and the id_token to verify (never stored)."""

    context: TokenContext
    id_token: str | None


def exchange_code(
    *,
    issuer: IssuerConfig,
    token_endpoint: str,
    redirect_uri: str,
    authorization_response: str,
    state: str,
    code_verifier: str,
    requested_scope: str,
) -> Exchanged:
    """Trade the code for a token; Authlib checks `state` against the callback URL."""
    with _client(issuer, redirect_uri) as client:
        try:
            token = client.fetch_token(
                token_endpoint,
                authorization_response=authorization_response,
                state=state,
                code_verifier=code_verifier,
                redirect_uri=redirect_uri,
                timeout=TOKEN_TIMEOUT_S,
            )
        except AuthlibBaseError as exc:
            if exc.error == "mismatching_state":
                raise SessionInvalid("The sign-in answer does not belong to this launch.") from None
            raise AuthorizationFailed(
                f"The EHR refused the sign-in: {exc.error or 'error'}"
                + (f" ({exc.description})" if exc.description else "")
            ) from None
        except requests.RequestException:
            raise EhrUnreachable("The EHR's token endpoint did not answer usefully.") from None
        except ValueError:
            raise AuthorizationFailed("The EHR's token response is not valid JSON.") from None
    id_token = token.get("id_token")
    return Exchanged(
        _context(dict(token), requested_scope),
        id_token if isinstance(id_token, str) and id_token else None,
    )


def _context(token: dict, requested_scope: str) -> TokenContext:
    if str(token.get("token_type", "")).lower() != "bearer" or not token.get("access_token"):
        raise AuthorizationFailed("The EHR's token response has no bearer access token.")
    expires_at = token.get("expires_at")
    if expires_at is None and isinstance(token.get("expires_in"), int | float):
        expires_at = time.time() + float(token["expires_in"])
    app_context = token.get("appContext")
    if app_context is not None and not isinstance(app_context, str):
        app_context = json.dumps(app_context)
    refs = [
        c["reference"]
        for c in token.get("fhirContext") or []
        if isinstance(c, dict) and isinstance(c.get("reference"), str)
    ]
    try:
        return TokenContext(
            access_token=token["access_token"],
            expires_at=float(expires_at) if expires_at is not None else None,
            # RFC 6749 §5.1: no scope in the response means the requested scope was granted
            scope=token.get("scope") or requested_scope,
            patient=token.get("patient"),
            encounter=token.get("encounter"),
            fhir_context=refs,
            need_patient_banner=token.get("need_patient_banner", True) is not False,
            app_context=app_context,
            intent=token.get("intent"),
        )
    except ValidationError as exc:
        where = ".".join(str(p) for p in exc.errors()[0]["loc"])
        raise AuthorizationFailed(f"The EHR's token response has an unusable {where}.") from None
