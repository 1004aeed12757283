"""CDS Hooks feedback (https://cds-hooks.hl7.org/2.0/#feedback): bounded in size and rate,
checked against the card it is about, stored durably and idempotently before the 200 is sent."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request
from flask.blueprints import BlueprintSetupState

from cds_service.blueprints.hooks import lookup_service
from cds_service.blueprints.request_body import authenticate, raw_body
from cds_service.errors import BadRequest, NotFound, ServiceError, outcome_response
from cds_service.feedback.errors import CardNotIssued, FeedbackStoreError, FeedbackValidationError
from cds_service.feedback.limits import MAX_FEEDBACK_BODY_BYTES, FeedbackRateLimiter
from cds_service.feedback.models import parse_feedback_request
from cds_service.feedback.store import store_feedback
from cds_service.observability.flask_ext import record_feedback_metrics
from cds_service.state import service_state

bp = Blueprint("feedback", __name__)
LIMITER_EXTENSION = "pannet_cds_feedback_limiter"


class StorageUnavailable(ServiceError):
    status = 503
    code = "transient"


@bp.record_once
def _setup(state: BlueprintSetupState) -> None:
    state.app.extensions[LIMITER_EXTENSION] = FeedbackRateLimiter()


def _too_large() -> Response:
    return outcome_response(
        413,
        f"feedback body is larger than {MAX_FEEDBACK_BODY_BYTES} bytes; send fewer entries",
        code="too-costly",
    )


@bp.post("/cds-services/<service_id>/feedback")
def post_feedback(service_id: str) -> Response:
    state = service_state()
    service = lookup_service(state, service_id)
    client = authenticate(state)
    issuer = client.issuer if client is not None else None
    limiter: FeedbackRateLimiter = current_app.extensions[LIMITER_EXTENSION]
    client = f"iss:{issuer}" if issuer is not None else f"ip:{request.remote_addr}"
    wait_s = limiter.retry_after(f"{client} {service.id}")
    if wait_s is not None:
        response = outcome_response(
            429,
            f"too many feedback requests from this client; at most {limiter.rate:g} per second "
            f"(bursts of {limiter.burst}); retry after {wait_s} s",
            code="throttled",
        )
        response.headers["Retry-After"] = str(wait_s)
        return response
    if (request.content_length or 0) > MAX_FEEDBACK_BODY_BYTES:
        return _too_large()
    raw = raw_body()
    if len(raw) > MAX_FEEDBACK_BODY_BYTES:
        return _too_large()
    if not raw:
        raise BadRequest("request body is empty; a JSON object with 'feedback' is expected")
    try:
        feedback = parse_feedback_request(raw)
    except FeedbackValidationError as exc:
        raise BadRequest("; ".join(exc.problems[:10])) from None
    try:
        result = store_feedback(state.engine, service.id, feedback, issuer=issuer)
    except CardNotIssued as exc:
        raise NotFound("; ".join(exc.problems[:10])) from None
    except FeedbackValidationError as exc:
        raise BadRequest("; ".join(exc.problems[:10])) from None
    except FeedbackStoreError:
        raise StorageUnavailable("feedback could not be stored; retry later") from None
    record_feedback_metrics(service.id, feedback)
    return jsonify({"stored": result.new, "duplicates": result.duplicate})
