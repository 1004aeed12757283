"""fhir_mappers.fhir_core_speedups decides exactly as fhir_core's own validators.

Compared two ways: the two functions against the originals on the same input, and whole
resources (valid, and broken in each way these validators check) validated in this process
(models built with the replacements) and in a fresh interpreter that never imports
fhir_mappers (fhir_core as shipped): the same accepted set and the same errors.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from fhir_mappers import fhir_core_speedups as speedups
from fhir_mappers import index  # noqa: F401 - installs them, as the service does

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"


def _outcome(call: Any) -> tuple[str, Any]:
    try:
        result = call()
    except ValidationError as exc:
        return "invalid", [(e["type"], e["loc"], e["msg"]) for e in exc.errors()]
    except (ValueError, TypeError, KeyError, AssertionError) as exc:
        return type(exc).__name__, str(exc)
    return "ok", result if isinstance(result, dict) else None


@pytest.mark.parametrize(
    "type_name",
    ["Observation", "Coding", "CodeableConcept", "Patient", "DiagnosticReport", "Quantity"],
)
def test_the_models_use_the_replacements(type_name: str) -> None:
    assert speedups.installed_in(get_fhir_model_class(type_name))


NULL_CASES = [
    ("Observation", {"status": "final", "code": {}}),
    ("Observation", {"status": "final", "code": {}, "category": [None]}),
    ("Observation", {"category": [{}, None], "note": [None], "identifier": [None]}),
    # a null in a list of primitives lines a value up with its `_field` sibling: allowed
    ("Patient", {"name": [{"given": ["A", None], "_given": [None, {"id": "x"}]}]}),
    ("Patient", {"name": [{"given": [None]}], "_birthDate": {"extension": [None]}}),
    # the Python field name instead of the JSON key
    ("Observation", {"status": "final", "code": {}, "hasMember": [None], "derivedFrom": []}),
    ("Coding", {"system": "x", "code": None}),
    ("CodeableConcept", {"coding": [None, {"code": "a"}, None]}),
    ("DiagnosticReport", {"result": [None], "presentedForm": [None], "extension": [None]}),
    ("Observation", "not a dict"),
]


@pytest.mark.parametrize(("type_name", "data"), NULL_CASES)
def test_null_check_as_the_original(type_name: str, data: Any) -> None:
    cls = get_fhir_model_class(type_name)
    original = speedups.ORIGINAL_REJECT_NULL.__func__
    mine = _outcome(lambda: speedups.reject_null_complex_elements(cls, copy.deepcopy(data)))
    theirs = _outcome(lambda: original(cls, copy.deepcopy(data)))
    assert mine == theirs


AFTER_CASES = [
    ("Observation", {"status": "final", "code": {"text": "x"}}),
    ("Observation", {"code": {"text": "x"}}),  # status required
    ("Observation", {"status": "final", "valueString": "a", "valueInteger": 2}),
    ("Observation", {"status": "final", "effectiveDateTime": "2020", "effectivePeriod": {}}),
    ("MedicationRequest", {"status": "active", "intent": "order", "subject": {}}),  # medication
    ("MedicationRequest", {"intent": "order", "medicationReference": {"reference": "M/1"}}),
    ("Patient", {"deceasedBoolean": True, "deceasedDateTime": "2020"}),
    ("Coding", {"code": "a"}),
    ("Quantity", {"value": 1}),
]


@pytest.mark.parametrize(("type_name", "fields"), AFTER_CASES)
def test_after_checks_as_the_original(type_name: str, fields: dict[str, Any]) -> None:
    cls = get_fhir_model_class(type_name)
    built = cls.model_construct(**fields)  # no validation: the after-checks alone
    mine = _outcome(lambda: speedups.validate_after_model_construction(built) and None)
    theirs = _outcome(lambda: speedups.ORIGINAL_AFTER(built) and None)
    assert mine == theirs


def _corpus() -> list[dict[str, Any]]:
    """Resources from the test data, then each broken in the ways the two validators check."""
    resources: list[dict[str, Any]] = []
    for path in sorted(DATA.glob("*/*.json")):
        data = json.loads(path.read_text())
        if isinstance(data, dict) and data.get("resourceType") == "Bundle":
            resources += [e["resource"] for e in data.get("entry", []) if "resource" in e]
    broken = []
    for resource in resources[:80]:
        rtype = resource["resourceType"]
        for key, value in list(resource.items()):
            if isinstance(value, list) and value and isinstance(value[0], dict):
                broken.append({**resource, key: [*value, None]})  # null complex element
                break
        if "status" in resource:
            broken.append({k: v for k, v in resource.items() if k != "status"})
            broken.append({**resource, "status": None, "_status": {"extension": []}})
        if rtype == "Observation":
            broken.append({**resource, "valueString": "1", "valueBoolean": True})
            code = resource.get("code")
            if isinstance(code, dict) and isinstance(code.get("coding"), list):
                broken.append({**resource, "code": {**code, "coding": [None, *code["coding"]]}})
    return resources + broken


_CHILD = """
import json, sys
from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError
assert "fhir_mappers" not in sys.modules
out = []
for resource in json.load(sys.stdin):
    try:
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        out.append(["ok"])
    except ValidationError as exc:
        out.append(["invalid", [[e["type"], list(e["loc"]), e["msg"]] for e in exc.errors()]])
    except (ValueError, TypeError, KeyError) as exc:
        out.append([type(exc).__name__, str(exc)])
print(json.dumps(out))
"""


def _here(resource: dict[str, Any]) -> list[Any]:
    try:
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        return ["ok"]
    except ValidationError as exc:
        return ["invalid", [[e["type"], list(e["loc"]), e["msg"]] for e in exc.errors()]]
    except (ValueError, TypeError, KeyError) as exc:
        return [type(exc).__name__, str(exc)]


def test_whole_resources_validate_as_with_fhir_core_as_shipped() -> None:
    corpus = _corpus()
    assert len(corpus) > 60
    shipped = subprocess.run(
        [sys.executable, "-c", _CHILD],
        input=json.dumps(corpus),
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    theirs = json.loads(shipped.stdout)
    mine = [_here(resource) for resource in corpus]
    assert mine == theirs
    kinds = {outcome[0] for outcome in mine}
    assert {"ok", "invalid"} <= kinds  # both sides of each check were exercised
