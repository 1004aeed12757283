"""Reading and authenticating a CDS call's body, shared by the service and feedback endpoints."""

from __future__ import annotations

import json

from flask import current_app, request

from cds_service.auth.errors import AuthenticationError
from cds_service.auth.verifier import VerifiedClient
from cds_service.errors import BadRequest, Unauthorized, UnsupportedMediaType
from cds_service.state import ServiceState

# What a CDS client may send (CDS Hooks: application/json). Anything else is refused before the
# body is read: a cross-origin HTML form can only send text/plain, form or multipart bodies, so
# a page in a browser cannot make this service act for it.
JSON_MEDIA_TYPES = frozenset({"application/json", "application/fhir+json"})


def called_url(state: ServiceState) -> str:
    """The URL the client called, for the JWT `aud` check; behind a proxy the configured public
    base URL replaces scheme and host."""
    base = state.settings.base_url
    if base:
        return base.rstrip("/") + request.path
    return request.base_url


def authenticate(state: ServiceState, *, record_jti: bool = True) -> VerifiedClient | None:
    """The verified client (None with verification off). `record_jti=False`: the caller records
    the `jti` itself (the hook call does, in its one transaction, `cds_service.call_writes`)."""
    if state.verifier is None:
        return None
    try:
        return state.verifier.verify(
            request.headers.get("Authorization"), called_url(state), record_jti=record_jti
        )
    except AuthenticationError as exc:
        # Logged without the token: the verifier's messages never quote it.
        current_app.logger.info("CDS client rejected: %s", exc)
        raise Unauthorized("unauthorized") from None


def raw_body() -> bytes:
    """The request body; 413 past the configured limit, also for a chunked body."""
    raw = request.get_data(cache=False)
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit is not None and len(raw) >= limit:
        # A chunked body has no Content-Length to check up front, and Werkzeug stops reading
        # at the limit without saying so: one more read raises 413 if the body goes on (a
        # chunked body of exactly the limit is refused too).
        request.stream.read(1)
    return raw


def require_json() -> None:
    """415 unless the body is declared JSON; checked before authentication and routing."""
    if request.mimetype not in JSON_MEDIA_TYPES:
        raise UnsupportedMediaType("request body must be sent as Content-Type: application/json")


def json_body() -> object:
    raw = raw_body()
    if not raw:
        raise BadRequest("request body is empty; a JSON object is expected")
    try:
        return json.loads(raw)
    except UnicodeDecodeError:
        raise BadRequest("request body is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise BadRequest(f"request body is not JSON ({exc.msg} at position {exc.pos})") from None
    except RecursionError:
        raise BadRequest("request body JSON is nested too deeply") from None
    except ValueError:
        # Python refuses to convert integers of more than 4,300 digits (CVE-2020-10735).
        raise BadRequest("request body JSON holds a number too long to read") from None
