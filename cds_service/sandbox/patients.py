"""The demo patients shipped inside the package (`patients/*.json`, FHIR R4 collection Bundles).

p01–p04 are the project's shared synthetic cases; p05 is p02 with a 35 mm tumour and p06 is p03
resected in 2019, so a sandbox shows an undecided tier and overdue surveillance too. Every id is
prefixed `pannet-demo-` so the patients cannot overwrite anyone else's on a shared server.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

Resource = dict[str, Any]


class SandboxError(Exception):
    """A sandbox step failed; the message names the patient, server answer or file."""


@dataclass(frozen=True)
class DemoPatient:
    name: str
    patient_id: str
    bundle: Resource


def demo_patients() -> list[DemoPatient]:
    """All shipped demo patients, ordered by file name."""
    folder = resources.files("cds_service.sandbox").joinpath("patients")
    patients = []
    for item in sorted(folder.iterdir(), key=lambda f: f.name):
        if not item.name.endswith(".json"):
            continue
        bundle = json.loads(item.read_text(encoding="utf-8"))
        patient = next(
            (
                e["resource"]
                for e in bundle.get("entry", [])
                if e.get("resource", {}).get("resourceType") == "Patient"
            ),
            None,
        )
        if patient is None:
            raise SandboxError(f"{item.name}: the Bundle has no Patient")
        patients.append(DemoPatient(item.name.removesuffix(".json"), patient["id"], bundle))
    return patients


def _rewrite_references(node: Any, by_full_url: dict[str, str]) -> None:
    if isinstance(node, dict):
        ref = node.get("reference")
        if isinstance(ref, str) and ref in by_full_url:
            node["reference"] = by_full_url[ref]
        for value in node.values():
            _rewrite_references(value, by_full_url)
    elif isinstance(node, list):
        for value in node:
            _rewrite_references(value, by_full_url)


def transaction_bundle(bundle: Resource) -> Resource:
    """The Bundle as a transaction of PUTs to `Type/id`: loading it again updates in place
    instead of duplicating. References by `fullUrl` become `Type/id`, which any server knows."""
    entries = bundle.get("entry") or []
    copies: list[Resource] = []
    for index, entry in enumerate(entries):
        resource = entry.get("resource")
        if not isinstance(resource, dict) or not resource.get("resourceType"):
            raise SandboxError(f"Bundle.entry[{index}] has no resource")
        if not resource.get("id"):
            raise SandboxError(f"Bundle.entry[{index}] ({resource['resourceType']}) has no id")
        copies.append(json.loads(json.dumps(resource)))
    by_full_url = {
        entry["fullUrl"]: f"{res['resourceType']}/{res['id']}"
        for entry, res in zip(entries, copies, strict=True)
        if entry.get("fullUrl")
    }
    for resource in copies:
        _rewrite_references(resource, by_full_url)
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "resource": r,
                "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"},
            }
            for r in copies
        ],
    }
