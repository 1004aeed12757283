"""Browser-facing policy of the SMART app: the session cookies (HttpOnly; SameSite=None, Secure
and Partitioned when an EHR frames the app; `__Host-` and Secure when served over https), security
headers (CSP frame-ancestors from configuration, no caching of patient data) and the CSRF check
of every form.

One cookie per launch, named after the launch id: its secret is made by the server at launch and
replaced at the OAuth callback, so no value the browser held before (one planted by another
site, or the one that travelled through the sign-in) is ever the key to a signed-in session
(session fixation), and two tabs keep two launches without sharing a secret.
"""

from __future__ import annotations

import hmac

from flask import Request, Response

from cds_service.smart.config import SmartConfig
from cds_service.smart.errors import SessionInvalid
from cds_service.smart.sessions import SmartSession, valid_token

COOKIE_PREFIX = "pannet_smart_"
# https://datatracker.ietf.org/doc/html/draft-ietf-httpbis-rfc6265bis#name-the-__host-prefix:
# Secure, Path=/, no Domain; a sibling host or a plain-http page cannot set or shadow it.
HOST_PREFIX = "__Host-"
# A browser keeps at most this many launch cookies; older ones are dropped at the next launch
# so that the Cookie header stays well under servers' header limits.
MAX_BROWSER_LAUNCHES = 12


def served_over_https(request: Request, base_url: str | None) -> bool:
    return (base_url or "").startswith("https://") or request.is_secure


def cookie_name(lid: str, *, https: bool) -> str:
    return f"{HOST_PREFIX if https else ''}{COOKIE_PREFIX}{lid}"


def browser_secret(request: Request, lid: str, *, https: bool) -> str | None:
    """The secret this browser holds for launch `lid` (over https only a `__Host-` cookie)."""
    value = request.cookies.get(cookie_name(lid, https=https))
    return value if valid_token(value) else None


def browser_launches(request: Request, *, https: bool) -> list[str]:
    """Launch ids this browser holds a cookie for."""
    prefix = cookie_name("", https=https)
    return [
        name.removeprefix(prefix)
        for name in request.cookies
        if name.startswith(prefix) and valid_token(name.removeprefix(prefix))
    ]


def _cookie_options(config: SmartConfig, *, https: bool) -> dict[str, object]:
    # In a cross-site EHR frame the cookie is "third-party": it needs SameSite=None (which
    # browsers accept only with Secure), and Partitioned (CHIPS) so that browsers blocking
    # third-party cookies keep it, keyed to the EHR's site. On its own, Lax keeps the OAuth
    # redirect back working.
    return {
        "httponly": True,
        "secure": config.framed or https,
        "samesite": "None" if config.framed else "Lax",
        "partitioned": config.framed,
        "path": "/" if https else "/smart/",
    }


def set_browser_cookie(
    response: Response,
    lid: str,
    secret: str,
    config: SmartConfig,
    *,
    https: bool,
    max_age: int,
) -> None:
    response.set_cookie(
        cookie_name(lid, https=https),
        secret,
        max_age=max_age,
        **_cookie_options(config, https=https),
    )


def drop_browser_cookie(response: Response, lid: str, config: SmartConfig, *, https: bool) -> None:
    response.delete_cookie(cookie_name(lid, https=https), **_cookie_options(config, https=https))


def apply_headers(response: Response, config: SmartConfig) -> Response:
    ancestors = " ".join(config.frame_ancestors)
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; "
        f"form-action 'self'; base-uri 'none'; frame-ancestors {ancestors}"
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def check_csrf(form_value: str | None, session: SmartSession) -> None:
    if not form_value or not hmac.compare_digest(form_value, session.csrf):
        raise SessionInvalid("The form did not come from this app session.")
