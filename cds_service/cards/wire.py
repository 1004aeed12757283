"""The wire dict of a card model without pydantic's per-model serializer round (`to_wire`).

`model_dump(mode="json", by_alias=True)` calls each model's `_drop_absent` wrap serializer, a
Python call per nested model, and infers the type of every value inside the free-form objects:
~0.3 ms for a card with its orders. The models here hold only strings, booleans, enum members,
other wire models, lists of them and free-form JSON objects, so their wire form is built field
by field from a plan made once per class from its field types; the free-form objects are dumped
by pydantic's own serializer for their declared type (`dict[str, Any]`), so their output is
exactly what the field's serializer gives. Any value of another type than its field declares
(possible with `model_construct`) makes `fast_wire` give None: the caller then falls back to
`model_dump`, whose output is the reference (tests/test_cards_wire.py).

A free-form value its producer made JSON-ready already (the orders `suggested_orders` builds) is
marked with `mark_json_ready` and passed through as it is: re-dumping such a value through
`dict[str, Any]` gives an equal dict, so this only saves the second serialisation.

A wire dict may also hold `JsonText`: a value already written out as JSON (`model_json`), which
the response encoder (blueprints/response_json.py) copies into the body as it is. The card's
extension, the assessment's JSON dump, is one: built as Python dicts (`model_dump`) it cost
~25 us per card, then orjson walked it again for the body (~5 us); written by orjson straight
from the models' state it costs ~10 us, with the same bytes (tests/test_cards_wire_json.py).
"""

from __future__ import annotations

import types
import typing
import weakref
from enum import StrEnum
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, RootModel, TypeAdapter

M = TypeVar("M", bound=BaseModel)

_FREE_FORM = TypeAdapter(dict[str, Any])

# How a field's value becomes its wire value.
_SCALAR = "scalar"  # str or bool: as it is
_ENUM = "enum"  # a StrEnum member: its value (a str)
_MODEL = "model"  # another wire model: its wire dict
_MODELS = "models"  # a list of wire models
_FREE = "free"  # a free-form JSON object: pydantic's dict[str, Any] serializer

# (attribute, wire key, kind, the type the value must have exactly)
Plan = tuple[tuple[str, str, str, type], ...]
_PLANS: dict[type, Plan | None] = {}


# An entry of `_READY` or `_BUILT`: the value, and a weak reference to the model whose callback
# drops the entry with the model (a reference dropped first, with its entry, never calls back).
# ~5x cheaper than a `weakref.finalize` per mark.
_Entry = tuple[Any, "weakref.ref[BaseModel]"]


def _hold(table: dict[int, _Entry], model: BaseModel, value: object) -> None:
    key = id(model)
    table[key] = (value, weakref.ref(model, lambda _ref: table.pop(key, None)))


# id(model) -> the free-form values of that live model that are already in wire form. The values
# are held here as objects (compared by identity), the entry leaves with the model.
_READY: dict[int, _Entry] = {}
_NOT_READY: _Entry = ((), None)  # type: ignore[assignment]


def mark_json_ready(model: BaseModel, *values: object) -> None:
    """Declare `values` (free-form field values of `model`, the objects it holds) already in
    wire form: JSON types only, as `model_dump(mode="json")` leaves them. Only for values made
    so by construction, never for data received from a caller."""
    _hold(_READY, model, values)


# id(model) -> the wire dict its builder made beside it and validated it from (`mark_built`),
# until `fast_wire` hands it out; the entry leaves with the model.
_BUILT: dict[int, _Entry] = {}


def mark_built(model: BaseModel, wire: dict[str, Any]) -> None:
    """Declare `wire` the wire dict of `model`: the dict, in wire form (JSON types only, field
    order, absent fields left out; `JsonText` for a value written out already), `model` was
    validated from, so that its JSON is that of `model`'s dump (tests/test_cards_built_wire.py).
    `fast_wire` returns it once, then dumps the model again: no two callers are handed the same
    dict."""
    _hold(_BUILT, model, wire)


# id(model) -> (model, its wire dict) for module-level constants (`wire_constant`): the model is
# held here, so its id is never reused; the dict holds strs only, so a shallow copy is a copy.
_CONSTANTS: dict[int, tuple[BaseModel, dict[str, str]]] = {}


def wire_constant(model: M) -> M:
    """Declare `model` a constant of the code (a frozen module-level model every card shares,
    as the override reasons): its wire dict is made once and copied into each card's. Returns
    the model."""
    wire = fast_wire(model)
    if wire is not None and all(type(v) is str for v in wire.values()):
        _CONSTANTS[id(model)] = (model, wire)
    return model


class JsonText:
    """A JSON value already written out: compact UTF-8 bytes, as orjson writes the value."""

    __slots__ = ("json",)

    def __init__(self, json: bytes) -> None:
        self.json = json

    def __repr__(self) -> str:
        return f"JsonText({self.json!r})"

    def value(self) -> Any:
        """The value as JSON types, for a reader that needs them (not the response path)."""
        return orjson.loads(self.json)


# class -> its field count, or None: whether orjson writes its `__dict__` as pydantic dumps it.
_STATE_PLAIN: dict[type, int | None] = {}

# Dates and dataclasses go to `_state_of`, which refuses them: pydantic writes them its own way.
_STATE_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def _models_in(annotation: Any) -> list[type]:
    """The model classes a field annotation names, inside lists, unions and the like."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in typing.get_args(annotation) for model in _models_in(arg)]


def _plain_fields(cls: type) -> int | None:
    """The number of fields of a model class whose JSON dump is its `__dict__` as orjson writes
    it: every field under its own name (no alias), none excluded, no serializer or computed
    field, no extra fields, the default JSON settings, and no field declared as a model class
    that has subclasses (pydantic dumps a subclass's value by the declared class's fields);
    None for any other class."""
    if cls in _STATE_PLAIN:
        return _STATE_PLAIN[cls]
    count: int | None = None
    if issubclass(cls, BaseModel) and not issubclass(cls, RootModel):
        decorators = cls.__pydantic_decorators__
        config = cls.model_config
        fields = cls.model_fields.values()
        if (
            not cls.model_computed_fields
            and not decorators.field_serializers
            and not decorators.model_serializers
            and config.get("extra") in (None, "ignore", "forbid")
            and not any(key.startswith("ser_json") for key in config)
            and not any(
                f.alias or f.serialization_alias or f.exclude or getattr(f, "exclude_if", None)
                for f in fields
            )
            and not any(
                model.__subclasses__() for f in fields for model in _models_in(f.annotation)
            )
        ):
            count = len(cls.model_fields)
    _STATE_PLAIN[cls] = count
    return count


def _state_of(value: Any) -> dict[str, Any]:
    """orjson's `default`: a plain model's field values, in field order (the order pydantic
    validates and `scoring.assessment.built` sets them, the order of its dump). Called once per
    model (~40 per assessment): the class's verdict is one dict read after the first."""
    try:
        count = _STATE_PLAIN[type(value)]
    except KeyError:
        count = _plain_fields(type(value))
    if count is None:
        raise TypeError
    state = value.__dict__  # a model's: `_plain_fields` said it is one
    if len(state) != count:
        raise TypeError
    return state


def model_json(model: BaseModel) -> JsonText | dict[str, Any]:
    """`model.model_dump(mode="json")` for a free-form field: as `JsonText`, written by orjson
    from the models' state, or as the dump itself where a value is one only pydantic writes as
    it dumps it (a date, a big int, a model with a serializer or alias...)."""
    try:
        return JsonText(orjson.dumps(model, default=_state_of, option=_STATE_OPTIONS))
    except TypeError:  # orjson.JSONEncodeError, and `_state_of`'s refusal through it
        return model.model_dump(mode="json")


class _Unusual(Exception):
    """A value whose type is not exactly its field's: only `model_dump` knows its wire form."""


def _without_none(annotation: Any) -> Any:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else None
    return annotation


def _field_kind(annotation: Any) -> tuple[str, type] | None:
    inner = _without_none(annotation)
    origin = typing.get_origin(inner)
    if inner in (str, bool):
        return _SCALAR, inner
    if isinstance(inner, type) and issubclass(inner, StrEnum):
        return _ENUM, inner
    if isinstance(inner, type) and issubclass(inner, BaseModel):
        return _MODEL, inner
    if origin is list:
        (item,) = typing.get_args(inner)
        if isinstance(item, type) and issubclass(item, BaseModel):
            return _MODELS, item
    if origin is dict and typing.get_args(inner) == (str, Any):
        return _FREE, dict
    return None


def _plan(cls: type[BaseModel]) -> Plan | None:
    """The class's fields in declaration order (model_dump's order); None if a field's type is
    not one of the kinds above, or the class serialises extra or computed fields, or has a
    serializer of its own beside `_drop_absent` (which drops the fields that are None)."""
    if cls in _PLANS:
        return _PLANS[cls]
    plan: Plan | None = ()
    decorators = cls.__pydantic_decorators__
    if (
        cls.model_computed_fields
        or cls.model_config.get("extra") != "forbid"
        or decorators.field_serializers
        or list(decorators.model_serializers) != ["_drop_absent"]
    ):
        plan = None
    else:
        rows = []
        for name, field in cls.model_fields.items():
            kind = _field_kind(field.annotation)
            if kind is None or field.exclude:
                rows = None
                break
            key = field.serialization_alias or field.alias or name
            rows.append((name, key, *kind))
        plan = tuple(rows) if rows is not None else None
    _PLANS[cls] = plan
    return plan


def _wire(model: BaseModel, ready: tuple[object, ...] = ()) -> dict[str, Any]:
    constant = _CONSTANTS.get(id(model))
    if constant is not None and constant[0] is model:
        return dict(constant[1])  # a fresh dict: the response may be edited by its caller
    plan = _plan(type(model))
    if plan is None:
        raise _Unusual
    out: dict[str, Any] = {}
    values = model.__dict__
    for name, key, kind, expected in plan:
        value = values.get(name, _Unusual)
        if value is _Unusual:
            raise _Unusual  # not set (model_construct)
        if value is None:
            continue  # absent: `_drop_absent` drops it
        if kind is _MODELS:
            if type(value) is not list:
                raise _Unusual
            items = []
            for item in value:
                if type(item) is not expected:
                    raise _Unusual
                items.append(_wire(item, _READY.get(id(item), _NOT_READY)[0]))
            out[key] = items
            continue
        if type(value) is not expected:
            raise _Unusual
        if kind is _SCALAR:
            out[key] = value
        elif kind is _ENUM:
            out[key] = value._value_  # what `.value` reads, without the enum property's call
        elif kind is _MODEL:
            out[key] = _wire(value, _READY.get(id(value), _NOT_READY)[0])
        elif _is_one_of(value, ready):
            out[key] = value
        else:
            out[key] = _FREE_FORM.dump_python(value, mode="json", by_alias=True)
    return out


def _is_one_of(value: object, ready: tuple[object, ...]) -> bool:
    """`any(value is done for done in ready)` without a generator (`ready` holds one or two)."""
    for done in ready:  # noqa: SIM110 - the loop is the point: any() over a generator costs more
        if value is done:
            return True
    return False


def fast_wire(model: BaseModel) -> dict[str, Any] | None:
    """`model.model_dump(mode="json", by_alias=True)` of a wire model, or None if only that
    call can give it."""
    built = _BUILT.pop(id(model), None)
    if built is not None:
        return built[0]
    try:
        return _wire(model, _READY.get(id(model), _NOT_READY)[0])
    except _Unusual:
        return None
