"""Verification of the CDS client's JWT (CDS Hooks 2.0 "Trusting CDS Clients").

https://cds-hooks.hl7.org/2.0/#trusting-cds-clients: every call carries
`Authorization: Bearer <JWT>` signed with the client's private key; header `alg`, `kid`,
`typ` ("JWT"), optional `jku`; claims `iss`, `aud` (the endpoint called), `exp`, `iat`, `jti`,
optional `tenant`. `none` and symmetric algorithms SHALL NOT be used. Framework-agnostic: the
web layer passes the header and the URL called and maps `AuthenticationError` to a bare 401.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from jwt.algorithms import get_default_algorithms
from jwt.exceptions import PyJWTError
from sqlalchemy import Connection

from cds_service.auth.errors import AuthenticationError, untrusted
from cds_service.auth.jwks import ALGORITHM_KEY_TYPES, JwksCache, VerificationKey
from cds_service.auth.replay import ReplayCache
from cds_service.auth.settings import VerifierPolicy

REQUIRED_CLAIMS = ("iss", "aud", "exp", "iat", "jti")
# PyJWT's algorithm objects hold no state: built once, not per token.
_ALGORITHMS = get_default_algorithms()


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
        does, in the one transaction that also stores its audit record).

        The token is split and its header and payload decoded once; the issuer read from the
        payload only picks the keys, and counts once the signature over it has verified."""
        token = _CompactJws.parse(self._bearer_token(authorization_header))
        algorithm, kid, jku = _check_header(token.header)
        issuer = token.payload.get("iss")
        if not isinstance(issuer, str) or not issuer:
            raise AuthenticationError("JWT has no iss")
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
        used = _verifying_key(token, keys, algorithm, issuer)
        claims = token.payload
        _check_registered_claims(claims, audience, self._policy.leeway_seconds)
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
        # str.split() cuts at exactly the characters str.isspace() names: one piece, no space.
        if not token or len(token.split(maxsplit=1)) != 1:
            raise AuthenticationError("Bearer credentials are not a single token")
        if len(token) > self._policy.max_token_chars:
            raise AuthenticationError(f"Bearer token longer than {self._policy.max_token_chars}")
        return token

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


@dataclass(frozen=True)
class _CompactJws:
    """A JWS in compact serialisation (RFC 7515 §7.1), decoded once: header and payload as
    JSON objects, and what the signature covers."""

    header: dict[str, Any]
    payload: dict[str, Any]
    signing_input: bytes
    signature: bytes

    @classmethod
    def parse(cls, token: str) -> _CompactJws:
        parts = token.split(".")
        if len(parts) != 3:
            raise AuthenticationError("Bearer token is not a JWS compact JWT")
        header = _json_segment(parts[0], "header")
        payload = _json_segment(parts[1], "payload")
        signature = _base64url(parts[2], "signature")
        return cls(header, payload, f"{parts[0]}.{parts[1]}".encode("ascii"), signature)


def _base64url(segment: str, name: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (ValueError, binascii.Error):
        raise AuthenticationError(f"JWT {name} is not base64url") from None


def _json_segment(segment: str, name: str) -> dict[str, Any]:
    try:
        document = json.loads(_base64url(segment, name))
    except (ValueError, RecursionError):
        raise AuthenticationError(f"JWT {name} is not JSON") from None
    if not isinstance(document, dict):
        raise AuthenticationError(f"JWT {name} is not a JSON object")
    return document


def _verifying_key(
    token: _CompactJws, keys: list[VerificationKey], algorithm: str, issuer: str
) -> VerificationKey:
    """The first key whose signature check passes (an issuer may publish several keys with no
    kid, or a duplicated kid)."""
    verifier = _ALGORITHMS[algorithm]
    for key in keys:
        try:
            if verifier.verify(token.signing_input, key.key, token.signature):
                return key
        except (ValueError, TypeError, PyJWTError):
            continue  # a malformed signature for this key type
    raise AuthenticationError(
        f"JWT signature does not verify with any {algorithm} key of issuer {issuer!r}"
    )


def _check_registered_claims(claims: dict[str, Any], audience: str, leeway: int) -> None:
    """RFC 7519 §4.1 checks on a verified payload: required claims, exp, nbf, iat (with
    `leeway` seconds of clock skew) and aud (the URL called)."""
    for name in REQUIRED_CLAIMS:
        if name not in claims:
            raise AuthenticationError(f"JWT lacks the required claim {name!r}")
    now = time.time()
    for name in ("exp", "iat", "nbf"):
        if name in claims and not _is_number(claims[name]):
            raise AuthenticationError(f"JWT {name} must be a number")
    if claims["exp"] <= now - leeway:
        raise AuthenticationError("JWT expired (exp)")
    if claims["iat"] > now + leeway:
        raise AuthenticationError("JWT not yet valid: issued in the future (iat)")
    if "nbf" in claims and claims["nbf"] > now + leeway:
        raise AuthenticationError("JWT not yet valid (nbf)")
    named = claims["aud"]
    named = [named] if isinstance(named, str) else named
    if not isinstance(named, list) or not any(
        isinstance(a, str) and a in _audience_variants(audience) for a in named
    ):
        raise AuthenticationError(f"JWT aud does not name the URL called ({audience})")


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


def _audience_variants(audience: str) -> list[str]:
    """The URL called, with and without a trailing slash (the only difference tolerated)."""
    if not audience:
        raise ValueError("audience (the URL called) is required")
    bare = audience.rstrip("/")
    return [bare, bare + "/"]


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
