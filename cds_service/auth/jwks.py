"""The trusted issuers' public keys: JWK Sets from files (read once) or URLs (cached, refreshed).

A URL's set is kept for `ttl_seconds`, fetched again on demand when a token names an unknown
`kid` (key rotation), but at most once per `min_refetch_interval_seconds` per URL so a stream of
forged kids cannot make us hammer the issuer. When the URL is down or slow the last good set
keeps working; only an issuer whose keys were never fetched is unavailable.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
from jwt import PyJWK, PyJWTError

from cds_service.auth.errors import AuthConfigError, AuthError, AuthUnavailableError, untrusted
from cds_service.auth.settings import JwksPolicy, JwksSource, TrustedIssuer, TrustedIssuers
from cds_service.http_session import outbound_session

logger = logging.getLogger(__name__)

Clock = Callable[[], float]

# Asymmetric JWS algorithms (RFC 7518 §3.1, RFC 8037) and the key each needs: (kty, curves).
# CDS Hooks 2.0 forbids `none` and every symmetric (HMAC) algorithm.
ALGORITHM_KEY_TYPES: Mapping[str, tuple[str, frozenset[str] | None]] = {
    "ES256": ("EC", frozenset({"P-256"})),
    "ES384": ("EC", frozenset({"P-384"})),
    "ES512": ("EC", frozenset({"P-521"})),
    "RS256": ("RSA", None),
    "RS384": ("RSA", None),
    "RS512": ("RSA", None),
    "PS256": ("RSA", None),
    "PS384": ("RSA", None),
    "PS512": ("RSA", None),
    "EdDSA": ("OKP", frozenset({"Ed25519", "Ed448"})),
}

# Private or symmetric members: a published set should not carry them; we never use them.
_SECRET_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})


class JwksFetchError(AuthError):
    """A JWK Set URL could not be fetched or did not hold a usable JWK Set."""


@dataclass(frozen=True)
class VerificationKey:
    kid: str | None
    key: Any  # a `cryptography` public key object, as PyJWT wants it


@dataclass(frozen=True)
class PublicKeySet:
    """The usable public signing keys of one JWK Set (RFC 7517)."""

    jwks: tuple[Mapping[str, Any], ...]
    # (index in `jwks`, algorithm) -> the key object: a set never changes once parsed, and
    # decoding a JWK (point decoding and the curve check) cost more per call than the rest of
    # the token checks. Bounded by the set's size times the algorithms; a JWK that does not
    # decode is tried (and logged) again on each token, as before.
    _decoded: dict[tuple[int, str], Any] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def kids(self) -> frozenset[str | None]:
        return frozenset(jwk.get("kid") for jwk in self.jwks)

    def keys_for(self, kid: str | None, algorithm: str) -> list[VerificationKey]:
        """Keys that may verify a token with header `kid` (None: any key) and `alg`."""
        kty, curves = ALGORITHM_KEY_TYPES[algorithm]
        found: list[VerificationKey] = []
        for index, jwk in enumerate(self.jwks):
            if kid is not None and jwk.get("kid") != kid:
                continue
            if jwk.get("kty") != kty or (curves is not None and jwk.get("crv") not in curves):
                continue
            if jwk.get("alg") not in (None, algorithm):
                continue
            try:
                key = self._decoded.get((index, algorithm))
                if key is None:
                    key = self._decoded[(index, algorithm)] = PyJWK(dict(jwk), algorithm).key
                found.append(VerificationKey(jwk.get("kid"), key))
            except PyJWTError as error:
                logger.warning(
                    "skipping unusable JWK kid=%s: %s",
                    untrusted(jwk.get("kid")),
                    type(error).__name__,
                )
        return found


def parse_jwks(document: object) -> PublicKeySet:
    """The signing keys of a JWK Set document; ValueError if it holds none."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError('not a JWK Set (expected an object with a "keys" array)')
    usable = tuple(
        {name: value for name, value in jwk.items() if name not in _SECRET_MEMBERS}
        for jwk in document["keys"]
        if isinstance(jwk, dict) and _is_public_signing_key(jwk)
    )
    if not usable:
        raise ValueError("the JWK Set holds no asymmetric signature keys")
    return PublicKeySet(usable)


def _is_public_signing_key(jwk: Mapping[str, Any]) -> bool:
    if jwk.get("kty") not in ("EC", "RSA", "OKP"):
        return False
    if jwk.get("use") not in (None, "sig"):
        return False
    ops = jwk.get("key_ops")
    return ops is None or (isinstance(ops, list) and "verify" in ops)


class FileKeySource:
    """A JWK Set file, read once at start-up; a broken file stops start-up. A pinned source (a
    file with its issuer's URL) is a file source too: its URL is never fetched."""

    def __init__(self, issuer: str, source: JwksSource) -> None:
        if source.path is None:
            raise AuthConfigError(f"issuer {issuer!r}: a file source needs a path")
        self.label = str(source.path)
        try:
            self._keys = parse_jwks(json.loads(source.path.read_text(encoding="utf-8")))
        except (OSError, ValueError) as error:
            raise AuthConfigError(
                f"JWKS file {self.label!r} of issuer {issuer!r} is unusable: {error}"
            ) from None

    def current(self) -> PublicKeySet:
        return self._keys

    def refresh_for_unknown_kid(self) -> PublicKeySet:
        return self._keys


@dataclass(frozen=True)
class _Snapshot:
    keys: PublicKeySet
    fetched_at: float


class UrlKeySource:
    """A JWK Set URL with a TTL cache, rate-limited refetches and stale-if-error."""

    def __init__(
        self,
        issuer: str,
        url: str,
        policy: JwksPolicy,
        session: requests.Session,
        clock: Clock = time.monotonic,
    ) -> None:
        self.issuer = issuer
        self.label = url
        self._url = url
        self._policy = policy
        self._session = session
        self._clock = clock
        self._snapshot: _Snapshot | None = None
        self._last_forced: float | None = None  # last refetch for an unknown kid
        self._last_failure: float | None = None
        self._fetch_lock = threading.Lock()

    def current(self) -> PublicKeySet:
        snapshot = self._snapshot
        if snapshot is not None and self._is_fresh(snapshot):
            return snapshot.keys
        return self._refresh(forced=False)

    def refresh_for_unknown_kid(self) -> PublicKeySet:
        if self._is_recent(self._last_forced):
            return self.current()
        return self._refresh(forced=True)

    def _is_fresh(self, snapshot: _Snapshot) -> bool:
        return self._clock() - snapshot.fetched_at < self._policy.ttl_seconds

    def _is_recent(self, moment: float | None) -> bool:
        interval = self._policy.min_refetch_interval_seconds
        return moment is not None and self._clock() - moment < interval

    def _refresh(self, *, forced: bool) -> PublicKeySet:
        if self._snapshot is not None:
            # Someone else is fetching: the cached set serves meanwhile.
            if not self._fetch_lock.acquire(blocking=False):
                return self._snapshot.keys
        else:
            self._fetch_lock.acquire()
        try:
            return self._refresh_locked(forced)
        finally:
            self._fetch_lock.release()

    def _refresh_locked(self, forced: bool) -> PublicKeySet:
        snapshot = self._snapshot
        if snapshot is not None and not forced and self._is_fresh(snapshot):
            return snapshot.keys  # fetched by another thread while this one waited
        if self._is_recent(self._last_failure) or (forced and self._is_recent(self._last_forced)):
            return self._cached_or_unavailable("retry pending")
        if forced:
            self._last_forced = self._clock()
        try:
            keys = self._fetch()
        except JwksFetchError as error:
            self._last_failure = self._clock()
            if snapshot is not None:
                logger.warning(
                    "JWKS refresh of issuer %r from %s failed (%s); keeping keys from %.0f s ago",
                    self.issuer,
                    self._url,
                    error,
                    self._clock() - snapshot.fetched_at,
                )
            return self._cached_or_unavailable(str(error))
        self._last_failure = None
        self._snapshot = _Snapshot(keys, self._clock())
        return keys

    def _cached_or_unavailable(self, reason: str) -> PublicKeySet:
        if self._snapshot is not None:
            return self._snapshot.keys
        raise AuthUnavailableError(
            f"JWKS of issuer {self.issuer!r} at {self._url} unavailable: {reason}"
        )

    def _fetch(self) -> PublicKeySet:
        try:
            # No redirects: the configured URL is the allowlisted one (and the only valid jku).
            with self._session.get(
                self._url,
                timeout=self._policy.timeout_seconds,
                allow_redirects=False,
                stream=True,
                headers={"Accept": "application/jwk-set+json, application/json"},
            ) as response:
                if response.status_code != 200:
                    raise JwksFetchError(f"HTTP {response.status_code}")
                body = b""
                for chunk in response.iter_content(chunk_size=16_384):
                    body += chunk
                    if len(body) > self._policy.max_bytes:
                        raise JwksFetchError(f"larger than {self._policy.max_bytes} bytes")
        except requests.RequestException as error:
            raise JwksFetchError(type(error).__name__) from None
        try:
            return parse_jwks(json.loads(body))
        except ValueError as error:
            raise JwksFetchError(f"not a usable JWK Set: {error}") from None


KeySource = FileKeySource | UrlKeySource


class JwksCache:
    """The key sources of every trusted issuer; one per app, shared by all request threads."""

    def __init__(
        self,
        issuers: TrustedIssuers,
        policy: JwksPolicy | None = None,
        session: requests.Session | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        self.issuers = issuers
        policy = policy if policy is not None else JwksPolicy()
        session = session if session is not None else outbound_session()
        self._sources: dict[tuple[str, JwksSource], KeySource] = {}
        for trusted in issuers.issuers.values():
            for source in trusted.sources:
                self._sources[(trusted.issuer, source)] = (
                    FileKeySource(trusted.issuer, source)
                    if source.path is not None
                    else UrlKeySource(trusted.issuer, source.url or "", policy, session, clock)
                )

    def keys_for(
        self, issuer: TrustedIssuer, jku: str | None, kid: str | None, algorithm: str
    ) -> list[VerificationKey]:
        """Candidate keys for a token; a `jku` (already checked against the allowlist) narrows
        the search to that set. Refetches URL sets once if `kid` is unknown."""
        sources = [
            self._sources[(issuer.issuer, source)]
            for source in issuer.sources
            if jku is None or source.url == jku
        ]
        found = self._collect(sources, kid, algorithm, refresh=False)
        if not found and kid is not None:
            found = self._collect(sources, kid, algorithm, refresh=True)
        return found

    def _collect(
        self, sources: list[KeySource], kid: str | None, algorithm: str, *, refresh: bool
    ) -> list[VerificationKey]:
        found: list[VerificationKey] = []
        unavailable: AuthUnavailableError | None = None
        for source in sources:
            try:
                keys = source.refresh_for_unknown_kid() if refresh else source.current()
            except AuthUnavailableError as error:
                unavailable = error
                continue
            found.extend(keys.keys_for(kid, algorithm))
        if not found and unavailable is not None:
            raise unavailable
        return found
