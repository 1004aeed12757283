"""CDS Hooks feedback (https://cds-hooks.hl7.org/2.0/#feedback): validated, stored durably and
idempotently before the 200 is sent."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from cds_service.blueprints.hooks import lookup_service
from cds_service.blueprints.request_body import authenticate, raw_body
from cds_service.errors import BadRequest, ServiceError
from cds_service.feedback.errors import FeedbackStoreError, FeedbackValidationError
from cds_service.feedback.models import parse_feedback_request
from cds_service.feedback.store import store_feedback
from cds_service.observability.flask_ext import record_feedback_metrics
from cds_service.state import service_state

bp = Blueprint("feedback", __name__)


class StorageUnavailable(ServiceError):
    status = 503
    code = "transient"


@bp.post("/cds-services/<service_id>/feedback")
def post_feedback(service_id: str) -> Response:
    state = service_state()
    service = lookup_service(state, service_id)
    authenticate(state)
    raw = raw_body()
    if not raw:
        raise BadRequest("request body is empty; a JSON object with 'feedback' is expected")
    try:
        feedback = parse_feedback_request(raw)
    except FeedbackValidationError as exc:
        raise BadRequest("; ".join(exc.problems[:10])) from None
    try:
        result = store_feedback(state.engine, service.id, feedback)
    except FeedbackStoreError:
        raise StorageUnavailable("feedback could not be stored; retry later") from None
    record_feedback_metrics(service.id, feedback)
    return jsonify({"stored": result.new, "duplicates": result.duplicate})
