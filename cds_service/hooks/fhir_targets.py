"""Which FHIR servers a hook call may make this service read: the `fhirServer` allowlist.

A CDS client names its `fhirServer` in every call, so without a check any caller could aim the
service at loopback or internal addresses (a port-scan oracle, or a way to read internal
content). `PANNET_CDS_FHIR_SERVERS` is a JSON object: a JWT issuer (or `"*"`, for every caller
without an entry of its own and for every call when authentication is off) -> the FHIR base
URLs it may name. An entry matches a `fhirServer` with the same scheme, host and port (`:*`
matches any port, meant for development and tests on loopback) whose path is the entry's path
or below it. A caller with a list may name only those servers; a caller without one may name
public addresses only: the host is resolved and every address must be globally routable
(loopback is allowed as well when authentication is off, which start-up logs as a warning).
The check runs before any connection is opened; reasons are fixed phrases. For a server that is
not allowlisted, each new connection's peer address is checked again right after connecting
(`cds_service.http_session.peer_check`), so a DNS answer that changes between the check and the
connection (rebinding) is refused too.
"""

from __future__ import annotations

import ipaddress
import json
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import SplitResult, urlsplit

FHIR_SERVERS_ENV = "PANNET_CDS_FHIR_SERVERS"
ANY_CALLER = "*"
ANY_PORT = "*"
_DEFAULT_PORTS = {"http": 80, "https": 443}

NOT_ALLOWLISTED = "fhirServer is not on this client's allowlist (PANNET_CDS_FHIR_SERVERS)"
NOT_PUBLIC = (
    "fhirServer resolves to a loopback, private or link-local address; "
    "allowlist it in PANNET_CDS_FHIR_SERVERS to use it"
)
UNRESOLVABLE = "fhirServer host could not be resolved"

Resolver = Callable[[str, int | None], list[Any]]


class FhirServersConfigError(ValueError):
    """`PANNET_CDS_FHIR_SERVERS` is unusable; the message names the entry."""


def _port(parts: SplitResult) -> int | None:
    return parts.port or _DEFAULT_PORTS.get(parts.scheme)


@dataclass(frozen=True)
class AllowedServer:
    """One allowlist entry: scheme, host, port (None: any port) and base path."""

    scheme: str
    host: str
    port: int | None
    path: str

    @classmethod
    def parse(cls, where: str, url: object) -> AllowedServer:
        if not isinstance(url, str):
            raise FhirServersConfigError(f"{where}: {url!r} is not a URL")
        any_port = False
        text = url.strip()
        parts = urlsplit(text)
        if parts.netloc.endswith(":" + ANY_PORT):
            any_port = True
            parts = urlsplit(text.replace(":" + ANY_PORT, "", 1))
        try:
            port = None if any_port else _port(parts)
        except ValueError:
            raise FhirServersConfigError(f"{where}: {url!r} has an invalid port") from None
        if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
            raise FhirServersConfigError(f"{where}: {url!r} is not an absolute http(s) URL")
        if parts.query or parts.fragment or parts.username or parts.password:
            raise FhirServersConfigError(
                f"{where}: {url!r} must be a base URL (no user, query or fragment)"
            )
        return cls(parts.scheme, parts.hostname.lower(), port, parts.path.rstrip("/"))

    def matches(self, parts: SplitResult) -> bool:
        if parts.scheme != self.scheme or (parts.hostname or "").lower() != self.host:
            return False
        if self.port is not None and _port(parts) != self.port:
            return False
        path = parts.path.rstrip("/")
        return path == self.path or path.startswith(self.path + "/")


def _is_public(address: str, allow_loopback: bool) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return allow_loopback
    return ip.is_global and not ip.is_multicast


def _system_resolver(host: str, port: int | None) -> list[Any]:
    return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)


@dataclass(frozen=True)
class FhirServerPolicy:
    """The allowlists by issuer, and whether loopback is allowed without one (auth off)."""

    allowlists: Mapping[str, tuple[AllowedServer, ...]] = field(default_factory=dict)
    allow_loopback: bool = False
    resolver: Resolver = _system_resolver

    @classmethod
    def from_env_value(cls, value: str, *, allow_loopback: bool) -> FhirServerPolicy:
        try:
            raw = json.loads(value or "{}")
        except json.JSONDecodeError as error:
            raise FhirServersConfigError(f"{FHIR_SERVERS_ENV} is not valid JSON: {error}") from None
        if not isinstance(raw, dict):
            raise FhirServersConfigError(
                f'{FHIR_SERVERS_ENV} must be a JSON object: issuer (or "*") -> list of URLs'
            )
        allowlists = {}
        for caller, urls in raw.items():
            where = f"{FHIR_SERVERS_ENV}[{caller!r}]"
            if not isinstance(urls, list):
                raise FhirServersConfigError(f"{where} must be a list of FHIR base URLs")
            allowlists[caller] = tuple(AllowedServer.parse(where, url) for url in urls)
        return cls(allowlists=allowlists, allow_loopback=allow_loopback)

    def allowlisted(self, fhir_server: str, issuer: str | None) -> bool:
        allowed = self._list_for(issuer)
        return allowed is not None and any(e.matches(urlsplit(fhir_server)) for e in allowed)

    def peer_allowed(self, address: str) -> bool:
        """For a server that is not allowlisted: may a connection reach `address`?"""
        return _is_public(address, self.allow_loopback)

    def _list_for(self, issuer: str | None) -> tuple[AllowedServer, ...] | None:
        allowed = self.allowlists.get(issuer) if issuer is not None else None
        return allowed if allowed is not None else self.allowlists.get(ANY_CALLER)

    def refusal(self, fhir_server: str, issuer: str | None) -> str | None:
        """None when the call may read `fhir_server`, else the fixed reason why not. May
        resolve the host name (a DNS lookup), so call it where the time budget applies."""
        parts = urlsplit(fhir_server)
        allowed = self._list_for(issuer)
        if allowed is not None:
            return None if any(entry.matches(parts) for entry in allowed) else NOT_ALLOWLISTED
        try:
            addresses = self.resolver(parts.hostname or "", _port(parts))
        except (OSError, UnicodeError, ValueError):
            return UNRESOLVABLE
        if not addresses:
            return UNRESOLVABLE
        for *_, sockaddr in addresses:
            if not _is_public(str(sockaddr[0]), self.allow_loopback):
                return NOT_PUBLIC
        return None
