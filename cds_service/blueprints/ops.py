"""Operations endpoints: liveness, readiness (database reachable) and the OpenAPI description."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from cds_service.errors import outcome_response
from cds_service.openapi import openapi_document
from cds_service.state import service_state

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> Response:
    try:
        with service_state().engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        current_app.logger.warning("readiness: database unreachable (%s)", type(exc).__name__)
        return outcome_response(503, "database unreachable", code="transient")
    return jsonify({"status": "ready"})


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(openapi_document(service_state().services))
