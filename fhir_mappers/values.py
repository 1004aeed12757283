"""Reading one number (size, percentage, count, mitoses) from an Observation or one of its
components (coded values: `coded_values`). Each reader returns (value, problem): a problem is the
reason the value is unknown, reported as a warning and never guessed around; with a value, the
second item is a note on how it was read (comparator, range, largest dimension, unit from the
code's name, "approximately"), or None. (None, None) means "not carried here", with no warning.

Value shapes (clinical.md §3.3): valueQuantity, valueInteger, valueString ("32 mm", "3,2 cm",
"2.6 x 2.1 x 1.9 cm", "3-5 %", "0/14", "approximately 8 %"), valueRange (upper bound),
valueRatio (nodes positive / examined). A quantity without a unit takes the unit its code's name
states ("Tumor size [mm]"), else it stays unknown. Every number passes the sanity bounds of
`plausibility` before it is used.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from fhir_mappers.coded_values import grade, presence, tnm, value_concept
from fhir_mappers.concepts import Concept, per_record
from fhir_mappers.plausibility import implausible
from fhir_mappers.quoting import quoted
from fhir_mappers.text_values import Shape, parse_number_text, unit_in_name

Parsed = tuple[Any, str | None]
# the coded readers moved to `coded_values`; presentation.py still reads them from here
__all__ = [
    "Parsed",
    "count",
    "grade",
    "mitoses",
    "node_ratio",
    "percent",
    "presence",
    "size_cm",
    "tnm",
]

_CM = {"cm", "centimeter", "centimeters", "centimetre", "centimetres"}
_MM = {"mm", "millimeter", "millimeters", "millimetre", "millimetres"}
_PERCENT = {"%", "percent", "pct"}
_COUNT_UNITS = {"", "1", "{#}", "#", "{count}", "{nodes}", "{lymph nodes}", "nodes", "{1}"}


_SINGLE = Shape.SINGLE  # read once: the reading almost every value gives


class Reading(NamedTuple):
    # internal to this module, read by attribute only: a NamedTuple is built in half the time
    # of a frozen dataclass (several per record)
    value: float
    unit: str
    comparator: str | None
    shape: Shape = Shape.SINGLE
    numbers: tuple[float, ...] = ()
    how: str | None = None  # how the value was read, when not a plain number with its unit


def _decimal(value: object) -> float | None:
    if type(value) is Decimal:  # as the R4B models give it: str() and back is the same Decimal
        try:
            return float(value)
        except ValueError:  # a signalling NaN
            return None
    try:
        return float(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return None


def _quantity_reading(q: Any, name: str) -> tuple[Reading | None, str | None]:
    if q is None or q.value is None:
        return None, "quantity without a value"
    value = _decimal(q.value)
    if value is None:
        return None, "quantity value is not a number"
    unit = (q.code or q.unit or "").strip()
    how = None
    if not unit and (named := _unit_in_name(name)):
        unit, how = named, f"unit {named} from the code's name"
    return Reading(value, unit, q.comparator, _SINGLE, (value,), how), None


def _unit_in_name(name: str) -> str | None:
    # the same code name is asked by several inputs and values: read once per record
    return per_record("unit in name", None, name, lambda: unit_in_name(name))


def _reading(holder: Any, name: str) -> tuple[Reading | None, str | None]:
    """The number(s) `holder` carries, whatever value[x] shape (no unit checks yet)."""
    if getattr(holder, "valueQuantity", None) is not None:
        return _quantity_reading(holder.valueQuantity, name)
    integer = getattr(holder, "valueInteger", None)
    if integer is not None:
        named = _unit_in_name(name)
        how = f"unit {named} from the code's name" if named else None
        whole = float(integer)
        return Reading(whole, named or "", None, _SINGLE, (whole,), how), None
    value_range = getattr(holder, "valueRange", None)
    if value_range is not None:
        return _range_reading(value_range, name)
    ratio = getattr(holder, "valueRatio", None)
    if ratio is not None:
        top, _ = _quantity_reading(ratio.numerator, name)
        bottom, _ = _quantity_reading(ratio.denominator, name)
        if top is None or bottom is None:
            return None, "ratio without both numbers"
        numbers = (top.value, bottom.value)
        return Reading(top.value, "", None, Shape.RATIO, numbers), None
    text = getattr(holder, "valueString", None)
    if isinstance(text, str):
        return _text_reading(text, name)
    return None, "no numeric value"


def _range_reading(value_range: Any, name: str) -> tuple[Reading | None, str | None]:
    high, _ = _quantity_reading(value_range.high, name) if value_range.high else (None, None)
    low, _ = _quantity_reading(value_range.low, name) if value_range.low else (None, None)
    if high is None:
        if low is None:
            return None, "range without bounds"
        return Reading(low.value, low.unit, ">=", _SINGLE, (low.value,)), None
    lows = f"{low.value:g}" if low else ""
    how = f"range {lows}-{high.value:g}: used the upper bound {high.value:g}"
    numbers = (low.value, high.value) if low else (high.value,)
    return Reading(high.value, high.unit, None, Shape.RANGE, numbers, how), None


def _text_reading(text: str, name: str) -> tuple[Reading | None, str | None]:
    parsed = parse_number_text(text)
    if parsed is None:
        return None, f"value '{_quote(text)}' is not a number"
    unit, how = parsed.unit, None
    if not unit and (named := _unit_in_name(name)):
        unit, how = named, f"unit {named} from the code's name"
    value = max(parsed.numbers)
    if parsed.shape is Shape.DIMENSIONS:
        how = f"largest of the dimensions '{_quote(text)}'"
    elif parsed.shape is Shape.RANGE:
        how = f"range '{_quote(text)}': used the upper bound {value:g}"
    elif parsed.shape is Shape.RATIO:
        value = parsed.numbers[0]
    if parsed.approximate:
        how = "; ".join(filter(None, [f"reported as approximate ('{_quote(text)}')", how]))
    return Reading(value, unit, parsed.comparator, parsed.shape, parsed.numbers, how), None


def _bounded(value: float, comparator: str | None, what: str, how: str | None) -> Parsed:
    # "<x" and "<=x" are read as x: an upper bound over-states risk, never under-states it.
    if comparator in (">", ">="):
        return None, f"{what} reported as {comparator}{value:g}; an exact value is needed"
    if not comparator:  # no note of its own: the join below would give `how` (or None)
        return value, how or None
    note = f"{what} reported as {comparator}{value:g}; used {value:g}" if comparator else None
    return value, "; ".join(filter(None, [note, how])) or None


def _plain(reading: Reading, what: str, *allowed: Shape) -> str | None:
    shape = reading.shape
    if shape is _SINGLE:  # the usual reading: neither check below applies
        return None
    if shape not in allowed:
        return f"{what} given as a {reading.shape.value}, not one value"
    if reading.comparator and reading.shape is not Shape.SINGLE:
        return f"{what} with a comparator and a {reading.shape.value}"
    return None


def size_cm(holder: Any, name: str = "") -> Parsed:
    reading, problem = _reading(holder, name)
    if reading is None:
        return None, problem
    if problem := _plain(reading, "tumour size", Shape.DIMENSIONS, Shape.RANGE):
        return None, problem
    u = reading.unit.lower()
    if not u:
        return None, "tumour size has no unit"
    value = reading.value
    if u in _MM:
        value = value / 10.0
    elif u not in _CM:
        return None, f"tumour size unit '{_quote(reading.unit)}' is not cm or mm"
    if value <= 0:
        return None, f"tumour size {value:g} cm is not positive"
    if problem := implausible("tumor_size_cm", value, "tumour size"):
        return None, problem
    return _bounded(round(value, 4), reading.comparator, "tumour size (cm)", reading.how)


def percent(holder: Any, name: str = "") -> Parsed:
    reading, problem = _reading(holder, name)
    if reading is None:
        return None, problem
    if problem := _plain(reading, "Ki-67", Shape.RANGE):
        return None, problem
    unit = reading.unit
    if unit.lower() not in _PERCENT:
        if unit:
            return None, f"Ki-67 unit '{_quote(unit)}' is not %"
        return None, "Ki-67 has no unit (% expected)"
    value = reading.value
    if not 0 <= value <= 100:
        return None, f"Ki-67 {value:g} % is outside 0-100"
    return _bounded(value, reading.comparator, "Ki-67 (%)", reading.how)


def count(holder: Any, name: str = "", input_name: str = "nodes_examined") -> Parsed:
    reading, problem = _reading(holder, name)
    if reading is None:
        return None, problem
    if problem := _plain(reading, "count"):
        return None, problem
    return _whole(reading.value, reading.unit, reading.comparator, input_name)


def _whole(value: float, unit: str, comparator: str | None, input_name: str) -> Parsed:
    if unit.lower() not in _COUNT_UNITS:
        return None, f"count unit '{_quote(unit)}' not understood"
    if problem := implausible(input_name, value, "count"):
        return None, problem
    if comparator or value != int(value):
        return None, f"count {comparator or ''}{value:g} is not a whole number"
    return int(value), None


def node_ratio(holder: Any, name: str, part: int) -> Parsed:
    """Part 0 (positive) or 1 (examined) of a "0/14" node ratio; (None, None) when `holder`
    carries no ratio."""
    if (
        getattr(holder, "valueRatio", None) is None
        and getattr(holder, "valueCodeableConcept", None) is None
        and not isinstance(getattr(holder, "valueString", None), str)
    ):
        # a count (valueInteger, the usual node value) or a quantity: `_node_pair` gives None
        # for it at once, so no per-record memo entry (key, lambda) is made for it
        return None, None
    pair = per_record("node pair", holder, name, lambda: _node_pair(holder, name))
    if pair is None:
        return None, None
    positive, examined = pair
    input_name = ("nodes_positive", "nodes_examined")[part]
    if positive > examined:
        return None, f"node ratio {positive:g}/{examined:g}: more positive than examined"
    value, problem = _whole((positive, examined)[part], "", None, input_name)
    if value is None:
        return None, problem
    return value, f"from the node ratio {positive:g}/{examined:g}"


def _node_pair(holder: Any, name: str) -> tuple[float, float] | None:
    """(positive, examined) of a ratio or of a pN category's counts: asked by both node inputs
    of each node Observation, read once per record."""
    # only a valueRatio or a valueString reads as a ratio (a count's valueInteger, the usual
    # node value, reads as one number): the others are not read here
    if getattr(holder, "valueRatio", None) is not None or isinstance(
        getattr(holder, "valueString", None), str
    ):
        reading, _ = _reading(holder, name)
        if reading is not None and reading.shape is Shape.RATIO:
            return reading.numbers  # type: ignore[return-value]
    return _category_counts(holder)


# UICC / CAP style "pN0 (0/14)", "pN1 (2/17)": the counts in parentheses after the category
_CATEGORY_COUNTS = r"\(\s{0,3}+(\d{1,4}+)\s{0,3}+/\s{0,3}+(\d{1,4}+)\s{0,3}+\)"


def _category_counts(holder: Any) -> tuple[float, float] | None:
    if getattr(holder, "valueCodeableConcept", None) is None and not isinstance(
        getattr(holder, "valueString", None), str
    ):
        return None  # value_concept is empty: no pairs (a count Observation, valueInteger)
    found = value_concept(holder).pairs(_CATEGORY_COUNTS)
    if len(found) != 1:
        return None  # none, or several different ones: not a count we can attribute
    positive, examined = found.pop()
    return float(positive), float(examined)


def mitoses(holder: Any, code_text: str) -> Parsed:
    reading, problem = _reading(holder, code_text)
    if reading is None:
        return None, problem
    if problem := _plain(reading, "mitotic count", Shape.RANGE):
        return None, problem
    context = f"{reading.unit} {code_text[:4000]}".lower()
    if "hpf" in context or "high power" in context:
        return None, "mitotic count per HPF, not per 2 mm²"
    if not _says_2mm(context):
        return None, "mitotic count without 'per 2 mm²' in its unit or name"
    if reading.value < 0:
        return None, "negative mitotic count"
    if problem := implausible("mitoses_per_2mm2", reading.value, "mitotic count"):
        return None, problem
    return _bounded(reading.value, reading.comparator, "mitotic count", reading.how)


def _says_2mm(context: str) -> bool:
    # "2 mm²", "2mm2", "per 2 mm2": bounded, possessive, on capped text (Concept.says)
    return Concept.of_text(context).says(r"2\s{0,3}+\.?+\s{0,3}+mm")


def _quote(text: str) -> str:
    return quoted(text, 40)
