"""Who is signed in: the OpenID Connect `id_token` of the token response (SMART App Launch 2.x
`openid fhirUser`, https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html#scopes-for-requesting-identity-data),
verified with joserfc (the Authlib project's JOSE library): signature by a key of the EHR's JWKS
(`jwks_uri` of its SMART configuration, else of `{issuer}/.well-known/openid-configuration`),
`iss` = the EHR's issuer, `aud` = our client id (and `azp` when there are several audiences),
`exp`/`iat` with 60 s leeway, a `sub`, and the `nonce` of the authorization request when the
token carries one (SMART does not require EHRs to echo it; the public SMART launcher does). Only
asymmetric algorithms are accepted."""

from __future__ import annotations

import hmac

import requests
from joserfc import jwt
from joserfc.errors import BadSignatureError, InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from joserfc.jws import extract_compact
from pydantic import BaseModel, ConfigDict

from cds_service.smart.discovery import SmartConfiguration, fetch_json
from cds_service.smart.errors import AuthorizationFailed, EhrUnreachable

LEEWAY_S = 60
ALGORITHMS = (
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
)  # fmt: skip
MAX_NAME = 200


class SignedInUser(BaseModel):
    """The user the EHR vouched for: `fhirUser` (a FHIR Practitioner/Patient/... URL) and a
    display name when the token (or that resource) gives one."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    subject: str
    fhir_user: str | None = None
    name: str | None = None


def jwks_uri_of(config: SmartConfiguration, http: requests.Session) -> str:
    if config.jwks_uri:
        return config.jwks_uri
    if not config.issuer:
        raise AuthorizationFailed(
            "The EHR sent an identity token but its SMART configuration names no issuer to "
            "verify it with."
        )
    openid = fetch_json(f"{config.issuer.rstrip('/')}/.well-known/openid-configuration", http)
    if openid.get("issuer") != config.issuer or not isinstance(openid.get("jwks_uri"), str):
        raise EhrUnreachable("The EHR's OpenID configuration does not fit its SMART configuration.")
    return openid["jwks_uri"]


def verify_id_token(
    id_token: str,
    *,
    config: SmartConfiguration,
    client_id: str,
    nonce: str | None,
    http: requests.Session,
) -> SignedInUser:
    """The signed-in user of a verified `id_token`; AuthorizationFailed when it does not verify."""
    keys = fetch_json(jwks_uri_of(config, http), http)
    try:
        key_set = KeySet.import_key_set(keys)
    except (JoseError, ValueError, TypeError, KeyError):
        raise EhrUnreachable("The EHR's signing keys (JWKS) could not be read.") from None
    try:
        claims = _decode(id_token, key_set).claims
        jwt.JWTClaimsRegistry(
            leeway=LEEWAY_S,
            iss={"essential": True, "value": config.issuer},
            aud={"essential": True, "value": client_id},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
        ).validate(claims)
    except (JoseError, ValueError) as exc:
        raise AuthorizationFailed(
            f"The EHR's identity token (id_token) did not verify: {_reason(exc)}."
        ) from None
    sent = claims.get("nonce")
    if sent is not None and (nonce is None or not hmac.compare_digest(str(sent), nonce)):
        raise AuthorizationFailed(
            "The EHR's identity token (id_token) did not verify: it answers another sign-in "
            "(nonce)."
        )
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise AuthorizationFailed("The EHR's identity token was issued to another client (azp).")
    fhir_user = claims.get("fhirUser") if isinstance(claims.get("fhirUser"), str) else None
    return SignedInUser(subject=str(claims["sub"]), fhir_user=fhir_user, name=_name(claims))


def _decode(id_token: str, key_set: KeySet) -> jwt.Token:
    """The verified token. A token without `kid` (the public SMART launcher signs so) is tried
    with each key of the set; one with a `kid` only with that key."""
    try:
        return jwt.decode(id_token, key_set, algorithms=ALGORITHMS)
    except InvalidKeyIdError:
        if len(key_set.keys) < 2 or "kid" in extract_compact(id_token.encode()).headers():
            raise
    for key in key_set.keys:
        try:
            return jwt.decode(id_token, key, algorithms=ALGORITHMS)
        except (JoseError, ValueError):
            continue
    raise BadSignatureError()


def _reason(exc: Exception) -> str:
    # joserfc's error codes are fixed words ("bad_signature", "invalid_claim"), never token text.
    error = getattr(exc, "error", None)
    claim = getattr(exc, "claim", None)
    words = str(error or type(exc).__name__).replace("_", " ")
    return f"{words} ({claim})" if isinstance(claim, str) else words


def _name(claims: dict) -> str | None:
    name = claims.get("name")
    if not isinstance(name, str) or not name.strip():
        parts = [claims.get("given_name"), claims.get("family_name")]
        name = " ".join(p for p in parts if isinstance(p, str) and p.strip())
    name = " ".join(name.split())[:MAX_NAME] if name else ""
    return name or None
