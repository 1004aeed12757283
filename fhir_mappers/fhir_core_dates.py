"""The common FHIR date/time strings validated in pydantic-core, for `fhir_core_fast`.

fhir_core validates a date, dateTime, instant or time with a Python wrap validator
(`fhir_core.types.Date._validate` and its subclasses, `Time`'s): the spec regex, then a partial
date ("2020", "2020-05") kept as the string, a leap second kept as the string, anything else
parsed by the pydantic-core schema the wrap validator wraps (`date` / `datetime` / `time`),
then for a dateTime: a time needs a zone, a date alone becomes a date.

`fast_temporal` turns such a node into "first the same parse in pydantic-core, for a string of
a form where the wrap validator's answer is exactly that parse; else the wrap validator": a
left-to-right union of a strict string with an anchored regex (a subset of the spec regex,
written from it; no leap second) chained to the wrapped schema, then the original node. The
strings that take the first branch, and what the wrap validator makes of them:

- date, dateTime "YYYY" / "YYYY-MM": the string itself (partial date).
- date "YYYY-MM-DD": the `date` schema's parse.
- dateTime "YYYY-MM-DD": the `datetime` schema's parse, then `.date()` (a `time` is always
  true, so the wrap validator always takes the date): here the `date` schema's parse of the
  same string, the same day.
- dateTime, instant "YYYY-MM-DDThh:mm:ss[.f+](Z|±hh:mm)": the `datetime` schema's parse,
  which has a zone (the checks after it pass).
- time "hh:mm:ss[.f+]": the `time` schema's parse.

Anything else (another form, a number, an invalid day) goes to the original node, unchanged;
when the first branch fails, the union's result is the original node's. A fhir_core whose
classes or regexes differ from the ones these were written from gets no fast branch.
"""

from __future__ import annotations

from typing import Any

from fhir_core import types as fhir_types
from pydantic_core import core_schema

_YEAR = "([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)"
_MONTH = "(0[1-9]|1[0-2])"
_DAY = "(0[1-9]|[1-2][0-9]|3[0-1])"
_TIME = r"([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?"  # no second 60
_ZONE = r"(Z|([+\-])((0[0-9]|1[0-3]):[0-5][0-9]|14:00))"

_PARTIAL = f"^{_YEAR}(-{_MONTH})?$"
_FULL_DATE = f"^{_YEAR}-{_MONTH}-{_DAY}$"
_ZONED = f"^{_YEAR}-{_MONTH}-{_DAY}T{_TIME}{_ZONE}$"
_CLOCK = f"^{_TIME}$"

# The spec regexes these were written from (fhir_core 1.1.12), by class.
_SHIPPED = {
    "Date": "([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)(-(0[1-9]|1[0-2])"
    "(-(0[1-9]|[1-2][0-9]|3[0-1]))?)?",
    "DateTime": "([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)(-(0[1-9]|1[0-2])"
    "(-(0[1-9]|[1-2][0-9]|3[0-1])(T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)"
    r"(\.[0-9]+)?(Z|([+\-])((0[0-9]|1[0-3]):[0-5][0-9]|14:00)))?)?)?",
    "Instant": "([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)-(0[1-9]|1[0-2])"
    "-(0[1-9]|[1-2][0-9]|3[0-1])T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)"
    r"(\.[0-9]+)?(Z|([+\-])((0[0-9]|1[0-3]):[0-5][0-9]|14:00))",
    "Time": r"([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?",
}
_TIME_QUALNAME = "Time.__get_pydantic_core_schema__.<locals>._validate"
_DATE_VALIDATE = fhir_types.Date.__dict__["_validate"].__func__
_DATETIME_VALIDATE = fhir_types.DateTime.__dict__["_validate"].__func__
_INSTANT_VALIDATE = fhir_types.Instant.__dict__["_validate"].__func__


def _unchanged(kind: type) -> bool:
    """`kind` is as shipped: its regex, and the Date._validate its subclasses call."""
    return (
        kind.pattern.pattern == _SHIPPED.get(kind.__name__)
        and fhir_types.Date.__dict__["_validate"].__func__ is _DATE_VALIDATE
    )


def _kind(node: dict[str, Any]) -> str | None:
    """Which shipped temporal wrap validator `node` is, if it is one."""
    function = node["function"].get("function")
    owner = getattr(function, "__self__", None)
    impl = getattr(function, "__func__", None)
    if owner is fhir_types.Date and impl is _DATE_VALIDATE and _unchanged(owner):
        return "date"
    if owner is fhir_types.DateTime and impl is _DATETIME_VALIDATE and _unchanged(owner):
        return "dateTime"  # its super()._validate is Date's, checked with Date's regex
    if owner is fhir_types.Instant and impl is _INSTANT_VALIDATE and _unchanged(owner):
        return "instant"
    if getattr(function, "__qualname__", None) == _TIME_QUALNAME:
        cells = dict(zip(function.__code__.co_freevars, function.__closure__ or (), strict=True))
        time_cls = cells["cls"].cell_contents if "cls" in cells else None
        if time_cls is fhir_types.Time and _unchanged(time_cls):
            return "time"
    return None


def _parsed(pattern: str, schema: dict[str, Any]) -> dict[str, Any]:
    return core_schema.chain_schema([core_schema.str_schema(strict=True, pattern=pattern), schema])


def _string(pattern: str) -> dict[str, Any]:
    return core_schema.str_schema(strict=True, pattern=pattern)


def fast_temporal(node: dict[str, Any]) -> dict[str, Any] | None:
    """`node` (a temporal wrap validator) with its common strings parsed in pydantic-core,
    or None if `node` is not one of those this module knows."""
    kind = _kind(node)
    if kind is None:
        return None
    inner = node["schema"]
    expected = {"date": "date", "dateTime": "datetime", "instant": "datetime", "time": "time"}
    if inner.get("type") != expected[kind]:
        return None
    if kind == "date":
        first = [_string(_PARTIAL), _parsed(_FULL_DATE, inner)]
    elif kind == "dateTime":
        day = {k: v for k, v in inner.items() if k not in ("microseconds_precision", "type")}
        if day or inner.get("microseconds_precision", "truncate") != "truncate":
            return None  # a constrained datetime: not the plain one written for
        first = [
            _string(_PARTIAL),
            _parsed(_FULL_DATE, core_schema.date_schema()),
            _parsed(_ZONED, inner),
        ]
    elif kind == "instant":
        first = [_parsed(_ZONED, inner)]
    else:
        first = [_parsed(_CLOCK, inner)]
    original = {k: v for k, v in node.items() if k not in ("serialization", "metadata", "ref")}
    return core_schema.union_schema([*first, original], mode="left_to_right")
