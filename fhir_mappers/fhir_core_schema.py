"""The one-pass schema of a FHIR model class, for `fhir_core_fast` (which says why and how):
the class's own core schema with each element's wrap validator replaced by the element's
model schema for an object, and the model validators that cannot fail there left out."""

from __future__ import annotations

import sys
from typing import Any

from fhir_core.fhirabstractmodel import FHIRAbstractModel
from fhir_core.types import FhirBase, FhirElementOrResourceBase
from pydantic_core import core_schema

from fhir_mappers.fhir_core_dates import fast_temporal
from fhir_mappers.fhir_core_speedups import (
    ORIGINAL_AFTER,
    ORIGINAL_REJECT_NULL,
    _after_facts,
    _complex_lists,
    reject_null_complex_elements,
    validate_after_model_construction,
)

_FHIR_INIT = FHIRAbstractModel.__init__
_FHIR_MODEL_VALIDATOR = FhirBase.__dict__["fhir_model_validator"].__func__
_UNBUILT: Any = object()
_GET_MODEL_KLASS = FhirBase.__dict__["get_model_klass"].__func__
_WRAP_QUALNAME = "FhirBase.__get_pydantic_core_schema__.<locals>._validate"


class Unsupported(Exception):
    """A schema this module does not know how to rewrite: the class stays as shipped."""


def _element_model(node: dict[str, Any], missing: set[str]) -> Any:
    """The model class a FhirBase wrap validator validates with, if `node` is one whose
    behaviour for a dict is exactly "validate the dict with that model"; `_UNBUILT` if that
    model is not built yet (added to `missing`); None if `node` is no such wrap validator."""
    if node.get("type") != "function-wrap":
        return None
    function = node["function"].get("function")
    if getattr(function, "__qualname__", None) != _WRAP_QUALNAME:
        return None
    cells = dict(zip(function.__code__.co_freevars, function.__closure__ or (), strict=True))
    source_type = cells["source_type"].cell_contents
    base = cells["cls"].cell_contents
    if issubclass(base, FhirElementOrResourceBase):
        return None  # contained resources: dispatched on resourceType, kept as shipped
    if base.__dict__.get("fhir_model_validator") is not None or not issubclass(base, FhirBase):
        raise Unsupported(base)
    if getattr(base.fhir_model_validator, "__func__", None) is not _FHIR_MODEL_VALIDATOR:
        raise Unsupported(base)
    if getattr(source_type.get_model_klass, "__func__", None) is not _GET_MODEL_KLASS:
        raise Unsupported(source_type)
    model = built(source_type._model_klass)
    if model is None:
        missing.add(source_type._model_klass)
        return _UNBUILT
    if not plain_fhir_model(model):
        raise Unsupported(model)
    return model


def built(qualified: str) -> type[FHIRAbstractModel] | None:
    """The class `get_model_klass()` would return for `qualified`, if it is imported and
    built (has its validator): else None, and the wrap validator stays, which validates such
    an element as shipped (and imports and builds its model the first time one is met)."""
    module_name, _, name = qualified.rpartition(".")
    module = sys.modules.get(module_name)
    model = getattr(module, name, None) if module is not None else None
    if model is None or not getattr(model, "__pydantic_complete__", False):
        return None
    return model


def plain_fhir_model(model: Any) -> bool:
    """A model whose validation is the shipped FHIRAbstractModel one (no override)."""
    return (
        isinstance(model, type)
        and issubclass(model, FHIRAbstractModel)
        and model.__init__ is _FHIR_INIT
        and model.__resource_type__ is not Ellipsis
        and "resourceType" not in model.__pydantic_fields__
        and "resource_type" not in model.__pydantic_fields__
    )


def _core_schema(model: type[FHIRAbstractModel]) -> dict[str, Any]:
    if not model.__pydantic_complete__:
        raise Unsupported(model)  # only built models are reached (`_built_model`)
    schema = model.__pydantic_core_schema__
    if not isinstance(schema, dict):
        raise Unsupported(model)
    return schema


class Builder:
    """One class's one-pass schema: its own, each element reached as a definition."""

    def __init__(self) -> None:
        self.definitions: dict[type, dict[str, Any]] = {}
        self.missing: set[str] = set()  # elements left to their wrap validator: not built
        # model -> its fields whose list of elements is made to refuse a null item
        self.non_null_lists: dict[type, set[str]] = {}

    def ref(self, model: type[FHIRAbstractModel]) -> str:
        name = f"fast:{model.__module__}.{model.__qualname__}"
        if model not in self.definitions:
            self.definitions[model] = {}  # placeholder: elements nest recursively (Extension)
            schema = self.rewrite(_core_schema(model), model)
            schema["ref"] = name
            self.definitions[model] = schema
        return name

    def rewrite(self, node: Any, model: type[FHIRAbstractModel], field: str | None = None) -> Any:
        """`node` for the one-pass validator; `field`: inside that field of `model`, a list of
        elements the null check (`reject_null_complex_elements`) covers."""
        if isinstance(node, list):
            return [self.rewrite(item, model, field) for item in node]
        if not isinstance(node, dict):
            return node
        kind = node.get("type")
        if kind in ("definitions", "definition-ref"):
            raise Unsupported(model)  # not produced for these models; not handled here
        element = _element_model(node, self.missing)
        if element is _UNBUILT:
            return _own_keys(node)  # as shipped
        if element is not None:
            return self.element(element, nullable=True)
        if kind == "list" and field is not None:
            # a list the null check covers: refuse a null item here (and anything but an
            # object: the check then never fails and is left out, see `without_null_check`)
            self.non_null_lists.setdefault(model, set()).add(field)
            items = node["items_schema"]
            item_model = _element_model(items, self.missing)
            if item_model is not None and item_model is not _UNBUILT:
                checked = self.element(item_model, nullable=False)
            else:  # a model not built yet, a contained resource: as shipped, for an object
                checked = core_schema.chain_schema(
                    [core_schema.is_instance_schema(dict), self.rewrite(items, model)]
                )
            return {**_own_keys(node), "items_schema": checked}
        if kind == "function-after" and _no_after_checks(node, model):
            return self.rewrite(node["schema"], model)
        if kind == "function-before" and _is_null_check(node, model):
            return self.without_null_check(node, model)
        if kind == "function-wrap":
            fast = fast_temporal(node)
            if fast is not None:
                return fast
        out = {}
        for key, value in node.items():
            if key in ("serialization", "metadata", "ref"):
                continue  # validation only; the definition gets its own ref
            if kind == "model-fields" and key == "fields":
                lists = {name for _, name in _complex_lists(model)}
                value = {
                    name: _one_lookup(
                        name, self.rewrite(schema, model, name if name in lists else None)
                    )
                    for name, schema in value.items()
                }
                out[key] = value
                continue
            out[key] = self.rewrite(value, model, field)
        if kind == "model":
            config = out.get("config") or {}
            if out.get("cls") is not model or out.get("root_model"):
                raise Unsupported(model)
            if config.get("extra_fields_behavior") != "forbid":
                raise Unsupported(model)  # the resourceType refusal above relies on it
            out["custom_init"] = False  # its __init__: see `model_validate`
        return out

    def element(self, model: type[FHIRAbstractModel], *, nullable: bool) -> dict[str, Any]:
        """For a dict: the element's model (no custom __init__, which would only pop and check
        a resourceType key: such a dict is refused here as an extra key and goes the shipped
        way). For null: null, as the wrap validator returns it, except in a list the null check
        covers (it would refuse it)."""
        schema = core_schema.chain_schema(
            [
                core_schema.is_instance_schema(dict),  # as `fhir_model_validator`'s test
                core_schema.definition_reference_schema(self.ref(model)),
            ]
        )
        return core_schema.nullable_schema(schema) if nullable else schema

    def without_null_check(self, node: dict[str, Any], model: type[FHIRAbstractModel]) -> Any:
        """The null check refuses a null in a list of complex elements. When every such list
        of `model` refuses a null item here already, the check can never fail: left out."""
        inner = self.rewrite(node["schema"], model)
        covered = self.non_null_lists.get(model, set())
        if covered == {name for _, name in _complex_lists(model)}:
            return inner
        return {**_own_keys(node), "schema": inner}


def _one_lookup(name: str, field: dict[str, Any]) -> dict[str, Any]:
    """`field` (a model field named `name`) without its validation alias when that is `name`
    itself: pydantic-core then looks the key up once (a field without an alias is read by its
    name), not by alias and again by name, the same key. Most fields of a resource are absent,
    and each absent one cost both lookups (~8 % of validating a resource). The same key is
    read, the same error location given (the alias is the name)."""
    if field.get("type") == "model-field" and field.get("validation_alias") == name:
        return {k: v for k, v in field.items() if k != "validation_alias"}
    return field


def _own_keys(node: dict[str, Any]) -> dict[str, Any]:
    """`node`'s own settings, for a validator (no serialisation, metadata or ref)."""
    return {k: v for k, v in node.items() if k not in ("serialization", "metadata", "ref")}


def _no_after_checks(node: dict[str, Any], model: type[FHIRAbstractModel]) -> bool:
    """`node` is the after-validator of `model`, which has nothing to check: no required
    primitive element, no choice element (then it only returns the model)."""
    function = node["function"].get("function")
    if function not in (validate_after_model_construction, ORIGINAL_AFTER):
        return False
    return _after_facts(model.model_construct()) == ((), ())


def _is_null_check(node: dict[str, Any], model: type[FHIRAbstractModel]) -> bool:
    function = node["function"].get("function")
    return getattr(function, "__self__", None) is model and getattr(function, "__func__", None) in (
        reject_null_complex_elements,
        ORIGINAL_REJECT_NULL.__func__,
    )
