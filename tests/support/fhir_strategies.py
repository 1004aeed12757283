"""Hypothesis strategies for FHIR-ish input: the shared cases' resources and Bundles, valid and
broken in the ways real feeds break (elements dropped, wrong JSON types, huge numbers, NaN and
infinities, odd unicode including lone surrogates, deep nesting, truncated JSON text).

    resources()        a list of resources: a case's, mutated
    payloads()         a Bundle (any type), a bare array, or junk
    payload_texts()    the same as JSON text, sometimes truncated or not UTF-8
"""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import strategies as st

from tests.support.cds_calls import CASES

CASE_NAMES = sorted(p.name.removesuffix(".bundle.json") for p in CASES.glob("*.bundle.json"))


def case_bundle(name: str) -> dict[str, Any]:
    return json.loads((CASES / f"{name}.bundle.json").read_text())


_CASE_BUNDLES = {name: case_bundle(name) for name in CASE_NAMES}

# Unicode with everything the JSON decoder lets through: controls, RTL marks, astral planes
# and lone surrogates (valid JSON escapes, not encodable as UTF-8).
odd_text = st.one_of(
    st.text(max_size=40),
    st.text(st.characters(codec=None, categories=None), max_size=20),
    st.sampled_from(["", " ", "\u202e", "\ud800", "\udfff", "\x00", "💥" * 50, "a" * 5000]),
)
numbers = st.one_of(
    st.integers(),
    st.integers(min_value=10**18, max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, 1e308, -1e308, 5e-324, float("nan"), float("inf"), 2**63, -(2**63)]),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, odd_text)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(odd_text, inner, max_size=4)
    ),
    max_leaves=12,
)


def deep(depth: int, leaf: Any = None) -> Any:
    value = leaf
    for index in range(depth):
        value = [value] if index % 2 else {"a": value}
    return value


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out += _paths(value, (*prefix, index))
    return out


def _set(node: Any, path: tuple, value: Any, *, delete: bool = False) -> Any:
    if not path:
        return value
    parent = node
    for part in path[:-1]:
        parent = parent[part]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return node


@st.composite
def mutated(draw: st.DrawFn, document: Any, max_mutations: int = 4) -> Any:
    """`document` with a few elements replaced, deleted or made huge/deep/odd."""
    doc = copy.deepcopy(document)
    for _ in range(draw(st.integers(0, max_mutations))):
        paths = _paths(doc)
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["replace", "delete", "deep", "number", "text", "type"]))
        if action == "delete" and path:
            doc = _set(doc, path, None, delete=True)
        elif action == "deep":
            doc = _set(doc, path, deep(draw(st.integers(5, 60))))
        elif action == "number":
            doc = _set(doc, path, draw(numbers))
        elif action == "text":
            doc = _set(doc, path, draw(odd_text))
        elif action == "type":
            doc = _set(doc, path, draw(st.sampled_from([[], {}, None, True, 0, "x"])))
        else:
            doc = _set(doc, path, draw(json_values))
    return doc


@st.composite
def resources(draw: st.DrawFn) -> list[Any]:
    bundle = _CASE_BUNDLES[draw(st.sampled_from(CASE_NAMES))]
    items = [entry["resource"] for entry in bundle["entry"]]
    return draw(mutated(items))


@st.composite
def payloads(draw: st.DrawFn) -> Any:
    """What `pannet-cds score` may be given."""
    kind = draw(st.sampled_from(["bundle", "array", "nested", "junk", "deep"]))
    if kind == "junk":
        return draw(json_values)
    if kind == "deep":
        return {"resourceType": "Bundle", "entry": [{"resource": deep(draw(st.integers(50, 400)))}]}
    items = draw(resources())
    if kind == "array":
        return items
    bundle_type = draw(st.sampled_from(["collection", "searchset", "transaction", "document"]))
    bundle = {"resourceType": "Bundle", "type": bundle_type, "entry": []}
    bundle["entry"] = [{"resource": item} for item in items] if isinstance(items, list) else items
    if kind == "nested":
        bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": bundle}]}
    return bundle


def to_text(payload: Any) -> str:
    # allow_nan: Python writes NaN/Infinity, which other JSON producers do too.
    return json.dumps(payload, allow_nan=True)


@st.composite
def payload_texts(draw: st.DrawFn) -> bytes:
    raw = to_text(draw(payloads())).encode("utf-8", "surrogatepass")
    cut = draw(st.sampled_from(["whole", "whole", "truncated", "latin1", "bom"]))
    if cut == "truncated" and raw:
        return raw[: draw(st.integers(0, len(raw) - 1))]
    if cut == "latin1":
        return raw + b"\xff\xfe"
    if cut == "bom":
        return b"\xef\xbb\xbf" + raw
    return raw
