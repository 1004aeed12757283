"""FHIR JSON writes every date, dateTime, instant and time as a string
(https://hl7.org/fhir/R4/json.html#primitive). The R4B models would read a JSON number there as a
Unix timestamp (`performedDateTime: 0` became 1970-01-01, and a surveillance schedule counted
from it), so such values are refused before validation, naming the element.

Two ways to know a resource holds none: `non_string_date`'s walk (with a pydantic-core
pre-check that spares it over the resources without), and, as part of validating it,
`fhir_core_fast`'s one-pass validator, whose definitions `with_date_check` makes refuse at least
every value the walk reports: a resource it accepts needs no walk (`RecordIndex._model`)."""

from __future__ import annotations

import datetime as dt
import sys
import types
import typing
from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic_core import SchemaValidator, core_schema

_TEMPORAL = (dt.date, dt.datetime, dt.time)
_MAX_DEPTH = 32


def _unwrap(annotation: Any) -> list[Any]:
    """The concrete types inside Optional/Union/list/Annotated."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType, list, typing.List):  # noqa: UP006
        return [t for arg in typing.get_args(annotation) for t in _unwrap(arg)]
    # fhir.resources names complex elements by proxy types (PeriodType) that load the model
    # when asked; they are kept unresolved so only the elements a resource has are imported.
    return [annotation]


def _bare(annotation: Any) -> Any:
    """`annotation` without Optional[...] / `| None`."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _is_proxy(kind: Any) -> bool:
    return callable(getattr(kind, "get_model_klass", None))


class _Elements:
    """The element models of one field, resolved from their proxy types on first need:
    resolving imports a model module and builds its classes (Patient's fields name 15 types),
    so only the elements a resource has pay for it."""

    __slots__ = ("_kinds", "_models")

    def __init__(self, kinds: tuple[Any, ...]) -> None:
        self._kinds = kinds
        self._models: tuple[Any, ...] | None = None

    def models(self) -> tuple[Any, ...]:
        if self._models is None:
            self._models = tuple(k.get_model_klass() if _is_proxy(k) else k for k in self._kinds)
        return self._models


@cache
def _fields(model: type[BaseModel]) -> tuple[tuple[str, bool, _Elements | None], ...]:
    """(JSON key, is temporal, its element models if it has any) for each field of `model` that
    is a date/time or holds elements (the others, plain strings and numbers, cannot hold a
    date)."""
    out = []
    for name, field in model.model_fields.items():
        kinds = _unwrap(field.annotation)
        temporal = any(
            isinstance(k, type) and not _is_proxy(k) and issubclass(k, _TEMPORAL) for k in kinds
        )
        nested = tuple(
            k for k in kinds if isinstance(k, type) and (_is_proxy(k) or issubclass(k, BaseModel))
        )
        if temporal or nested:
            out.append((field.alias or name, temporal, _Elements(nested) if nested else None))
    return tuple(out)


def non_string_date(model: type[BaseModel], raw: object) -> str | None:
    """The path of the first date/time element of `raw` that is not a JSON string, if any."""
    check = _CHECKS.get(model)
    if check is not None and check.modules == len(sys.modules) and type(raw) is dict:
        # the usual case, as below without its checks: a model with a built check is a
        # BaseModel, and nothing it was built without has been imported since
        if check.validator.isinstance_python(raw):
            return None
        return _walk(model, raw, "", 0)
    if not isinstance(raw, dict):
        return None
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return None
    check = _all_strings_check(model)
    if check is not None and check.isinstance_python(raw):
        return None  # see `_all_strings_check`: the walk below would find none
    return _walk(model, raw, "", 0)


def _walk(model: type[BaseModel], raw: object, path: str, depth: int) -> str | None:
    if not isinstance(raw, dict) or depth > _MAX_DEPTH:
        return None
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return None
    for key, temporal, nested in _fields(model):
        if key not in raw:
            continue
        values = raw[key] if isinstance(raw[key], list) else [raw[key]]
        where = f"{path}{key}"
        for value in values:
            if temporal and value is not None and not isinstance(value, str):
                return where
            if nested is None or not isinstance(value, dict):
                continue  # only an object holds elements
            for element in nested.models():
                found = _walk(element, value, f"{where}.", depth + 1)
                if found:
                    return found
    return None


class _Check:
    """A model's all-strings check, the element models it was built without (not imported
    then, by qualified name) and how many modules were imported then."""

    __slots__ = ("missing", "modules", "validator")

    def __init__(self, validator: SchemaValidator, missing: frozenset[str]) -> None:
        self.validator = validator
        self.missing = missing
        self.modules = len(sys.modules)


# model -> its check, or None: `model` has a field this check is not written for (walk only)
_CHECKS: dict[type, _Check | None] = {}
_SEEN: dict[type, int] = {}  # model -> resources of it walked
_BUILD_AT = 8  # as fhir_core_fast.BUILD_AT: a one-shot process with one record walks them
_UNSET: Any = object()


class NotWritten(Exception):
    """A model or definition this module's checks are not written for."""


def _all_strings_check(model: type[BaseModel]) -> SchemaValidator | None:
    """A pydantic-core validator that accepts `raw` only if the walk would find no date to
    report, built per model from the same `_fields`: for each date/time field of a model (by
    JSON key, other keys ignored), null, a string, or a list of nulls and strings; for each
    field holding elements, null, an object checked against the element's model in the same
    way, or a list of nulls and such objects (only nulls while the element's model is not
    imported: the check imports nothing). It is stricter than the walk (it refuses a number
    where an element is, which the walk skips, and has no depth limit): whenever it refuses,
    the walk runs and decides. It only spares the walk over the valid ones. Built for a
    model's `_BUILD_AT`-th resource (a one-shot process with one record walks them, as
    before), and again when a model it was built without has been imported since."""
    check = _CHECKS.get(model, _UNSET)
    if check is not _UNSET and check is not None and check.modules != len(sys.modules):
        check.modules = len(sys.modules)
        if any(_imported(name) is not None for name in check.missing):
            check = _UNSET
    if check is _UNSET:
        seen = _SEEN[model] = _SEEN.get(model, 0) + 1
        if seen < _BUILD_AT:
            return None  # building costs more than a few walks
        definitions: dict[type, dict[str, Any]] = {}
        missing: set[str] = set()
        try:
            root = _check_ref(model, definitions, missing)
            validator = SchemaValidator(
                core_schema.definitions_schema(
                    core_schema.definition_reference_schema(root), list(definitions.values())
                )
            )
            check = _Check(validator, frozenset(missing))
        except NotWritten:
            check = None
        _CHECKS[model] = check
    return check.validator if check is not None else None


def _imported(qualified: str) -> Any:
    """The class named `qualified` if its module is imported (never imports it)."""
    module_name, _, name = qualified.rpartition(".")
    module = sys.modules.get(module_name)
    return getattr(module, name, None) if module is not None else None


def _element_of(nested: _Elements, missing: set[str]) -> Any:
    """The one element model of a field, `_UNSET` if it is not imported (it is then added to
    `missing`); `NotWritten` if the field has several."""
    if len(nested._kinds) != 1:
        raise NotWritten(nested)
    kind = nested._kinds[0]
    if not _is_proxy(kind):
        return kind
    qualified = getattr(kind, "_model_klass", None)
    found = _imported(qualified) if isinstance(qualified, str) else None
    if found is None:  # `get_model_klass()` would import it; the walk will, if need be
        missing.add(str(qualified))
        return _UNSET
    return found


def _check_ref(model: Any, definitions: dict[type, dict[str, Any]], missing: set[str]) -> str:
    name = f"dates:{model.__module__}.{model.__qualname__}"
    if model in definitions:
        return name
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise NotWritten(model)
    definitions[model] = {}  # placeholder: elements nest recursively (Extension)
    fields: dict[str, Any] = {}
    for key, temporal, nested in _fields(model):
        check = _field_check(model, key, temporal, nested, definitions, missing)
        fields[key] = core_schema.typed_dict_field(check, required=False)
    schema = core_schema.typed_dict_schema(fields, extra_behavior="ignore", total=False)
    schema["ref"] = name
    definitions[model] = schema
    return name


def _field_check(
    model: Any,
    key: str,
    temporal: bool,
    nested: _Elements | None,
    definitions: dict[type, dict[str, Any]],
    missing: set[str],
) -> dict[str, Any]:
    """What one of `_fields(model)` may hold for the walk to find no date in it: null, a
    string (a date/time field) or an object passing its element's check (an element field),
    or a list of such."""
    if temporal and nested is None:
        one = core_schema.nullable_schema(core_schema.str_schema(strict=True))
    elif nested is not None and not temporal:
        element = _element_of(nested, missing)
        if element is _UNSET:
            one = core_schema.none_schema()
        else:
            ref = _check_ref(element, definitions, missing)
            one = core_schema.nullable_schema(core_schema.definition_reference_schema(ref))
    else:
        raise NotWritten(model, key)
    many = core_schema.list_schema(one, strict=True)
    annotation = next(f.annotation for n, f in model.model_fields.items() if (f.alias or n) == key)
    # the form the field has first (the other is tried only when it fails)
    forms = [many, one] if typing.get_origin(_bare(annotation)) is list else [one, many]
    return core_schema.union_schema(forms, mode="left_to_right")


# What an element field the walk may enter but a one-pass definition does not reach in one
# pass (an element not built yet, a contained resource) first takes: null, or an empty list. A
# check that lets more through would have to hand the next schema the value as it was
# (a typed-dict check rebuilds the object, without the keys it ignores).
_NO_ELEMENT = core_schema.nullable_schema(core_schema.list_schema(max_length=0, strict=True))


_AROUND_FIELDS = frozenset({"model", "function-before", "function-after"})
# The model before-validators of fhir_core 1.1.12 / fhir.resources 8 (read there): each only
# checks, and returns its input as it was.
_CHECKS_BEFORE = frozenset(
    {"reject_null_complex_elements", "validate_extension_or_fhir_comment_required"}
)


def with_date_check(definitions: dict[type, dict[str, Any]]) -> list[dict[str, Any]]:
    """`definitions` (model -> its one-pass definition, `fhir_core_schema.Builder`) changed
    so that the validator built from them accepts a resource only if `_walk` finds no date
    in it to report, by induction over the walk: in each definition, a date/time field first
    takes only what the all-strings check lets through (`_field_check`: null, a string, a list
    of those); a field holding elements is left as it is where it reaches its element's
    definition (changed the same way) for an object, and first takes only `_NO_ELEMENT` where
    it does not. Stricter than the walk (no depth limit, ...): a refused resource is walked
    and validated as shipped. The definitions given are not changed (they share nodes with
    the classes' own schemas). `NotWritten` for a definition not of the form written for."""
    by_ref = {schema.get("ref"): model for model, schema in definitions.items()}
    return [_checked(model, schema, by_ref) for model, schema in definitions.items()]


def _checked(
    model: type[BaseModel], node: dict[str, Any], by_ref: dict[Any, type]
) -> dict[str, Any]:
    """`node` with the checks in its model-fields (the dicts on the way to it copied)."""
    if node.get("type") != "model-fields":
        # the model, inside its model validators (the null check before, which returns its
        # input, and the checks after): the fields see the resource's own keys
        kind = node.get("type")
        if kind not in _AROUND_FIELDS or not isinstance(node.get("schema"), dict):
            raise NotWritten(model)
        if kind == "function-before" and _name(node) not in _CHECKS_BEFORE:
            raise NotWritten(model)  # a before-validator may hand the fields other keys
        return {**node, "schema": _checked(model, node["schema"], by_ref)}
    fields = dict(node["fields"])
    by_key: dict[str, str] = {}
    for name, field in fields.items():
        key = field.get("validation_alias", name)
        if field.get("type") != "model-field" or not isinstance(key, str):
            raise NotWritten(model, name)
        by_key[key] = name
    for key, temporal, nested in _fields(model):
        name = by_key.get(key)
        if name is None or (temporal and nested is not None):
            raise NotWritten(model, key)
        if temporal:
            check = _field_check(model, key, temporal, None, {}, set())
        elif _reaches(fields[name]["schema"], nested, by_ref):
            continue
        else:
            check = _NO_ELEMENT
        fields[name] = {**fields[name], "schema": _first(check, fields[name]["schema"])}
    return {**node, "fields": fields}


def _name(node: dict[str, Any]) -> str | None:
    function = node.get("function", {}).get("function")
    return getattr(getattr(function, "__func__", function), "__name__", None)


def _first(shape: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` (a field's) taking only `shape` first; its default kept outermost (a chain
    has none, and an absent field must still get it)."""
    if schema.get("type") == "default":
        return {**schema, "schema": _first(shape, schema["schema"])}
    return core_schema.chain_schema([shape, schema])


def _reaches(schema: dict[str, Any], nested: _Elements | None, by_ref: dict[Any, type]) -> bool:
    """`schema` (an element field's) validates an object, alone or in a list, only with the
    definition of the one element model the walk enters for it (as `Builder.element` writes
    it: an is-instance test, then a reference to that definition)."""
    if nested is None or len(nested._kinds) != 1:
        return False
    while schema.get("type") in ("default", "nullable"):
        schema = schema["schema"]
    if schema.get("type") == "list":
        schema = schema["items_schema"]
        while schema.get("type") == "nullable":
            schema = schema["schema"]
    steps = schema.get("steps") if schema.get("type") == "chain" else None
    if not isinstance(steps, list) or len(steps) != 2:
        return False
    test, target = steps
    if test.get("type") != "is-instance" or test.get("cls") is not dict:
        return False
    if target.get("type") != "definition-ref":
        return False
    model = by_ref.get(target.get("schema_ref"))
    kind = nested._kinds[0]
    if _is_proxy(kind):
        qualified = getattr(kind, "_model_klass", None)
        kind = _imported(qualified) if isinstance(qualified, str) else None
    return model is not None and model is kind
