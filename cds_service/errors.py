"""One exception family for the HTTP layer, mapped to status codes and OperationOutcome bodies
once (cds-api.md "HTTP": never HTML, never a stack trace)."""

from __future__ import annotations

import logging

from flask import Flask, Response, current_app, jsonify
from werkzeug.exceptions import HTTPException, MethodNotAllowed

log = logging.getLogger(__name__)


class ServiceError(Exception):
    status = 500
    code = "exception"

    def __init__(
        self,
        message: str,
        *,
        expression: list[str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.expression = expression or []
        self.headers = headers or {}


class BadRequest(ServiceError):
    status = 400
    code = "invalid"


class Unauthorized(ServiceError):
    status = 401
    code = "login"


class NotFound(ServiceError):
    status = 404
    code = "not-found"


class TooLarge(ServiceError):
    """More data than one call may carry or make the service read (the message states the
    limit)."""

    status = 413
    code = "too-costly"


class UnsupportedMediaType(ServiceError):
    status = 415
    code = "not-supported"


class TooManyRequests(ServiceError):
    status = 429
    code = "throttled"


class PreconditionFailed(ServiceError):
    """Data the service needs could not be had (CDS Hooks: 412)."""

    status = 412
    code = "not-found"


_QUOTE_LIMIT = 200


def quoted(text: object, limit: int = _QUOTE_LIMIT) -> str:
    """Text that did not come from this service (a FHIR server's or a mapper's message about
    its data), fit to put in a log line or a response: control characters and line breaks
    replaced, cut to `limit` characters, in quotes."""
    flat = "".join(ch if ch.isprintable() else " " for ch in str(text))
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    return '"' + flat.replace('"', "'") + '"'


def body_limit_words(limit: int) -> str:
    mib = limit / (1024 * 1024)
    return f"{mib:g} MiB ({limit} bytes)" if mib >= 1 else f"{limit} bytes"


def operation_outcome(message: str, *, code: str, expression: list[str] | None = None) -> dict:
    issue: dict = {"severity": "error", "code": code, "diagnostics": message}
    if expression:
        issue["expression"] = expression
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def outcome_response(status: int, message: str, *, code: str, **kw: list[str]) -> Response:
    response = jsonify(operation_outcome(message, code=code, expression=kw.get("expression")))
    response.status_code = status
    response.mimetype = "application/fhir+json"
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    def _service_error(exc: ServiceError) -> Response:
        if isinstance(exc, Unauthorized):
            # A bare 401: nothing to help an attacker tell which check failed.
            return Response(status=401)
        response = outcome_response(
            exc.status, exc.message, code=exc.code, expression=exc.expression
        )
        response.headers.update(exc.headers)
        return response

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        too_large = "request body too large" + (
            f"; the limit is {body_limit_words(limit)}" if limit else ""
        )
        message = {
            404: "no such endpoint",
            405: "method not allowed for this endpoint",
            413: too_large,
        }.get(status, exc.name)
        code = {404: "not-found", 405: "not-supported", 413: "too-costly"}.get(status, "invalid")
        response = outcome_response(status, message, code=code)
        if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
            # RFC 9110 §15.5.6: a 405 names the methods the resource does support.
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        # The type only: the message of an unexpected error may quote patient data.
        log.error("unexpected error while handling a request: %s", type(exc).__name__)
        return outcome_response(
            500, "internal error; the request was not processed", code="exception"
        )
