"""Verification of the CDS client's JWT (CDS Hooks 2.0 "Trusting CDS Clients").

https://cds-hooks.hl7.org/2.0/#trusting-cds-clients: every call carries
`Authorization: Bearer <JWT>` signed with the client's private key; header `alg`, `kid`,
`typ` ("JWT"), optional `jku`; claims `iss`, `aud` (the endpoint called), `exp`, `iat`, `jti`,
optional `tenant`. `none` and symmetric algorithms SHALL NOT be used. Framework-agnostic: the
web layer passes the header and the URL called and maps `AuthenticationError` to a bare 401.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from jwt.exceptions import (
    ExpiredSignatureError,
    ImmatureSignatureError,
    InvalidAudienceError,
    InvalidSignatureError,
    MissingRequiredClaimError,
    PyJWTError,
)
from sqlalchemy import Connection

from cds_service.auth.errors import AuthenticationError, untrusted
from cds_service.auth.jwks import ALGORITHM_KEY_TYPES, JwksCache, VerificationKey
from cds_service.auth.replay import ReplayCache
from cds_service.auth.settings import VerifierPolicy

REQUIRED_CLAIMS = ("iss", "aud", "exp", "iat", "jti")


@dataclass(frozen=True)
class VerifiedClient:
    """Who called: safe to log (no token material)."""

    issuer: str
    jti: str
    algorithm: str
    kid: str | None
    subject: str | None
    tenant: str | None
    issued_at: datetime
    expires_at: datetime


class ClientJwtVerifier:
    """One per app; thread-safe (the key and replay caches are)."""

    def __init__(
        self,
        keys: JwksCache,
        replay_cache: ReplayCache,
        policy: VerifierPolicy | None = None,
    ) -> None:
        self._keys = keys
        self._replay = replay_cache
        self._policy = policy if policy is not None else VerifierPolicy()

    def verify(
        self, authorization_header: str | None, audience: str, *, record_jti: bool = True
    ) -> VerifiedClient:
        """Check the `Authorization` header of a call to `audience` (the absolute URL called,
        without query string); raise `AuthenticationError` unless it is a fresh, valid JWT of a
        trusted issuer. Records the `jti`: a second call with the same token fails. With
        `record_jti=False` the caller must call `record_jti` before it answers (the hook call
        does, in the one transaction that also stores its audit record)."""
        token = self._bearer_token(authorization_header)
        header = _unverified_header(token)
        algorithm, kid, jku = _check_header(header)
        issuer = _unverified_issuer(token)
        trusted = self._keys.issuers.get(issuer)
        if trusted is None:
            raise AuthenticationError(f"JWT issuer {untrusted(issuer)} is not trusted")
        if jku is not None and jku not in trusted.jwks_urls:
            raise AuthenticationError(
                f"JWT jku {untrusted(jku)} is not a JWKS URL configured for issuer {issuer!r}"
            )
        keys = self._keys.keys_for(trusted, jku, kid, algorithm)
        if not keys:
            raise AuthenticationError(
                f"issuer {issuer!r} has no {algorithm} key with kid {untrusted(kid)}"
            )
        claims, used = self._decode(token, keys, algorithm, issuer, audience)
        client = self._check_claims(claims, issuer, algorithm, used)
        if record_jti:
            self.record_jti(client)
        return client

    def record_jti(self, client: VerifiedClient, connection: Connection | None = None) -> None:
        """Record `client.jti`; raise `AuthenticationError` if it was recorded before. On
        `connection` the write joins the caller's open transaction: it stays recorded only if
        that transaction commits."""
        replay_until = client.expires_at + timedelta(seconds=self._policy.leeway_seconds)
        if self._replay.seen_before(client.issuer, client.jti, replay_until, connection):
            raise AuthenticationError(
                f"JWT jti {client.jti!r} of issuer {client.issuer!r} was replayed"
            )

    def _bearer_token(self, authorization_header: str | None) -> str:
        if not authorization_header or not authorization_header.strip():
            raise AuthenticationError("no Authorization header")
        scheme, _, token = authorization_header.strip().partition(" ")
        # RFC 7235 §2.1: the scheme name is case-insensitive.
        if scheme.lower() != "bearer":
            raise AuthenticationError(f"Authorization scheme {untrusted(scheme)} is not Bearer")
        token = token.strip()
        if not token or any(c.isspace() for c in token):
            raise AuthenticationError("Bearer credentials are not a single token")
        if len(token) > self._policy.max_token_chars:
            raise AuthenticationError(f"Bearer token longer than {self._policy.max_token_chars}")
        return token

    def _decode(
        self,
        token: str,
        keys: list[VerificationKey],
        algorithm: str,
        issuer: str,
        audience: str,
    ) -> tuple[dict[str, Any], VerificationKey]:
        for key in keys:
            try:
                claims = jwt.decode(
                    token,
                    key.key,
                    algorithms=[algorithm],
                    audience=_audience_variants(audience),
                    issuer=issuer,
                    leeway=self._policy.leeway_seconds,
                    options={"require": list(REQUIRED_CLAIMS), "verify_signature": True},
                )
            except InvalidSignatureError:
                continue  # another key of the same issuer (no kid, or a duplicated kid) may fit
            except PyJWTError as error:
                raise AuthenticationError(_describe(error, audience)) from None
            return claims, key
        raise AuthenticationError(
            f"JWT signature does not verify with any {algorithm} key of issuer {issuer!r}"
        )

    def _check_claims(
        self, claims: dict[str, Any], issuer: str, algorithm: str, key: VerificationKey
    ) -> VerifiedClient:
        issued_at, expires_at = claims["iat"], claims["exp"]
        if not (_is_number(issued_at) and _is_number(expires_at)):
            raise AuthenticationError("JWT iat and exp must be numbers")
        lifetime = expires_at - issued_at
        if lifetime > self._policy.max_lifetime_seconds:
            raise AuthenticationError(
                f"JWT lifetime (exp - iat) of {lifetime:.0f} s exceeds "
                f"{self._policy.max_lifetime_seconds} s"
            )
        jti = claims["jti"]
        if not isinstance(jti, str) or not jti or len(jti) > self._policy.max_jti_chars:
            raise AuthenticationError("JWT jti must be a non-empty string of at most 255 chars")
        subject, tenant = claims.get("sub"), claims.get("tenant")
        return VerifiedClient(
            issuer=issuer,
            jti=jti,
            algorithm=algorithm,
            kid=key.kid,
            subject=subject if isinstance(subject, str) else None,
            tenant=tenant if isinstance(tenant, str) else None,
            issued_at=datetime.fromtimestamp(issued_at, UTC),
            expires_at=datetime.fromtimestamp(expires_at, UTC),
        )


def _unverified_header(token: str) -> dict[str, Any]:
    try:
        return jwt.get_unverified_header(token)
    except PyJWTError:
        raise AuthenticationError("Bearer token is not a JWS compact JWT") from None


def _check_header(header: dict[str, Any]) -> tuple[str, str | None, str | None]:
    """(alg, kid, jku) if the header is acceptable."""
    algorithm = header.get("alg")
    if not isinstance(algorithm, str) or algorithm not in ALGORITHM_KEY_TYPES:
        raise AuthenticationError(f"JWT alg {untrusted(algorithm)} is not an accepted algorithm")
    typ = header.get("typ")
    # RFC 7515 §4.1.9: typ is compared case-insensitively. Absent typ is tolerated.
    if typ is not None and (not isinstance(typ, str) or typ.upper() != "JWT"):
        raise AuthenticationError(f"JWT typ {untrusted(typ)} is not JWT")
    if "crit" in header:
        # RFC 7515 §4.1.11: we understand no extensions, so any critical one is fatal.
        raise AuthenticationError("JWT header has crit extensions")
    kid, jku = header.get("kid"), header.get("jku")
    if kid is not None and not isinstance(kid, str):
        raise AuthenticationError("JWT kid is not a string")
    if jku is not None and not isinstance(jku, str):
        raise AuthenticationError("JWT jku is not a string")
    return algorithm, kid, jku


def _unverified_issuer(token: str) -> str:
    # Read before the signature check only to pick the issuer's keys; verified by jwt.decode.
    try:
        payload = jwt.decode(token, options={"verify_signature": False})
    except PyJWTError:
        raise AuthenticationError("JWT payload is not a JSON object") from None
    issuer = payload.get("iss")
    if not isinstance(issuer, str) or not issuer:
        raise AuthenticationError("JWT has no iss")
    return issuer


def _audience_variants(audience: str) -> list[str]:
    """The URL called, with and without a trailing slash (the only difference tolerated)."""
    if not audience:
        raise ValueError("audience (the URL called) is required")
    bare = audience.rstrip("/")
    return [bare, bare + "/"]


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _describe(error: PyJWTError, audience: str) -> str:
    if isinstance(error, ExpiredSignatureError):
        return "JWT expired (exp)"
    if isinstance(error, ImmatureSignatureError):
        return f"JWT not yet valid: {error}"
    if isinstance(error, InvalidAudienceError):
        return f"JWT aud does not name the URL called ({audience})"
    if isinstance(error, MissingRequiredClaimError):
        return f"JWT lacks the required claim {error.claim!r}"
    return f"JWT rejected: {type(error).__name__}: {error}"
