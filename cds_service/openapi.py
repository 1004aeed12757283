"""The OpenAPI 3.1 description of the service (cds-api.md "HTTP"), built from the same service
definitions that handle the calls."""

from __future__ import annotations

from collections.abc import Iterable

_OUTCOME = {"$ref": "#/components/schemas/OperationOutcome"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _outcome(description: str) -> dict:
    return {
        "description": description,
        "content": {
            "application/fhir+json": {"schema": _OUTCOME},
            "application/json": {"schema": _OUTCOME},
        },
    }


_ERRORS = {
    "400": _outcome("Malformed request: not JSON, wrong types, missing fields, wrong hook"),
    "401": {"description": "Missing or invalid client JWT (bare response, no body)"},
    "404": _outcome("Unknown service"),
    "413": _outcome("Request body too large"),
}

_SCHEMAS: dict = {
    "OperationOutcome": {
        "type": "object",
        "required": ["resourceType", "issue"],
        "properties": {
            "resourceType": {"const": "OperationOutcome"},
            "issue": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["severity", "code"],
                    "properties": {
                        "severity": {"type": "string"},
                        "code": {"type": "string"},
                        "diagnostics": {"type": "string"},
                        "expression": {"type": "array", "items": {"type": "string"}},
                    },
                },
            },
        },
    },
    "Coding": {
        "type": "object",
        "required": ["code"],
        "properties": {
            "system": {"type": "string"},
            "code": {"type": "string"},
            "display": {"type": "string"},
        },
    },
    "FhirAuthorization": {
        "type": "object",
        "required": ["access_token", "token_type", "expires_in", "scope", "subject"],
        "properties": {
            "access_token": {"type": "string"},
            "token_type": {"const": "Bearer"},
            "expires_in": {"type": "integer"},
            "scope": {"type": "string"},
            "subject": {"type": "string"},
            "patient": {"type": "string"},
        },
    },
    "CdsRequest": {
        "type": "object",
        "required": ["hook", "hookInstance", "context"],
        "properties": {
            "hook": {"type": "string"},
            "hookInstance": {"type": "string"},
            "fhirServer": {"type": "string", "format": "uri"},
            "fhirAuthorization": {"$ref": "#/components/schemas/FhirAuthorization"},
            "context": {
                "type": "object",
                "required": ["userId", "patientId"],
                "properties": {
                    "userId": {"type": "string"},
                    "patientId": {"type": "string"},
                    "encounterId": {"type": "string"},
                    "draftOrders": {"type": "object"},
                    "diagnosticReport": {"type": "object"},
                    "results": {"type": "object"},
                },
            },
            "prefetch": {"type": "object", "additionalProperties": {"type": ["object", "null"]}},
        },
    },
    "Card": {
        "type": "object",
        "required": ["summary", "indicator", "source"],
        "properties": {
            "uuid": {"type": "string"},
            "summary": {"type": "string", "maxLength": 140},
            "detail": {"type": "string"},
            "indicator": {"enum": ["info", "warning", "critical"]},
            "source": {"type": "object"},
            "suggestions": {"type": "array", "items": {"type": "object"}},
            "selectionBehavior": {"enum": ["at-most-one", "any"]},
            "overrideReasons": {"type": "array", "items": {"$ref": "#/components/schemas/Coding"}},
            "links": {"type": "array", "items": {"type": "object"}},
            "extension": {"type": "object"},
        },
    },
    "CdsResponse": {
        "type": "object",
        "required": ["cards"],
        "properties": {
            "cards": {"type": "array", "items": {"$ref": "#/components/schemas/Card"}},
            "systemActions": {"type": "array", "items": {"type": "object"}},
        },
    },
    "FeedbackRequest": {
        "type": "object",
        "required": ["feedback"],
        "properties": {
            "feedback": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "required": ["card", "outcome", "outcomeTimestamp"],
                    "properties": {
                        "card": {"type": "string"},
                        "outcome": {"enum": ["accepted", "overridden"]},
                        "acceptedSuggestions": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["id"],
                                "properties": {"id": {"type": "string"}},
                            },
                        },
                        "overrideReason": {
                            "type": "object",
                            "properties": {
                                "reason": {"$ref": "#/components/schemas/Coding"},
                                "userComment": {"type": "string"},
                            },
                        },
                        "outcomeTimestamp": {"type": "string", "format": "date-time"},
                    },
                },
            }
        },
    },
}


def openapi_document(service_ids: Iterable[str]) -> dict:
    ids = sorted(service_ids)
    service_param = {
        "name": "id",
        "in": "path",
        "required": True,
        "description": "CDS service id (see discovery)",
        "schema": {"type": "string", "enum": ids} if ids else {"type": "string"},
    }
    security = [{"cdsClientJwt": []}]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "pannet-cds",
            "version": "0.1.0",
            "description": "CDS Hooks 2.0 service: NET recurrence risk and surveillance.",
        },
        "paths": {
            "/cds-services": {
                "get": {
                    "summary": "CDS Hooks discovery",
                    "responses": {"200": _json({"type": "object"}, "The services offered")},
                }
            },
            "/cds-services/{id}": {
                "post": {
                    "summary": "Call a CDS service",
                    "parameters": [service_param],
                    "security": security,
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/CdsRequest"}
                            }
                        },
                    },
                    "responses": {
                        "200": _json({"$ref": "#/components/schemas/CdsResponse"}, "Cards"),
                        **_ERRORS,
                        "412": _outcome("Required data could not be obtained"),
                    },
                }
            },
            "/cds-services/{id}/feedback": {
                "post": {
                    "summary": "CDS Hooks feedback on cards",
                    "parameters": [service_param],
                    "security": security,
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/FeedbackRequest"}
                            }
                        },
                    },
                    "responses": {"200": _json({"type": "object"}, "Stored"), **_ERRORS},
                }
            },
            "/healthz": {
                "get": {
                    "summary": "Liveness",
                    "responses": {"200": _json({"type": "object"}, "Alive")},
                }
            },
            "/readyz": {
                "get": {
                    "summary": "Readiness: the database is reachable",
                    "responses": {
                        "200": _json({"type": "object"}, "Ready"),
                        "503": _outcome("Database unreachable"),
                    },
                }
            },
            "/openapi.json": {
                "get": {
                    "summary": "This description",
                    "responses": {"200": _json({"type": "object"}, "OpenAPI 3.1")},
                }
            },
        },
        "components": {
            "schemas": _SCHEMAS,
            "securitySchemes": {
                "cdsClientJwt": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT (CDS Hooks 2.0 client authentication)",
                }
            },
        },
    }
