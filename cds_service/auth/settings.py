"""Auth configuration: which CDS clients are trusted, where their keys live, and the tolerances.

`PANNET_CDS_TRUSTED_ISSUERS` is a JSON object mapping each trusted `iss` to its JWK Set: an
https:// URL (http:// only for a loopback host), a path of a JWKS file, an object
`{"jwks_url": URL, "jwks_file": PATH}` (either member alone, or both: *pinned keys* — the keys
come from the file and a `jku` equal to `jwks_url` is accepted without fetching it, for a site
without outbound access that keeps a copy of an issuer's published set), or a list of those (an
issuer publishing several sets, e.g. during a migration). CDS Hooks 2.0 "Trusting CDS Clients":
services SHOULD keep an allowlist of `iss` and `jku` URLs; this is that allowlist.
"""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from cds_service.auth.errors import AuthConfigError

TRUSTED_ISSUERS_ENV = "PANNET_CDS_TRUSTED_ISSUERS"
AUTH_SWITCH_ENV = "PANNET_CDS_AUTH"


@dataclass(frozen=True)
class JwksSource:
    """Where one JWK Set comes from: a URL (fetched), a file (read once), or both (pinned: the
    file holds the keys published at the URL, which is then a valid `jku` but never fetched)."""

    url: str | None = None
    path: Path | None = None

    def __post_init__(self) -> None:
        if self.url is None and self.path is None:
            raise AuthConfigError("a JWKS source needs a url, a path or both")

    @property
    def pinned(self) -> bool:
        return self.url is not None and self.path is not None

    @property
    def label(self) -> str:
        return str(self.path) if self.path is not None else str(self.url)


@dataclass(frozen=True)
class TrustedIssuer:
    issuer: str
    sources: tuple[JwksSource, ...]

    @property
    def jwks_urls(self) -> frozenset[str]:
        """The only values a token's `jku` header may take for this issuer."""
        return frozenset(s.url for s in self.sources if s.url is not None)


@dataclass(frozen=True)
class TrustedIssuers:
    """The `iss` allowlist, keyed by the exact `iss` string the client sends."""

    issuers: Mapping[str, TrustedIssuer]

    def get(self, issuer: str) -> TrustedIssuer | None:
        return self.issuers.get(issuer)

    @classmethod
    def from_env_value(cls, value: str, base_dir: Path | None = None) -> TrustedIssuers:
        """Parse the JSON of `PANNET_CDS_TRUSTED_ISSUERS`; relative file paths are resolved
        against `base_dir` (default: the working directory)."""
        try:
            raw = json.loads(value)
        except json.JSONDecodeError as error:
            raise AuthConfigError(f"{TRUSTED_ISSUERS_ENV} is not valid JSON: {error}") from None
        if not isinstance(raw, dict) or not raw:
            raise AuthConfigError(
                f"{TRUSTED_ISSUERS_ENV} must be a non-empty JSON object: issuer -> JWKS URL or path"
            )
        base = base_dir if base_dir is not None else Path.cwd()
        parsed = {iss: _parse_issuer(iss, spec, base) for iss, spec in raw.items()}
        return cls(issuers=parsed)

    @classmethod
    def from_environ(
        cls, environ: Mapping[str, str] = os.environ, base_dir: Path | None = None
    ) -> TrustedIssuers:
        value = environ.get(TRUSTED_ISSUERS_ENV, "").strip()
        if not value:
            raise AuthConfigError(
                f"client authentication is on but {TRUSTED_ISSUERS_ENV} is not set; "
                f"set it, or set {AUTH_SWITCH_ENV}=off for development only"
            )
        return cls.from_env_value(value, base_dir)


@dataclass(frozen=True)
class VerifierPolicy:
    """Tolerances of the JWT checks.

    `max_lifetime_seconds`: the CDS Hooks best-practice notes expect client JWTs to live "no more
    than an hour"; a token whose exp - iat exceeds this is refused, which also bounds how long a
    jti must be remembered.
    """

    leeway_seconds: int = 60
    max_lifetime_seconds: int = 3600
    max_token_chars: int = 16_384
    max_jti_chars: int = 255

    def __post_init__(self) -> None:
        if not 0 <= self.leeway_seconds <= 300:
            raise AuthConfigError("leeway_seconds must be between 0 and 300")
        if self.max_lifetime_seconds <= 0:
            raise AuthConfigError("max_lifetime_seconds must be positive")


@dataclass(frozen=True)
class JwksPolicy:
    """How JWK Sets at URLs are fetched and cached."""

    ttl_seconds: float = 300.0
    min_refetch_interval_seconds: float = 60.0
    timeout_seconds: float = 2.0
    max_bytes: int = 512 * 1024


def auth_enabled(environ: Mapping[str, str] = os.environ) -> bool:
    """False only for `PANNET_CDS_AUTH=off` (development); a typo is an error, not "off"."""
    value = environ.get(AUTH_SWITCH_ENV, "on").strip().lower()
    if value in ("", "on"):
        return True
    if value == "off":
        return False
    raise AuthConfigError(f"{AUTH_SWITCH_ENV} must be 'on' or 'off', got {value!r}")


def _parse_issuer(issuer: object, spec: object, base: Path) -> TrustedIssuer:
    if not isinstance(issuer, str) or not issuer.strip():
        raise AuthConfigError(
            f"{TRUSTED_ISSUERS_ENV}: issuer {issuer!r} must be a non-empty string"
        )
    items = spec if isinstance(spec, list) else [spec]
    if not items:
        raise AuthConfigError(f"{TRUSTED_ISSUERS_ENV}[{issuer!r}]: no JWKS URL or path given")
    return TrustedIssuer(issuer, tuple(_parse_source(issuer, item, base) for item in items))


_SOURCE_MEMBERS = frozenset({"jwks_url", "jwks_file"})


def _parse_source(issuer: str, item: object, base: Path) -> JwksSource:
    where = f"{TRUSTED_ISSUERS_ENV}[{issuer!r}]"
    if isinstance(item, dict):
        return _parse_source_object(where, item, base)
    if not isinstance(item, str) or not item.strip():
        raise AuthConfigError(f"{where}: {item!r} is not a JWKS URL or file path")
    if "://" in item:
        return JwksSource(url=_jwks_url(where, item))
    return JwksSource(path=_jwks_file(where, item, base))


def _parse_source_object(where: str, item: dict, base: Path) -> JwksSource:
    unknown = sorted(set(item) - _SOURCE_MEMBERS)
    if unknown or not item:
        raise AuthConfigError(
            f"{where}: an issuer object takes only 'jwks_url' and 'jwks_file', got {unknown}"
        )
    url, file = item.get("jwks_url"), item.get("jwks_file")
    for name, value in (("jwks_url", url), ("jwks_file", file)):
        if name in item and (not isinstance(value, str) or not value.strip()):
            raise AuthConfigError(f"{where}.{name}: {value!r} must be a non-empty string")
    return JwksSource(
        url=_jwks_url(where, url) if url is not None else None,
        path=_jwks_file(where, file, base) if file is not None else None,
    )


def _jwks_url(where: str, item: str) -> str:
    parts = urlsplit(item)
    if parts.scheme == "https" and parts.hostname:
        return item
    if parts.scheme == "http" and _is_loopback(parts.hostname):
        return item
    raise AuthConfigError(
        f"{where}: JWKS URL {item!r} must use https:// (http:// only for a loopback host)"
    )


def _jwks_file(where: str, item: str, base: Path) -> Path:
    if "://" in item:
        raise AuthConfigError(f"{where}: JWKS file {item!r} is a URL, not a path")
    path = Path(item).expanduser()
    path = path if path.is_absolute() else base / path
    if not path.is_file():
        raise AuthConfigError(f"{where}: JWKS file {str(path)!r} does not exist")
    return path


def _is_loopback(host: str | None) -> bool:
    if host is None:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
