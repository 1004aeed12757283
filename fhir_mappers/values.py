"""Reading one value (size, percentage, count, grade, presence, TNM category) from an
Observation or one of its components. Each reader returns (value, problem): a problem is the
reason the value is unknown, reported as a warning and never guessed around.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from fhir_mappers.codes import ABSENT, GRADE_ANSWERS, PRESENT
from fhir_mappers.concepts import Concept, concept
from scoring.inputs import Grade

Parsed = tuple[Any, str | None]

_CM = {"cm", "centimeter", "centimeters", "centimetre", "centimetres"}
_MM = {"mm", "millimeter", "millimeters", "millimetre", "millimetres"}
_PERCENT = {"%", "percent", "pct"}
_COUNT_UNITS = {"", "1", "{#}", "#", "{count}", "{nodes}", "{lymph nodes}", "nodes"}
_NUMBER_WITH_UNIT = re.compile(r"^\s*(<=|>=|<|>)?\s*(\d+(?:\.\d+)?)\s*([a-z%]*)\s*$")


def _quantity(holder: Any) -> tuple[float | None, str, str | None, str | None]:
    """(value, unit, comparator, problem) from valueQuantity / valueInteger / valueString."""
    q = getattr(holder, "valueQuantity", None)
    if q is not None:
        if q.value is None:
            return None, "", None, "quantity without a value"
        unit = (q.code or q.unit or "").strip()
        return float(Decimal(q.value)), unit, q.comparator, None
    integer = getattr(holder, "valueInteger", None)
    if integer is not None:
        return float(integer), "", None, None
    text = getattr(holder, "valueString", None)
    if isinstance(text, str):
        match = _NUMBER_WITH_UNIT.match(text.lower())
        if match:
            return float(match.group(2)), match.group(3), match.group(1), None
        return None, "", None, f"value '{text[:40]}' is not a number"
    return None, "", None, "no numeric value"


def _bounded(value: float, comparator: str | None, what: str) -> Parsed:
    # "<x" and "<=x" are read as x: an upper bound over-states risk, never under-states it.
    if comparator in (">", ">="):
        return None, f"{what} reported as {comparator}{value:g}; an exact value is needed"
    note = f"{what} reported as {comparator}{value:g}; used {value:g}" if comparator else None
    return value, note


def size_cm(holder: Any) -> Parsed:
    value, unit, comparator, problem = _quantity(holder)
    if value is None:
        return None, problem
    u = unit.lower()
    if not u:
        return None, "tumour size has no unit"
    if u in _MM:
        value = value / 10.0
    elif u not in _CM:
        return None, f"tumour size unit '{unit}' is not cm or mm"
    if value <= 0:
        return None, f"tumour size {value:g} cm is not positive"
    return _bounded(round(value, 4), comparator, "tumour size (cm)")


def percent(holder: Any) -> Parsed:
    value, unit, comparator, problem = _quantity(holder)
    if value is None:
        return None, problem
    if unit.lower() not in _PERCENT:
        return None, f"Ki-67 unit '{unit}' is not %" if unit else "Ki-67 has no unit (% expected)"
    if not 0 <= value <= 100:
        return None, f"Ki-67 {value:g} % is outside 0-100"
    return _bounded(value, comparator, "Ki-67 (%)")


def count(holder: Any) -> Parsed:
    value, unit, comparator, problem = _quantity(holder)
    if value is None:
        return None, problem
    if unit.lower() not in _COUNT_UNITS:
        return None, f"count unit '{unit}' not understood"
    if comparator or value < 0 or value != int(value):
        return None, f"count {comparator or ''}{value:g} is not a whole number"
    return int(value), None


def mitoses(holder: Any, code_text: str) -> Parsed:
    value, unit, comparator, problem = _quantity(holder)
    if value is None:
        return None, problem
    context = f"{unit} {code_text}".lower()
    if "hpf" in context or "high power" in context:
        return None, "mitotic count per HPF, not per 2 mm²"
    if not re.search(r"2\s*\.?\s*mm", context):
        return None, "mitotic count without 'per 2 mm²' in its unit or name"
    if value < 0:
        return None, "negative mitotic count"
    return _bounded(value, comparator, "mitotic count")


_GRADE_PATTERNS: tuple[tuple[str, Grade], ...] = (
    (r"\bg\s*1\b|grade\s*(1|i)\b|low[- ]grade|low histologic grade", Grade.G1),
    (r"\bg\s*2\b|grade\s*(2|ii)\b|intermediate[- ]grade|intermediate histologic grade", Grade.G2),
    (r"\bg\s*3\b|grade\s*(3|iii)\b|high[- ]grade|high histologic grade", Grade.G3),
)


def grade(holder: Any) -> Parsed:
    answer = concept(_raw_value_concept(holder)) | _string_concept(holder)
    coded = answer.first_in(GRADE_ANSWERS)
    if coded is not None:
        return Grade(str(coded)), None
    found = {g for pattern, g in _GRADE_PATTERNS if re.search(pattern, answer.text)}
    if len(found) == 1:
        return found.pop(), None
    if len(found) > 1:
        return None, f"grade text '{answer.text[:40]}' names more than one grade"
    return None, "grade not recognised" if answer.text else "no grade value"


_ABSENT_TEXT = r"not identified|not seen|not present|not detected|absent|negative|\bno\b|\bnone\b"
_UNSURE_TEXT = (
    r"indeterminate|cannot be (determined|assessed|evaluated)|equivocal|suspicious|ambiguous|"
    r"unknown"
)
_PRESENT_TEXT = r"present|identified|positive|\bseen\b|detected|\byes\b"


def presence(holder: Any) -> Parsed:
    flag = getattr(holder, "valueBoolean", None)
    if flag is not None:
        return bool(flag), None
    answer = concept(_raw_value_concept(holder)) | _string_concept(holder)
    if answer.has_any(PRESENT):
        return True, None
    if answer.has_any(ABSENT):
        return False, None
    for pattern, value in ((_UNSURE_TEXT, None), (_ABSENT_TEXT, False), (_PRESENT_TEXT, True)):
        if answer.says(pattern):
            return value, None if value is not None else f"reported as '{answer.text[:40]}'"
    return None, "presence not recognised" if answer.text else "no value"


def tnm(holder: Any, letter: str) -> Parsed:
    """True for N1-3 / M1, False for N0 / M0 (y/r/p/c prefixes allowed)."""
    answer = concept(_raw_value_concept(holder)) | _string_concept(holder)
    pattern = rf"(?<![a-z])(?:y?r?[pc]?){letter}([0-3x])(?![0-9])"
    found = {m.group(1) for m in re.finditer(pattern, answer.text)}
    if not found:
        return None, f"{letter.upper()} category not recognised"
    if found == {"x"}:
        return None, f"{letter.upper()}X: cannot be assessed"
    numbers = found - {"x"}
    return any(n != "0" for n in numbers), None


def _raw_value_concept(holder: Any) -> object:
    cc = getattr(holder, "valueCodeableConcept", None)
    return cc.model_dump(by_alias=True, exclude_none=True) if cc is not None else None


def _string_concept(holder: Any) -> Concept:
    text = getattr(holder, "valueString", None)
    return Concept(text=text.lower()) if isinstance(text, str) else Concept()
