"""Load test Bundles into a FHIR server with plain FHIR REST, so the same tests run against
sekmet-fhir or any other R4 server (HAPI via PANNET_CDS_TEST_FHIR_URL).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import requests

FHIR_JSON = "application/fhir+json"
HEADERS = {"Content-Type": FHIR_JSON, "Accept": FHIR_JSON}
TIMEOUT_S = 30.0
# answers meaning "this server has no transaction endpoint", as opposed to "your data is wrong"
_NO_TRANSACTION_STATUSES = frozenset({404, 405, 501})


class FhirLoadError(RuntimeError):
    """A resource could not be written to or read back from the test FHIR server."""


def _walk_references(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if isinstance(node.get("reference"), str):
            yield node
        for value in node.values():
            yield from _walk_references(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk_references(item)


def _resources(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    if bundle.get("resourceType") != "Bundle":
        raise FhirLoadError(f"expected a Bundle, got {bundle.get('resourceType')!r}")
    resources = []
    for index, entry in enumerate(bundle.get("entry") or []):
        resource = entry.get("resource")
        if not isinstance(resource, dict) or not resource.get("resourceType"):
            raise FhirLoadError(f"Bundle.entry[{index}] has no resource")
        if not resource.get("id"):
            # an idempotent PUT needs the id; inventing one would break references to it
            raise FhirLoadError(
                f"Bundle.entry[{index}] ({resource['resourceType']}) has no id to PUT"
            )
        resources.append(copy.deepcopy(resource))
    # entries may point at each other by fullUrl; a server only knows Type/id
    by_full_url = {
        entry["fullUrl"]: f"{res['resourceType']}/{res['id']}"
        for entry, res in zip(bundle.get("entry") or [], resources, strict=True)
        if entry.get("fullUrl")
    }
    for resource in resources:
        for ref in _walk_references(resource):
            ref["reference"] = by_full_url.get(ref["reference"], ref["reference"])
    return resources


def to_transaction(bundle: dict[str, Any]) -> dict[str, Any]:
    """A collection (or any) Bundle as a transaction of idempotent PUTs to Type/id."""
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "resource": resource,
                "request": {
                    "method": "PUT",
                    "url": f"{resource['resourceType']}/{resource['id']}",
                },
            }
            for resource in _resources(bundle)
        ],
    }


def supports_transaction(base_url: str, session: requests.Session) -> bool:
    response = session.get(f"{base_url}/metadata", headers=HEADERS, timeout=TIMEOUT_S)
    if response.status_code != 200:
        raise FhirLoadError(f"GET {base_url}/metadata answered {response.status_code}")
    for rest in response.json().get("rest") or []:
        if any(i.get("code") == "transaction" for i in rest.get("interaction") or []):
            return True
    return False


def _put_each(base_url: str, transaction: dict[str, Any], session: requests.Session) -> None:
    for entry in transaction["entry"]:
        url = entry["request"]["url"]
        response = session.put(
            f"{base_url}/{url}", json=entry["resource"], headers=HEADERS, timeout=TIMEOUT_S
        )
        if response.status_code not in (200, 201):
            raise FhirLoadError(f"PUT {url} answered {response.status_code}: {response.text[:500]}")


def load_bundle(
    base_url: str, bundle: dict[str, Any], *, session: requests.Session | None = None
) -> list[str]:
    """Write every resource of `bundle` with its own id; returns the Type/id references written.

    Idempotent: loading the same Bundle twice leaves one version-bumped copy of each resource.
    """
    base_url = base_url.rstrip("/")
    http = session or requests.Session()
    transaction = to_transaction(bundle)
    refs = [e["request"]["url"] for e in transaction["entry"]]
    if not refs:
        return refs
    if supports_transaction(base_url, http):
        response = http.post(base_url, json=transaction, headers=HEADERS, timeout=TIMEOUT_S)
        if response.status_code == 200:
            statuses = [e.get("response", {}).get("status", "") for e in response.json()["entry"]]
            failed = [
                f"{r} -> {s}"
                for r, s in zip(refs, statuses, strict=False)
                if not s.startswith(("200", "201"))
            ]
            if failed or len(statuses) != len(refs):
                raise FhirLoadError(f"transaction entries failed: {failed or statuses}")
            return refs
        if response.status_code not in _NO_TRANSACTION_STATUSES:
            raise FhirLoadError(
                f"transaction answered {response.status_code}: {response.text[:500]}"
            )
    _put_each(base_url, transaction, http)
    return refs


def search_all(
    base_url: str,
    query: str,
    *,
    session: requests.Session | None = None,
    max_pages: int = 100,
    modes: tuple[str, ...] = ("match",),
) -> list[dict[str, Any]]:
    """All `match` resources of a search such as `Observation?patient=p01`, following
    `link[relation=next]` page by page; `modes=("match", "include")` keeps `_include`d ones."""
    http = session or requests.Session()
    url: str | None = f"{base_url.rstrip('/')}/{query}"
    found: list[dict[str, Any]] = []
    for _ in range(max_pages):
        if url is None:
            return found
        response = http.get(url, headers={"Accept": FHIR_JSON}, timeout=TIMEOUT_S)
        if response.status_code != 200:
            raise FhirLoadError(f"GET {url} answered {response.status_code}: {response.text[:500]}")
        page = response.json()
        found += [
            e["resource"]
            for e in page.get("entry") or []
            # servers add OperationOutcome entries (mode "outcome") for ignored parameters
            if e.get("search", {}).get("mode", "match") in modes
        ]
        links = page.get("link") or []
        url = next((lk["url"] for lk in links if lk.get("relation") == "next"), None)
    raise FhirLoadError(f"search {query} still had a next page after {max_pages} pages")
