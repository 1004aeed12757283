"""Turn a JSON payload (a Bundle of any type, or a bare array of resources) into a flat list.

cds-api.md: `pannet-cds score` reads "a FHIR R4 Bundle (any type) or a single resource list";
the pathology hook carries a DiagnosticReport whose results may be contained resources and a
`results` Bundle. Only the shape is checked here; resources are validated where they are used.
"""

from __future__ import annotations

from typing import Any

from fhir_mappers.errors import FhirInputError

# A Bundle nested deeper than this is treated as hostile input rather than a record.
_MAX_BUNDLE_DEPTH = 8


def resources_from_payload(obj: object) -> list[dict[str, Any]]:
    """Every resource in `obj`, Bundles unpacked (recursively), contained resources appended
    after their container. The dicts are the caller's own objects (not copies)."""
    out: list[dict[str, Any]] = []
    if isinstance(obj, list):
        for i, item in enumerate(obj):
            _add_resource(item, f"item [{i}]", out, depth=0)
    elif isinstance(obj, dict):
        _add_resource(obj, "payload", out, depth=0)
    else:
        raise FhirInputError(
            f"payload must be a JSON object (Bundle or resource) or an array of resources, "
            f"got {_json_type(obj)}"
        )
    return out


def contained_of(resource: dict[str, Any], where: str) -> list[dict[str, Any]]:
    """The contained resources of `resource` (shape-checked)."""
    contained = resource.get("contained")
    if contained is None:
        return []
    if not isinstance(contained, list):
        raise FhirInputError(f"{where}: contained must be an array, got {_json_type(contained)}")
    for i, item in enumerate(contained):
        if not isinstance(item, dict) or not isinstance(item.get("resourceType"), str):
            raise FhirInputError(f"{where}: contained[{i}] is not a resource object")
    return contained


def _add_resource(item: object, where: str, out: list[dict[str, Any]], depth: int) -> None:
    if not isinstance(item, dict):
        raise FhirInputError(f"{where} is not a JSON object (got {_json_type(item)})")
    rtype = item.get("resourceType")
    if rtype is None:
        raise FhirInputError(f"{where} has no resourceType")
    if not isinstance(rtype, str) or not rtype:
        raise FhirInputError(f"{where}: resourceType must be a non-empty string")
    label = _label(item)
    if rtype == "Bundle":
        _add_bundle(item, label, out, depth)
        return
    out.append(item)
    out.extend(contained_of(item, label))


def _add_bundle(bundle: dict[str, Any], label: str, out: list[dict[str, Any]], depth: int) -> None:
    if depth >= _MAX_BUNDLE_DEPTH:
        raise FhirInputError(f"{label}: Bundles nested more than {_MAX_BUNDLE_DEPTH} deep")
    entries = bundle.get("entry", [])
    if entries is None:
        return
    if not isinstance(entries, list):
        raise FhirInputError(f"{label}: entry must be an array, got {_json_type(entries)}")
    for i, entry in enumerate(entries):
        where = f"{label} entry[{i}]"
        if not isinstance(entry, dict):
            raise FhirInputError(f"{where} is not a JSON object")
        resource = entry.get("resource")
        if resource is None and _may_lack_resource(entry):
            continue
        if not isinstance(resource, dict):
            raise FhirInputError(f"{where} has no resource object")
        _add_resource(resource, f"{where} resource", out, depth + 1)


def _may_lack_resource(entry: dict[str, Any]) -> bool:
    # batch/transaction responses and DELETE requests legitimately carry no resource
    request = entry.get("request")
    is_delete = isinstance(request, dict) and request.get("method") == "DELETE"
    return "response" in entry or is_delete


def _label(resource: dict[str, Any]) -> str:
    rid = resource.get("id")
    rtype = resource.get("resourceType")
    return f"{rtype}/{rid}" if isinstance(rid, str) and rid else f"{rtype} (no id)"


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__
