"""The OpenAPI 3.1 description of the service (cds-api.md "HTTP"), built from the same service
definitions that handle the calls: one path per service, so each request schema names its hook
and context. The wire schemas are in `cds_service.openapi_schemas`."""

from __future__ import annotations

from collections.abc import Mapping

from cds_service.hooks.services import ServiceDefinition
from cds_service.openapi_schemas import COMPONENTS, Schema, hook_request, ref


def _json(schema: Schema, description: str) -> Schema:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _outcome(description: str) -> Schema:
    outcome = {"schema": ref("OperationOutcome")}
    return {
        "description": description,
        "content": {"application/fhir+json": outcome, "application/json": outcome},
    }


_UNAUTHORIZED = {"description": "Missing or invalid client JWT (bare response, no body)"}
_BAD_REQUEST = _outcome("Malformed request: not JSON, wrong types, missing fields, wrong hook")
_TOO_LARGE = _outcome("Request body larger than the configured limit")
_CALL_TOO_LARGE = _outcome(
    "Request body larger than the configured limit, or more resources than one call may carry "
    "(5,000 per prefetch key, 20,000 in all); the message states the limit"
)
_NOT_JSON = _outcome("The body was not sent as application/json")
_THROTTLED = {
    **_outcome("Too many calls from this client; retry after the seconds in Retry-After"),
    "headers": {"Retry-After": {"schema": {"type": "integer", "minimum": 1}}},
}
_CALL_DESCRIPTION = (
    "CDS Hooks 2.0 service call. Prefetch is used when sent; what is missing is fetched from "
    "fhirServer with fhirAuthorization. A Patient in prefetch must be context.patientId's and no "
    "resource may be about another patient (else 400)."
)


def _call(service: ServiceDefinition, security: list[Schema]) -> Schema:
    return {
        "post": {
            "summary": f"Call the {service.hook} service",
            "description": _CALL_DESCRIPTION,
            "security": security,
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": hook_request(service)}},
            },
            "responses": {
                "200": _json(ref("CdsResponse"), "Cards (and systemActions, always empty)"),
                "400": _BAD_REQUEST,
                "401": _UNAUTHORIZED,
                "412": _outcome("Required data (the Patient) could not be obtained"),
                "413": _CALL_TOO_LARGE,
                "415": _NOT_JSON,
                "429": _THROTTLED,
            },
        }
    }


def _feedback(service: ServiceDefinition, security: list[Schema]) -> Schema:
    return {
        "post": {
            "summary": f"Feedback on cards of the {service.hook} service",
            "description": "Checked against the card as it was issued (by this service, to this "
            "client; suggestions and override reasons it offered) and stored durably and "
            "idempotently before the 200: the same report about a card sent again is counted "
            "as a duplicate; a changed outcome or a different override is a new record.",
            "security": security,
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref("FeedbackRequest")}},
            },
            "responses": {
                "200": _json(ref("FeedbackResponse"), "Stored"),
                "400": _BAD_REQUEST,
                "401": _UNAUTHORIZED,
                "404": _outcome("A card this service did not issue to this client"),
                "413": _TOO_LARGE,
                "429": _outcome("Too many feedback requests from this client (Retry-After)"),
                "415": _NOT_JSON,
                "503": _outcome("The database is unavailable; retry (storing is idempotent)"),
            },
        }
    }


def _unknown_service(ids: list[str], *, feedback: bool) -> Schema:
    parameter = {
        "name": "id",
        "in": "path",
        "required": True,
        "description": "An id that discovery does not list (404); a listed id is answered as "
        "described under its own path",
        "schema": {"type": "string", "minLength": 1, "not": {"enum": ids}} if ids else {},
    }
    return {
        "post": {
            "summary": "Unknown CDS service" + (" (feedback)" if feedback else ""),
            "parameters": [parameter],
            "requestBody": {"content": {"application/json": {"schema": {}}}},
            "responses": {
                "404": _outcome("Unknown service"),
                "400": _BAD_REQUEST,
                "401": _UNAUTHORIZED,
                "412": _outcome("A listed service: required data could not be obtained"),
                "413": _TOO_LARGE,
                "415": _NOT_JSON,
            },
        }
    }


def _get(summary: str, responses: Schema) -> Schema:
    return {"get": {"summary": summary, "responses": responses}}


def openapi_document(services: Mapping[str, ServiceDefinition]) -> Schema:
    ids = sorted(services)
    security = [{"cdsClientJwt": []}]
    paths: Schema = {
        "/cds-services": _get(
            "CDS Hooks discovery",
            {
                "200": _json(ref("Discovery"), "The services offered"),
            },
        )
    }
    for service_id in ids:
        paths[f"/cds-services/{service_id}"] = _call(services[service_id], security)
        paths[f"/cds-services/{service_id}/feedback"] = _feedback(services[service_id], security)
    paths["/cds-services/{id}"] = _unknown_service(ids, feedback=False)
    paths["/cds-services/{id}/feedback"] = _unknown_service(ids, feedback=True)
    paths["/healthz"] = _get("Liveness", {"200": _json({"type": "object"}, "Alive")})
    paths["/readyz"] = _get(
        "Readiness: the database is reachable",
        {"200": _json({"type": "object"}, "Ready"), "503": _outcome("Database unreachable")},
    )
    paths["/openapi.json"] = _get(
        "This description", {"200": _json({"type": "object"}, "OpenAPI 3.1")}
    )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "pannet-cds",
            "version": "0.1.0",
            "description": "CDS Hooks 2.0 service: NET recurrence risk and surveillance.",
        },
        "paths": paths,
        "components": {
            "schemas": COMPONENTS,
            "securitySchemes": {
                "cdsClientJwt": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT (CDS Hooks 2.0 client authentication)",
                }
            },
        },
    }
