"""RecordIndex validates a resource without `contained` from the caller's own dict (no copy):
neither the date check nor model_validate may change it. Every test-data record, and variants
with numeric dates, nulls in lists, two value[x] and unknown keys (refused ones), validated
past the one-pass validators' build: each resource dict is as before, key order included."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from fhir_mappers.payload import resources_from_payload
from fhir_mappers.record import inputs_from_resources

DATA = Path(__file__).resolve().parent / "data"


def _records() -> list[list[Any]]:
    records = []
    for path in sorted(DATA.glob("**/*.json")):
        try:
            records.append(list(resources_from_payload(json.loads(path.read_text()))))
        except Exception:  # not a record
            continue
    return [r for r in records if r]


def _variants(resources: list[Any]) -> list[list[Any]]:
    out = [resources]
    for change in ("date", "null", "choice", "extra"):
        changed = copy.deepcopy(resources)
        for raw in changed:
            if not isinstance(raw, dict) or raw.get("resourceType") == "Patient":
                continue
            if change == "date":
                for key in ("effectiveDateTime", "performedDateTime", "issued", "onsetDateTime"):
                    if key in raw:
                        raw[key] = 0
            elif change == "null" and isinstance(raw.get("category"), list):
                raw["category"] = [*raw["category"], None]
            elif change == "choice" and raw.get("resourceType") == "Observation":
                raw["valueString"], raw["valueBoolean"] = "x", True
            elif change == "extra":
                raw["notAnElement"] = {"a": 1}
        out.append(changed)
    return out


def _shape(value: Any) -> Any:
    """`value` with each dict's key order made visible."""
    if isinstance(value, dict):
        return [(k, _shape(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [_shape(v) for v in value]
    return value


def test_no_resource_dict_is_changed() -> None:
    records = _records()
    assert len(records) > 40
    for _ in range(2):  # the second pass past BUILD_AT: one-pass validators built
        for resources in records * 5:
            for variant in _variants(resources):
                before = _shape(variant)
                inputs_from_resources(variant)
                assert _shape(variant) == before
