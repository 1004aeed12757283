"""Building CDS Hooks requests the way an EHR does: prefetch from a patient's resources,
contexts per hook, and a client identity that signs ES384 JWTs."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from cds_service.hooks.prefetch_codes import PATHOLOGY_REPORT_CATEGORIES, PATHOLOGY_REPORT_CODES
from cds_service.hooks.services import REPORT_RESULTS_BY_CODE_KEY, REPORT_RESULTS_KEY

CASES = Path(__file__).resolve().parents[1] / "data" / "cases"

SERVICE_IDS = {
    "patient-view": "pannet-cds-patient-view",
    "order-sign": "pannet-cds-order-sign",
    "encounter-discharge": "pannet-cds-encounter-discharge",
    "pathology": "pannet-cds-pathology-report-sign",
}
PATHOLOGY_HOOK = "org.pannet-cds.pathology-report-sign"

# Prefetch key per resource type, as the service's discovery document declares them.
PREFETCH_KEYS = {
    "Condition": "conditions",
    "Observation": "observations",
    "Procedure": "procedures",
    "ServiceRequest": "serviceRequests",
    "ImagingStudy": "imagingStudies",
    "DiagnosticReport": "diagnosticReports",
    "MedicationRequest": "medicationRequests",
    "MedicationStatement": "medicationStatements",
    "Specimen": "specimens",
}


def case_resources(case: str) -> list[dict[str, Any]]:
    bundle = json.loads((CASES / f"{case}.bundle.json").read_text())
    return [entry["resource"] for entry in bundle["entry"]]


def searchset(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(resources),
        "entry": [{"resource": r} for r in resources],
    }


def _tokens(concepts: Any) -> set[str]:
    if isinstance(concepts, dict):
        concepts = [concepts]
    return {
        f"{c.get('system')}|{c.get('code')}"
        for concept in concepts or []
        for c in concept.get("coding") or []
    }


def report_results(resources: list[dict[str, Any]], element: str) -> list[dict[str, Any]]:
    """What a pathology-report template (`reportResults` by category, `reportResultsByCode` by
    code; `_include=DiagnosticReport:result&_include:iterate=Observation:has-member`) returns:
    the matching reports, their results and the results' hasMember trees."""
    wanted = {
        c.token
        for c in (PATHOLOGY_REPORT_CATEGORIES if element == "category" else PATHOLOGY_REPORT_CODES)
    }
    by_ref = {f"{r['resourceType']}/{r.get('id')}": r for r in resources}
    found = [
        r
        for r in resources
        if r["resourceType"] == "DiagnosticReport" and _tokens(r.get(element)) & wanted
    ]
    seen = {f"DiagnosticReport/{r.get('id')}" for r in found}
    frontier = [(r, "result") for r in found]
    while frontier:
        resource, element = frontier.pop(0)
        for link in resource.get(element) or []:
            target = by_ref.get(link.get("reference", "")) if isinstance(link, dict) else None
            if target is not None and target["resourceType"] == "Observation":
                ref = f"Observation/{target.get('id')}"
                if ref not in seen:
                    seen.add(ref)
                    found.append(target)
                    frontier.append((target, "hasMember"))
    return found


def prefetch_for(resources: list[dict[str, Any]]) -> dict[str, Any]:
    """Every prefetch key filled, as an EHR that honours all templates would send it."""
    prefetch: dict[str, Any] = {key: searchset([]) for key in PREFETCH_KEYS.values()}
    for resource in resources:
        kind = resource["resourceType"]
        if kind == "Patient":
            prefetch["patient"] = resource
        elif kind in PREFETCH_KEYS:
            prefetch[PREFETCH_KEYS[kind]]["entry"].append({"resource": resource})
    prefetch[REPORT_RESULTS_KEY] = searchset(report_results(resources, "category"))
    prefetch[REPORT_RESULTS_BY_CODE_KEY] = searchset(report_results(resources, "code"))
    for value in prefetch.values():
        if value.get("type") == "searchset":
            value["total"] = len(value["entry"])
    return prefetch


def context_for(hook: str, patient_id: str, **extra: Any) -> dict[str, Any]:
    context: dict[str, Any] = {"userId": "Practitioner/dr-1", "patientId": patient_id}
    if hook == "encounter-discharge":
        context["encounterId"] = "enc-1"
    if hook == "order-sign":
        context["draftOrders"] = extra.get("draftOrders", searchset([]))
    if hook == "pathology":
        context["diagnosticReport"] = extra["diagnosticReport"]
    return context


def hook_name(hook: str) -> str:
    return PATHOLOGY_HOOK if hook == "pathology" else hook


def request_body(
    hook: str,
    patient_id: str,
    *,
    prefetch: dict[str, Any] | None = None,
    fhir_server: str | None = None,
    access_token: str | None = None,
    **context_extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "hook": hook_name(hook),
        "hookInstance": str(uuid.uuid4()),
        "context": context_for(hook, patient_id, **context_extra),
    }
    if prefetch is not None:
        body["prefetch"] = prefetch
    if fhir_server is not None:
        body["fhirServer"] = fhir_server
        if access_token is not None:
            body["fhirAuthorization"] = {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": 300,
                "scope": "patient/*.read",
                "subject": "pannet-cds",
            }
    return body


def pathology_report(patient_id: str, observations: list[dict[str, Any]]) -> dict[str, Any]:
    """A DiagnosticReport being signed, its results contained in it."""
    contained = []
    for index, observation in enumerate(observations):
        copy = {**observation, "id": f"r{index}"}
        copy.pop("subject", None)
        contained.append(copy)
    return {
        "resourceType": "DiagnosticReport",
        "id": f"{patient_id}-path",
        "status": "final",
        "code": {
            "coding": [
                {
                    "system": "http://loinc.org",
                    "code": "60567-5",
                    "display": "Comprehensive pathology report panel",
                }
            ]
        },
        "subject": {"reference": f"Patient/{patient_id}"},
        "contained": contained,
        "result": [{"reference": f"#{c['id']}"} for c in contained],
    }


def accepted_feedback(card: dict[str, Any]) -> dict[str, Any]:
    """A feedback request body: `card` (as the service returned it) accepted, with its first
    suggestion."""
    return {
        "feedback": [
            {
                "card": card["uuid"],
                "outcome": "accepted",
                "acceptedSuggestions": [{"id": card["suggestions"][0]["uuid"]}],
                "outcomeTimestamp": "2026-11-21T10:00:00Z",
            }
        ]
    }
