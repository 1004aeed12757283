"""Browser-facing policy of the SMART app: the session cookie (HttpOnly; SameSite=None and Secure
when an EHR frames the app), security headers (CSP frame-ancestors from configuration, no caching
of patient data) and the CSRF check of every form."""

from __future__ import annotations

import hmac

from flask import Request, Response

from cds_service.smart.config import SmartConfig
from cds_service.smart.errors import SessionInvalid
from cds_service.smart.sessions import SmartSession, valid_token

COOKIE = "pannet_smart"


def browser_secret(request: Request) -> str | None:
    value = request.cookies.get(COOKIE)
    return value if valid_token(value) else None


def set_browser_cookie(
    response: Response, secret: str, config: SmartConfig, *, https: bool
) -> None:
    # In a cross-site EHR frame the cookie is "third-party": it needs SameSite=None (which
    # browsers accept only with Secure), and Partitioned (CHIPS) so that browsers blocking
    # third-party cookies keep it, keyed to the EHR's site. On its own, Lax keeps the OAuth
    # redirect back working.
    response.set_cookie(
        COOKIE,
        secret,
        httponly=True,
        secure=config.framed or https,
        samesite="None" if config.framed else "Lax",
        partitioned=config.framed,
        path="/smart/",
    )


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
