"""`fhir_mappers.payload` unpacks a payload exactly as its first version did (kept here as the
reference: it wrote every entry's place, which the current one writes only for an
`Unreadable` marker): the same resources, the same objects, markers and fullUrls, the same
refusals, over the test data and hypothesis-made payloads (nested Bundles, entries that are no
object, resources without a resourceType, odd fullUrls, contained resources)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from fhir_mappers.errors import FhirInputError
from fhir_mappers.payload import (
    _MAX_BUNDLE_DEPTH,
    ResourceList,
    Unreadable,
    _check_top_level,
    _json_type,
    _label,
    _may_lack_resource,
    contained_of,
    resources_from_payload,
)

DATA = Path(__file__).resolve().parent / "data"


def reference_resources(obj: object) -> ResourceList:
    out = ResourceList()
    if isinstance(obj, list):
        for i, item in enumerate(obj):
            _reference_add(item, f"item [{i}]", out, depth=0)
    elif isinstance(obj, dict):
        _check_top_level(obj)
        _reference_add(obj, "payload", out, depth=0)
    else:
        raise FhirInputError(
            f"payload must be a JSON object (Bundle or resource) or an array of resources, "
            f"got {_json_type(obj)}"
        )
    return out


def _reference_add(
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
    label = _label(item)
    if rtype == "Bundle":
        _reference_bundle(item, label, out, depth)
        return
    out.append(item)
    if isinstance(full_url, str) and full_url:
        out.full_urls[id(item)] = full_url
    out.extend(contained_of(item))


def _reference_bundle(bundle: dict[str, Any], label: str, out: ResourceList, depth: int) -> None:
    if depth >= _MAX_BUNDLE_DEPTH:
        raise FhirInputError(f"{label}: Bundles nested more than {_MAX_BUNDLE_DEPTH} deep")
    entries = bundle.get("entry", [])
    if entries is None:
        return
    if not isinstance(entries, list):
        out.append(Unreadable(f"{label} entry", f"not an array ({_json_type(entries)})"))
        return
    for i, entry in enumerate(entries):
        where = f"{label} entry[{i}]"
        if not isinstance(entry, dict):
            out.append(Unreadable(where, "not a JSON object"))
            continue
        resource = entry.get("resource")
        if resource is None and _may_lack_resource(entry):
            continue
        if not isinstance(resource, dict):
            out.append(Unreadable(where, "has no resource object"))
            continue
        _reference_add(resource, f"{where} resource", out, depth + 1, entry.get("fullUrl"))


def _outcome(unpack: Any, payload: object) -> Any:
    try:
        out = unpack(payload)
    except FhirInputError as exc:
        return ("refused", str(exc))
    items = [("U", r.where, r.why) if isinstance(r, Unreadable) else ("R", id(r)) for r in out]
    return (type(out), items, out.full_urls)


def _same(payload: object) -> None:
    assert _outcome(resources_from_payload, payload) == _outcome(reference_resources, payload)


def test_the_test_data_unpacks_as_before() -> None:
    for path in sorted(DATA.glob("**/*.json")):
        _same(json.loads(path.read_text()))


_LEAF = st.one_of(st.none(), st.integers(), st.text(max_size=3), st.just([]))
_RTYPES = st.sampled_from(["Observation", "Patient", "Bundle", "", None, 5, "Condition"])


def _resource(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.fixed_dictionaries(
        {"resourceType": _RTYPES},
        optional={
            "id": st.one_of(st.text(max_size=4), st.integers(), st.just("a b\n" * 30)),
            "entry": st.one_of(st.lists(children, max_size=4), _LEAF),
            "contained": st.one_of(
                st.lists(st.one_of(_LEAF, st.fixed_dictionaries({"resourceType": _RTYPES}))),
                _LEAF,
            ),
        },
    )


def _entry(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        _LEAF,
        st.fixed_dictionaries(
            {},
            optional={
                "resource": st.one_of(_resource(children), _LEAF),
                "fullUrl": st.one_of(st.just("urn:uuid:1"), st.just(""), st.integers()),
                "response": st.just({}),
                "request": st.sampled_from([{"method": "DELETE"}, {"method": "GET"}, "x"]),
            },
        ),
    )


_PAYLOADS = st.recursive(
    st.one_of(_LEAF, _resource(_LEAF)),
    lambda children: st.one_of(
        _resource(_entry(children)), st.lists(st.one_of(children, _LEAF), max_size=4)
    ),
    max_leaves=25,
)


@settings(max_examples=500, deadline=None)
@given(payload=_PAYLOADS)
def test_any_payload_unpacks_as_before(payload: object) -> None:
    _same(payload)


def test_a_nested_bundle_too_deep_is_refused_as_before() -> None:
    payload: dict[str, Any] = {"resourceType": "Patient", "id": "p"}
    for depth in range(_MAX_BUNDLE_DEPTH + 2):
        payload = {"resourceType": "Bundle", "id": f"b{depth}", "entry": [{"resource": payload}]}
        _same(payload)
    assert _outcome(resources_from_payload, payload)[0] == "refused"


def test_every_odd_entry_of_a_bundle_unpacks_as_before() -> None:
    resources = [{"resourceType": rtype, "id": "x"} for rtype in ("", None, 5, "Bundle", "Patient")]
    entries: list[Any] = [{"resource": r, "fullUrl": "urn:uuid:a"} for r in resources]
    entries += [None, 3, {}, {"response": {}}, {"request": {"method": "DELETE"}}, {"resource": 1}]
    entries += [{"resource": {"resourceType": "Patient", "contained": [{"resourceType": "X"}, 1]}}]
    for bundle_id in ("b", None, "a  b\t"):
        _same({"resourceType": "Bundle", "id": bundle_id, "entry": entries})
        _same([{"resourceType": "Bundle", "id": bundle_id, "entry": entries}, None])
