"""The one way this service makes an outbound HTTP session (FHIR servers, JWK Sets, the SMART
app's EHR calls): pooled, no retries, no cookies, nothing taken from the environment.

- Cookies: a FHIR server's `Set-Cookie` on one caller's call must never ride along on another
  caller's (or another SMART user's) request, so the jar refuses every cookie
  (`DefaultCookiePolicy(allowed_domains=[])` accepts and returns none).
- `trust_env = False`: no `~/.netrc` credentials, proxy variables or CA bundle variables of the
  host are applied to requests that carry a caller's bearer token.
- A peer check at connect time: a request made inside `peer_check(allowed)` (the hook fetcher
  does, for a `fhirServer` that is not allowlisted) has each new connection's peer address
  checked right after the TCP handshake and closed before a byte is sent when `allowed` refuses
  it. The host was checked when resolved before the request; this catches a DNS answer that
  changed in between (rebinding).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.cookiejar import DefaultCookiePolicy
from socket import socket
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError

USER_AGENT = "pannet-cds"
PEER_REFUSED = "peer address not allowed"

PeerAllowed = Callable[[str], bool]
_context = threading.local()


@contextmanager
def peer_check(allowed: PeerAllowed | None) -> Iterator[None]:
    """New connections made by this thread inside the block must reach a peer `allowed`
    accepts (None: no check)."""
    previous = getattr(_context, "allowed", None)
    _context.allowed = allowed
    try:
        yield
    finally:
        _context.allowed = previous


def _checked(sock: socket, connection: Any) -> socket:
    allowed: PeerAllowed | None = getattr(_context, "allowed", None)
    if allowed is not None and not allowed(str(sock.getpeername()[0])):
        sock.close()
        raise NewConnectionError(connection, PEER_REFUSED)
    return sock


class _CheckedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket:
        return _checked(super()._new_conn(), self)


class _CheckedHTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> socket:
        return _checked(super()._new_conn(), self)


class _CheckedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _CheckedHTTPConnection


class _CheckedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _CheckedHTTPSConnection


class _CheckedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _CheckedHTTPPool,
            "https": _CheckedHTTPSPool,
        }


def refusing_cookie_jar() -> requests.cookies.RequestsCookieJar:
    return requests.cookies.RequestsCookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


def outbound_session(pool_connections: int = 16, pool_maxsize: int = 32) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    session.cookies = refusing_cookie_jar()
    # Connection pooling for FHIR servers; retries are not wanted inside a time budget.
    adapter = _CheckedAdapter(
        pool_connections=pool_connections, pool_maxsize=pool_maxsize, max_retries=0
    )
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    return session
