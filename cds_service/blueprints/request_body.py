"""Reading and authenticating a CDS call's body, shared by the service and feedback endpoints."""

from __future__ import annotations

import json

import orjson
from flask import current_app, request

from cds_service.auth.errors import AuthenticationError
from cds_service.auth.verifier import VerifiedClient
from cds_service.errors import BadRequest, Unauthorized, UnsupportedMediaType
from cds_service.state import ServiceState

# What a CDS client may send (CDS Hooks: application/json). Anything else is refused before the
# body is read: a cross-origin HTML form can only send text/plain, form or multipart bodies, so
# a page in a browser cannot make this service act for it.
JSON_MEDIA_TYPES = frozenset({"application/json", "application/fhir+json"})

# orjson decodes a body in less than half json.loads's time, to the same value wherever it
# accepts the text (tests/test_request_body_orjson.py), except: integers past 64 bits, which
# it reads as floats, and nesting json.loads refuses (at the interpreter's recursion limit, less
# the stack in use) but orjson reads (to 1,024 levels). So orjson reads a body only without a
# run of 19 digits (any such integer has one) and with fewer than 500 "{" and "[" (nesting is
# at most their number); anything else, and anything orjson refuses (NaN, lone surrogates,
# UTF-16, a BOM, bad syntax), goes to json.loads as before, which gives the value or the error.
# One `translate` maps every byte to its class for both checks: digit "0", opener "[", other " ".
_BYTE_CLASSES = bytes(
    0x30 if 0x30 <= b <= 0x39 else 0x5B if b in (0x5B, 0x7B) else 0x20 for b in range(256)
)
_LONG_NUMBER = b"0" * 19
_MAX_OPENERS = 500
_NOT_READ = object()


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
    value = _orjson_value(raw)
    if value is not _NOT_READ:
        return value
    # Called here, not in a helper: where json.loads hits the recursion limit depends on the
    # depth of the stack it is called from.
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


def _orjson_value(raw: bytes) -> object:
    """The body as orjson reads it, or `_NOT_READ` where json.loads must (see `_BYTE_CLASSES`)."""
    classes = raw.translate(_BYTE_CLASSES)
    if classes.count(b"[") >= _MAX_OPENERS or _LONG_NUMBER in classes:
        return _NOT_READ
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return _NOT_READ
