"""The one-pass schema (fhir_mappers.fhir_core_schema) reads each field by the same key as the
shipped schema: a validation alias is left out only where it is the field's own name, and
inputs that name a field by its alias or by its Python name decide as shipped."""

from __future__ import annotations

from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from fhir_mappers import (
    fhir_core_fast,
    index,  # noqa: F401 - installs the speedups, as the service does
)
from fhir_mappers.fhir_core_schema import Builder
from tests.test_fhir_core_fast import _outcome

_MODELS = ("Observation", "Patient", "Condition", "Procedure", "DiagnosticReport")


def _model_fields(node: Any, out: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        if node.get("type") == "model-fields":
            out.append(node["fields"])
        for value in node.values():
            _model_fields(value, out)
    elif isinstance(node, list):
        for value in node:
            _model_fields(value, out)
    return out


@pytest.mark.parametrize("name", _MODELS)
def test_an_alias_is_left_out_only_where_it_is_the_name(name: str) -> None:
    model = get_fhir_model_class(name)
    builder = Builder()
    builder.ref(model)
    shipped = _model_fields(model.__pydantic_core_schema__, [])[0]
    mine = _model_fields(builder.definitions[model], [])[0]
    assert list(mine) == list(shipped)
    dropped = 0
    for field, original in shipped.items():
        alias = original.get("validation_alias")
        if alias == field:
            assert "validation_alias" not in mine[field]
            dropped += 1
        else:
            assert mine[field].get("validation_alias") == alias
    assert dropped > 10  # not vacuous
    assert any(f.get("validation_alias") for f in mine.values())  # the `_x` ones stay


_OBSERVATION = {"status": "final", "code": {"text": "x"}}
_EXTENSION = {"extension": [{"url": "u", "valueCode": "a"}]}


@pytest.mark.parametrize(
    "raw",
    [
        _OBSERVATION,
        {**_OBSERVATION, "_status": _EXTENSION},
        {**_OBSERVATION, "status__ext": _EXTENSION},
        {"code": {"text": "x"}, "_status": _EXTENSION},
        {"code": {"text": "x"}, "status__ext": _EXTENSION},
        {**_OBSERVATION, "_status": _EXTENSION, "status__ext": _EXTENSION},
        {**_OBSERVATION, "effectiveDateTime": "2020", "effective_date_time": "2021"},
        {**_OBSERVATION, "implicitRules": "http://x", "_implicitRules": {"id": "a"}},
        {**_OBSERVATION, "id": 5},
        {"status": "final"},
    ],
)
def test_keys_by_alias_or_name_decide_as_shipped(raw: dict[str, Any]) -> None:
    """The one-pass validator itself (not the shipped fallback it hands a refusal to) accepts
    what the shipped path accepts, building the same model, and refuses what it refuses."""
    model = get_fhir_model_class("Observation")
    # the models of its elements built first: where the one-pass validator leaves an element
    # to its wrap validator it refuses any value (`json_dates.with_date_check`)
    for _ in range(fhir_core_fast.BUILD_AT + 1):
        _outcome(lambda: model.model_validate(raw))
    validator = fhir_core_fast.fast_validator(model)
    assert validator is not None
    fhir_core_fast.uninstall()
    try:
        theirs = _outcome(lambda: model.model_validate(raw))
    finally:
        fhir_core_fast.install()
    try:
        mine = validator.validate_python(raw)
    except ValidationError:
        assert theirs[0] != "ok"
    else:
        assert theirs[0] == "ok"
        assert repr(mine.model_dump()) == theirs[2]
        assert sorted(mine.model_fields_set) == theirs[4]
