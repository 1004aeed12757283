"""Uploading the demo patients to any FHIR R4 server: one transaction Bundle per patient, or
the same PUTs one by one where the server has no transaction endpoint."""

from __future__ import annotations

from dataclasses import dataclass

import requests

from cds_service.sandbox.patients import DemoPatient, Resource, SandboxError, transaction_bundle

FHIR_JSON = "application/fhir+json"
HEADERS = {"Content-Type": FHIR_JSON, "Accept": FHIR_JSON}
TIMEOUT_S = 60.0
# "This server has no transaction endpoint", as opposed to "your data is wrong".
_NO_TRANSACTION = frozenset({404, 405, 501})


@dataclass(frozen=True)
class UploadResult:
    patient: str
    resources: int
    method: str  # "transaction" or "put"


def _excerpt(response: requests.Response) -> str:
    return response.text[:300].replace("\n", " ")


def supports_transaction(base_url: str, session: requests.Session) -> bool:
    response = session.get(f"{base_url}/metadata", headers=HEADERS, timeout=TIMEOUT_S)
    if response.status_code != 200:
        raise SandboxError(f"GET {base_url}/metadata answered HTTP {response.status_code}")
    try:
        statement = response.json()
    except ValueError:
        raise SandboxError(f"GET {base_url}/metadata did not answer JSON") from None
    return any(
        interaction.get("code") == "transaction"
        for rest in statement.get("rest") or []
        for interaction in rest.get("interaction") or []
    )


def _put_each(base_url: str, transaction: Resource, session: requests.Session) -> None:
    for entry in transaction["entry"]:
        url = entry["request"]["url"]
        response = session.put(
            f"{base_url}/{url}", json=entry["resource"], headers=HEADERS, timeout=TIMEOUT_S
        )
        if response.status_code not in (200, 201):
            raise SandboxError(
                f"PUT {url} answered HTTP {response.status_code}: {_excerpt(response)}"
            )


def _post_transaction(base_url: str, transaction: Resource, session: requests.Session) -> bool:
    """True when the server took the transaction; False when it has no such endpoint."""
    response = session.post(base_url, json=transaction, headers=HEADERS, timeout=TIMEOUT_S)
    if response.status_code in _NO_TRANSACTION:
        return False
    if response.status_code != 200:
        raise SandboxError(
            f"transaction answered HTTP {response.status_code}: {_excerpt(response)}"
        )
    entries = response.json().get("entry") or []
    statuses = [str(e.get("response", {}).get("status", "")) for e in entries]
    failed = [s for s in statuses if not s.startswith(("200", "201"))]
    if failed or len(statuses) != len(transaction["entry"]):
        raise SandboxError(f"transaction entries not stored: {failed or statuses}")
    return True


def upload_patients(
    base_url: str, patients: list[DemoPatient], session: requests.Session | None = None
) -> list[UploadResult]:
    """Write every patient's resources with their own ids; running it twice changes nothing but
    the servers' version ids."""
    base_url = base_url.rstrip("/")
    http = session or requests.Session()
    use_transaction = supports_transaction(base_url, http)
    results = []
    for patient in patients:
        transaction = transaction_bundle(patient.bundle)
        if use_transaction and _post_transaction(base_url, transaction, http):
            method = "transaction"
        else:
            _put_each(base_url, transaction, http)
            method = "put"
        results.append(UploadResult(patient.patient_id, len(transaction["entry"]), method))
    return results
