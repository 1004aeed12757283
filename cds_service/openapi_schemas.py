"""JSON Schemas (2020-12, as OpenAPI 3.1 uses them) of the wire formats, kept as strict as the
models that read them (`cds_service.hooks.request`, `.hooks.context`, `.feedback.models`), so a
request valid by the schema is one the service accepts. Cross-field rules that JSON Schema can
express (feedback outcome rules, fhirAuthorization needs fhirServer) are expressed; the rest
(the Patient read's id equals context.patientId) are in the operation descriptions.
"""

from __future__ import annotations

from typing import Any

from cds_service.hooks.fhir_server_url import FHIR_SERVER_PATTERN, MAX_LENGTH
from cds_service.hooks.services import ContextKind, ServiceDefinition

Schema = dict[str, Any]

FHIR_ID = r"^[A-Za-z0-9\-.]{1,64}$"
_USER_ID = r"^(Practitioner|PractitionerRole|Patient|RelatedPerson)/[A-Za-z0-9\-.]{1,64}$"
_UUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
_RFC3339 = r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$"
# Feedback strings are stripped before their length is checked: at least one visible character.
_VISIBLE = r"[^\s\x1c-\x1f\x85]"
_REF = "#/components/schemas/"


def ref(name: str) -> Schema:
    return {"$ref": _REF + name}


def _text(max_length: int) -> Schema:
    return {"type": "string", "minLength": 1, "maxLength": max_length, "pattern": _VISIBLE}


def _nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def resource(resource_type: str | None = None) -> Schema:
    """A FHIR resource as this service reads it: typed by `resourceType`; other elements are
    checked by the R4 models only where the service uses them. A Patient is never loose: the
    record's Patient is always validated, so it has its own schema."""
    kind: Schema = {"const": resource_type} if resource_type else {"type": "string"}
    return {"type": "object", "required": ["resourceType"], "properties": {"resourceType": kind}}


def patient() -> Schema:
    """The Patient read. On the wire only its type and id are checked (the id must be
    context.patientId's, else 400); its other elements are validated as R4 by the mappers, and
    an invalid Patient (a gender that is no code, a birthDate that is no date) costs only its
    content, with a warning naming it, not the call. So no other element is constrained here."""
    return {
        "type": "object",
        "required": ["resourceType", "id"],
        "properties": {
            "resourceType": {"const": "Patient"},
            "id": {"type": "string", "pattern": FHIR_ID},
        },
    }


def bundle() -> Schema:
    """A Bundle whose entries each hold a resource (of any type: a search may add others)."""
    return {
        "type": "object",
        "required": ["resourceType"],
        "properties": {
            "resourceType": {"const": "Bundle"},
            "entry": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["resource"],
                    "properties": {"resource": resource()},
                },
            },
        },
    }


def _context(kind: ContextKind) -> Schema:
    properties: Schema = {
        "userId": {"type": "string", "pattern": _USER_ID},
        "patientId": {"type": "string", "pattern": FHIR_ID},
        "encounterId": {"type": ["string", "null"], "pattern": FHIR_ID},
    }
    required = ["userId", "patientId"]
    if kind is ContextKind.ENCOUNTER_DISCHARGE:
        properties["encounterId"] = {"type": "string", "pattern": FHIR_ID}
        required.append("encounterId")
    elif kind is ContextKind.ORDER_SIGN:
        properties["draftOrders"] = bundle()
        required.append("draftOrders")
    elif kind is ContextKind.PATHOLOGY_SIGN:
        properties["diagnosticReport"] = resource("DiagnosticReport")
        properties["results"] = {"anyOf": [bundle(), {"type": "null"}]}
        required.append("diagnosticReport")
    return {"type": "object", "required": required, "properties": properties}


# A client reports a failed prefetch with an OperationOutcome; only its type is looked at.
_PREFETCH_OUTCOME: Schema = {
    "type": "object",
    "required": ["resourceType"],
    "properties": {"resourceType": {"const": "OperationOutcome"}},
}


def _prefetch(service: ServiceDefinition) -> Schema:
    properties = {}
    for key, spec in service.prefetch.items():
        data = patient() if spec.resource_type == "Patient" else bundle()
        properties[key] = {"anyOf": [data, _PREFETCH_OUTCOME, {"type": "null"}]}
    return {
        "type": ["object", "null"],
        "properties": properties,
        "additionalProperties": {"anyOf": [resource(), {"type": "null"}]},
        "description": "Prefetch results by key. The Patient read must be context.patientId's "
        "Patient, and no resource may be about another patient (else 400).",
    }


def hook_request(service: ServiceDefinition) -> Schema:
    """A CDS Hooks 2.0 request (https://cds-hooks.hl7.org/2.0/#http-request) for `service`."""
    return {
        "type": "object",
        "required": ["hook", "hookInstance", "context"],
        "properties": {
            "hook": {"const": service.hook},
            "hookInstance": {"type": "string", "pattern": r"^[\x21-\x7e]{1,128}$"},
            "fhirServer": {
                "type": ["string", "null"],
                "maxLength": MAX_LENGTH,
                "pattern": FHIR_SERVER_PATTERN,
            },
            "fhirAuthorization": {"anyOf": [ref("FhirAuthorization"), {"type": "null"}]},
            "context": _context(service.context_kind),
            "prefetch": _prefetch(service),
        },
        # A token needs the server it is for.
        "if": {
            "required": ["fhirAuthorization"],
            "properties": {"fhirAuthorization": {"type": "object"}},
        },
        "then": {"required": ["fhirServer"], "properties": {"fhirServer": {"type": "string"}}},
    }


def _coding() -> Schema:
    return {
        "type": "object",
        "required": ["code"],
        "additionalProperties": False,
        "properties": {
            "code": _text(128),
            "system": _nullable(_text(255)),
            "display": _nullable(_text(255)),
        },
    }


def _feedback_entry() -> Schema:
    suggestion = {
        "type": "object",
        "required": ["id"],
        "additionalProperties": False,
        "properties": {"id": {"type": "string", "pattern": _UUID}},
    }
    override_reason = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "reason": _nullable(ref("Coding")),
            "userComment": _nullable(_text(2000)),
        },
        "anyOf": [
            {"required": ["reason"], "properties": {"reason": {"type": "object"}}},
            {"required": ["userComment"], "properties": {"userComment": {"type": "string"}}},
        ],
    }
    accepted = {
        "properties": {
            "outcome": {"const": "accepted"},
            "acceptedSuggestions": {"type": "array", "minItems": 1},
            "overrideReason": {"type": "null"},
        },
        "required": ["acceptedSuggestions"],
    }
    overridden = {
        "properties": {"outcome": {"const": "overridden"}, "acceptedSuggestions": {"maxItems": 0}}
    }
    return {
        "type": "object",
        "required": ["card", "outcome", "outcomeTimestamp"],
        "additionalProperties": False,
        "properties": {
            "card": {"type": "string", "pattern": _UUID},
            "outcome": {"enum": ["accepted", "overridden"]},
            "acceptedSuggestions": {
                "anyOf": [{"type": "array", "maxItems": 10, "items": suggestion}, {"type": "null"}]
            },
            "overrideReason": {"anyOf": [override_reason, {"type": "null"}]},
            "outcomeTimestamp": {"type": "string", "format": "date-time", "pattern": _RFC3339},
            "extension": {"type": ["object", "null"]},
        },
        "oneOf": [accepted, overridden],
    }


COMPONENTS: dict[str, Schema] = {
    "OperationOutcome": {
        "type": "object",
        "required": ["resourceType", "issue"],
        "properties": {
            "resourceType": {"const": "OperationOutcome"},
            "issue": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "required": ["severity", "code"],
                    "properties": {
                        "severity": {"enum": ["fatal", "error", "warning", "information"]},
                        "code": {"type": "string"},
                        "diagnostics": {"type": "string"},
                        "expression": {"type": "array", "items": {"type": "string"}},
                    },
                },
            },
        },
    },
    "Coding": _coding(),
    "FhirAuthorization": {
        "type": "object",
        "required": ["access_token", "token_type", "expires_in", "scope", "subject"],
        "properties": {
            "access_token": {
                "type": "string",
                "minLength": 1,
                "maxLength": 16384,
                "pattern": r"^[\x21-\x7e]+$",
            },
            "token_type": {"enum": ["Bearer", "bearer"]},
            "expires_in": {"type": "integer", "minimum": 0},
            "scope": {"type": "string", "minLength": 1, "maxLength": 8192},
            "subject": {"type": "string", "minLength": 1, "maxLength": 1024},
            "patient": {"type": ["string", "null"], "pattern": FHIR_ID},
        },
    },
    "Card": {
        "type": "object",
        "required": ["summary", "indicator", "source"],
        "properties": {
            "uuid": {"type": "string", "pattern": _UUID},
            "summary": {"type": "string", "maxLength": 140},
            "detail": {"type": "string"},
            "indicator": {"enum": ["info", "warning", "critical"]},
            "source": {"type": "object", "required": ["label"]},
            "suggestions": {"type": "array", "items": {"type": "object"}},
            "selectionBehavior": {"enum": ["at-most-one", "any"]},
            "overrideReasons": {"type": "array", "items": {"type": "object"}},
            "links": {"type": "array", "items": {"type": "object"}},
            "extension": {"type": "object"},
        },
    },
    "CdsResponse": {
        "type": "object",
        "required": ["cards"],
        "properties": {
            "cards": {"type": "array", "items": ref("Card")},
            "systemActions": {"type": "array", "items": {"type": "object"}},
        },
    },
    "FeedbackRequest": {
        "type": "object",
        "required": ["feedback"],
        "additionalProperties": False,
        "properties": {
            "feedback": {"type": "array", "maxItems": 100, "items": _feedback_entry()},
            "extension": {"type": ["object", "null"]},
        },
    },
    "FeedbackResponse": {
        "type": "object",
        "required": ["stored", "duplicates"],
        "properties": {
            "stored": {"type": "integer", "minimum": 0},
            "duplicates": {"type": "integer", "minimum": 0},
        },
    },
    "Discovery": {
        "type": "object",
        "required": ["services"],
        "properties": {
            "services": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["hook", "id", "description"],
                    "properties": {
                        "hook": {"type": "string"},
                        "id": {"type": "string"},
                        "title": {"type": "string"},
                        "description": {"type": "string"},
                        "prefetch": {
                            "type": "object",
                            "additionalProperties": {"type": "string"},
                        },
                        "usageRequirements": {"type": "string"},
                    },
                },
            }
        },
    },
}
