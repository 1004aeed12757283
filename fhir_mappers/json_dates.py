"""FHIR JSON writes every date, dateTime, instant and time as a string
(https://hl7.org/fhir/R4/json.html#primitive). The R4B models would read a JSON number there as a
Unix timestamp (`performedDateTime: 0` became 1970-01-01, and a surveillance schedule counted
from it), so such values are refused before validation, naming the element."""

from __future__ import annotations

import datetime as dt
import types
import typing
from functools import cache
from typing import Any

from pydantic import BaseModel

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


def non_string_date(
    model: type[BaseModel], raw: object, path: str = "", depth: int = 0
) -> str | None:
    """The path of the first date/time element of `raw` that is not a JSON string, if any."""
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
                found = non_string_date(element, value, f"{where}.", depth + 1)
                if found:
                    return found
    return None
