"""Placing the suggested draft ServiceRequests on the EHR's FHIR server with the user's token
(FHIR R4 create, https://hl7.org/fhir/R4/http.html#create), and reporting what was created or
what the server said, order by order."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import requests
from pydantic import BaseModel, ConfigDict

FHIR_JSON = "application/fhir+json"
PLACE_TIMEOUT_S = 15.0


class PlacedOrder(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str
    reference: str | None = None
    error: str | None = None


def orderable(drafts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ServiceRequests of one alternative: what the app's scopes allow it to create (the
    card's optional CarePlan is left to the EHR)."""
    return [d for d in drafts if d.get("resourceType") == "ServiceRequest"]


def digest(drafts: list[dict[str, Any]]) -> str:
    return hashlib.sha256(json.dumps(drafts, sort_keys=True).encode()).hexdigest()


def order_title(draft: dict[str, Any]) -> str:
    code = draft.get("code", {})
    return code.get("text") or next(
        (c.get("display") for c in code.get("coding", []) if c.get("display")), "order"
    )


def _location_ref(response: requests.Response, kind: str) -> str | None:
    location = response.headers.get("Location") or response.headers.get("Content-Location")
    if location:
        parts = location.split("/_history")[0].rstrip("/").split("/")
        if len(parts) >= 2 and parts[-2] == kind:
            return f"{kind}/{parts[-1]}"
    try:
        body = response.json()
    except ValueError:
        return None
    if isinstance(body, dict) and body.get("resourceType") == kind and body.get("id"):
        return f"{kind}/{body['id']}"
    return None


def _server_error(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        body = None
    messages = []
    if isinstance(body, dict) and body.get("resourceType") == "OperationOutcome":
        for issue in body.get("issue", [])[:5]:
            if isinstance(issue, dict):
                text = issue.get("diagnostics") or (issue.get("details") or {}).get("text")
                messages.append(f"{issue.get('severity', 'error')}: {text or issue.get('code')}")
    detail = "; ".join(messages)[:500]
    return f"HTTP {response.status_code}" + (f": {detail}" if detail else "")


def place_orders(
    base_url: str, token: str, drafts: list[dict[str, Any]], http: requests.Session
) -> list[PlacedOrder]:
    """POST each draft in turn; a failure is reported and the rest are still tried, since each
    order stands on its own."""
    results = []
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": FHIR_JSON,
        "Accept": FHIR_JSON,
        "Prefer": "return=representation",
    }
    for draft in drafts:
        kind = draft["resourceType"]
        title = order_title(draft)
        try:
            response = http.post(
                f"{base_url.rstrip('/')}/{kind}",
                data=json.dumps(draft),
                headers=headers,
                timeout=PLACE_TIMEOUT_S,
                allow_redirects=False,
            )
        except requests.RequestException:
            results.append(PlacedOrder(title=title, error="the FHIR server did not answer"))
            continue
        if response.status_code in (200, 201):
            ref = _location_ref(response, kind)
            results.append(PlacedOrder(title=title, reference=ref))
        else:
            results.append(PlacedOrder(title=title, error=_server_error(response)))
    return results
