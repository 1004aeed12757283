"""Turn a JSON payload (a Bundle of any type, or a bare array of resources) into a flat list.

cds-api.md: `pannet-cds score` reads "a FHIR R4 Bundle (any type) or a single resource list";
the pathology hook carries a DiagnosticReport whose results may be contained resources and a
`results` Bundle. Only the shape is checked here; resources are validated where they are used.

What is refused whole (FhirInputError): a payload that is not a JSON object or array, a top-level
object without a resourceType, a top-level Bundle whose `entry` is not an array, Bundles nested
more than 8 deep (hostile). Everything inside that is not a
resource (an array item or Bundle entry that is not a resource object, `contained` that is not an
array of resources) costs only itself: it is kept in the list as an `Unreadable` marker, which
`RecordIndex` reports as a warning naming where it was (issue 9: one bad resource costs only
itself). The Bundle `fullUrl` of each resource is kept (`ResourceList.full_urls`) so references
by `urn:uuid:` (Synthea, transaction Bundles) can be resolved and tied to the Patient.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fhir_mappers.errors import FhirInputError
from fhir_mappers.quoting import quoted

# A Bundle nested deeper than this is treated as hostile input rather than a record.
_MAX_BUNDLE_DEPTH = 8


@dataclass(frozen=True)
class Unreadable:
    """An item of the payload that is not a resource: reported, never used."""

    where: str
    why: str

    @property
    def warning(self) -> str:
        return f"{self.where}: {self.why}; not used"


class ResourceList(list[Any]):
    """The resources of a payload (dicts, and `Unreadable` markers), with the Bundle `fullUrl`
    of each resource that had one (keyed by `id()` of the resource dict)."""

    def __init__(self) -> None:
        super().__init__()
        self.full_urls: dict[int, str] = {}


def resources_from_payload(obj: object) -> ResourceList:
    """Every resource in `obj`, Bundles unpacked (recursively), contained resources appended
    after their container. The dicts are the caller's own objects (not copies)."""
    out = ResourceList()
    if isinstance(obj, list):
        for i, item in enumerate(obj):
            _add_resource(item, f"item [{i}]", out, depth=0)
    elif isinstance(obj, dict):
        _check_top_level(obj)
        _add_resource(obj, "payload", out, depth=0)
    else:
        raise FhirInputError(
            f"payload must be a JSON object (Bundle or resource) or an array of resources, "
            f"got {_json_type(obj)}"
        )
    return out


def _check_top_level(obj: dict[str, Any]) -> None:
    """The shapes that leave nothing to read: refused whole, naming what is wrong."""
    rtype = obj.get("resourceType")
    if rtype is None:
        raise FhirInputError("payload has no resourceType (expected a Bundle or a resource)")
    if not isinstance(rtype, str) or not rtype:
        raise FhirInputError("payload: resourceType must be a non-empty string")
    entries = obj.get("entry")
    if rtype == "Bundle" and entries is not None and not isinstance(entries, list):
        raise FhirInputError(f"{_label(obj)}: entry must be an array, got {_json_type(entries)}")


def contained_of(resource: dict[str, Any]) -> list[dict[str, Any]]:
    """The contained resources of `resource`; what there is not a resource is left for
    `RecordIndex` to report under its container."""
    contained = resource.get("contained")
    if not isinstance(contained, list):
        return []
    return [c for c in contained if isinstance(c, dict) and isinstance(c.get("resourceType"), str)]


def _add_resource(
    item: object, where: str, out: ResourceList, depth: int, full_url: object = None
) -> None:
    if not isinstance(item, dict):
        out.append(Unreadable(where, f"not a JSON object (got {_json_type(item)})"))
        return
    rtype = item.get("resourceType")
    if rtype is None:
        out.append(Unreadable(where, "no resourceType"))
        return
    if not isinstance(rtype, str) or not rtype:
        out.append(Unreadable(where, "resourceType is not a non-empty string"))
        return
    if rtype == "Bundle":
        _add_bundle(item, _label(item), out, depth)
        return
    _add_plain(item, out, full_url)


def _add_plain(item: dict[str, Any], out: ResourceList, full_url: object) -> None:
    """A resource that is not a Bundle: itself, its fullUrl, then its contained resources."""
    out.append(item)
    if isinstance(full_url, str) and full_url:
        out.full_urls[id(item)] = full_url
    out.extend(contained_of(item))


def _add_bundle(bundle: dict[str, Any], label: str, out: ResourceList, depth: int) -> None:
    if depth >= _MAX_BUNDLE_DEPTH:
        raise FhirInputError(f"{label}: Bundles nested more than {_MAX_BUNDLE_DEPTH} deep")
    entries = bundle.get("entry", [])
    if entries is None:
        return
    if not isinstance(entries, list):
        out.append(Unreadable(f"{label} entry", f"not an array ({_json_type(entries)})"))
        return
    for i, entry in enumerate(entries):
        # The entry's place ("<Bundle> entry[i]") is written only for an `Unreadable` marker:
        # formatting it for every entry was more than half of the unpacking.
        if not isinstance(entry, dict):
            out.append(Unreadable(f"{label} entry[{i}]", "not a JSON object"))
            continue
        resource = entry.get("resource")
        if resource is None and _may_lack_resource(entry):
            continue
        if not isinstance(resource, dict):
            out.append(Unreadable(f"{label} entry[{i}]", "has no resource object"))
            continue
        rtype = resource.get("resourceType")
        if isinstance(rtype, str) and rtype and rtype != "Bundle":
            # What `_add_resource` does with a resource that is not a Bundle (nothing it
            # could report), without its place.
            _add_plain(resource, out, entry.get("fullUrl"))
        else:
            where = f"{label} entry[{i}] resource"
            _add_resource(resource, where, out, depth + 1, entry.get("fullUrl"))


def _may_lack_resource(entry: dict[str, Any]) -> bool:
    # batch/transaction responses and DELETE requests legitimately carry no resource
    request = entry.get("request")
    is_delete = isinstance(request, dict) and request.get("method") == "DELETE"
    return "response" in entry or is_delete


def _label(resource: dict[str, Any]) -> str:
    rid = resource.get("id")
    rtype = resource.get("resourceType")
    if isinstance(rid, str) and rid:
        return f"{quoted(str(rtype), 64)}/{quoted(rid, 64)}"
    return f"{quoted(str(rtype), 64)} (no id)"


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
