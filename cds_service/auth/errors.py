"""The auth subsystem's one exception family.

`AuthenticationError` means "answer 401": the request did not prove who sent it. Its message is
for the service's logs only (never the HTTP body) and never contains the token itself; values
taken from an unverified token are shortened and quoted with `untrusted()`.
"""

from __future__ import annotations

_MAX_ECHO = 80


class AuthError(Exception):
    """Base of every error raised by `cds_service.auth`."""


class AuthConfigError(AuthError, ValueError):
    """The trusted-issuer configuration is unusable; raised at start-up, names the bad entry."""


class AuthenticationError(AuthError):
    """The CDS client's JWT was missing or not acceptable: answer a bare 401."""


class AuthUnavailableError(AuthenticationError):
    """The token could not be checked (issuer's JWKS unreachable and never cached, replay store
    down). Still an `AuthenticationError` (fail closed, 401); an app may map it to 503."""


def untrusted(value: object) -> str:
    """`value` from an unverified token, quoted and cut short so logs stay readable and safe."""
    text = repr(value)
    return text if len(text) <= _MAX_ECHO else text[: _MAX_ECHO - 3] + "..."
