"""Numbers written as text (clinical.md §3.3): "32 mm", "3,2 cm", "2.6 x 2.1 x 1.9 cm",
"3-5 %", "0/14", "approximately 8 %", "ca. 5", "~4", "<1 %", ">= 20".

Linear by construction (issue 11.1): the text is cut to `MAX_VALUE_TEXT` characters before any
pattern sees it, every quantifier is bounded or possessive, and the one pattern is anchored
(`fullmatch`), so a hostile `valueString` costs time proportional to the cap at most.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

# A numeric value string longer than this is not a value but prose (a report); it is refused as
# "not a number" rather than scanned. 200 characters hold any value shape above many times over.
MAX_VALUE_TEXT = 200


class Shape(Enum):
    SINGLE = "single"
    DIMENSIONS = "dimensions"  # "2.6 x 2.1 x 1.9 cm": the largest dimension is the size
    RANGE = "range"  # "3-5 %": the upper bound over-states risk, never under-states it
    RATIO = "ratio"  # "0/14": positive / examined nodes


@dataclass(frozen=True)
class NumberText:
    numbers: tuple[float, ...]
    shape: Shape
    unit: str  # lower-case, "" when none
    comparator: str | None  # "<", "<=", ">", ">=" (Unicode ≤ ≥ normalised)
    approximate: bool


_NUM = r"\d{1,9}+(?:[.,]\d{1,9}+)?+"
_SEP = r"\s{0,3}+(?P<sep>x|×|\*|-|–|—|to|bis|/)\s{0,3}+"
_PATTERN = re.compile(
    r"\s{0,20}+"
    r"(?P<approx>(?:approximately|approx\.?|about|circa|ca\.?|around|~|≈)\s{0,3}+)?+"
    r"(?P<cmp><=|>=|≤|≥|<|>)?+\s{0,3}+"
    rf"(?P<first>{_NUM})"
    rf"(?P<rest>(?:{_SEP}{_NUM}){{0,3}}+)"
    r"\s{0,3}+(?P<unit>[a-zµ%²/{}#\[\]]{0,24}+)"
    r"\s{0,20}+[.;]?+\s{0,20}+"
)
_NUM_RE = re.compile(_NUM)
_SEP_RE = re.compile(r"x|×|\*|-|–|—|to|bis|/")
_COMPARATORS = {"≤": "<=", "≥": ">="}
_SHAPE_OF_SEP = {
    "x": Shape.DIMENSIONS,
    "×": Shape.DIMENSIONS,
    "*": Shape.DIMENSIONS,
    "-": Shape.RANGE,
    "–": Shape.RANGE,
    "—": Shape.RANGE,
    "to": Shape.RANGE,
    "bis": Shape.RANGE,
    "/": Shape.RATIO,
}


def _number(token: str) -> float:
    # a decimal comma ("3,2 cm", German and other European reports) is a decimal point here;
    # thousands separators do not occur in these values (sizes, percentages, node counts)
    return float(token.replace(",", "."))


def parse_number_text(text: str) -> NumberText | None:
    """The number(s) a short value string states, or None when it states none we can read."""
    if len(text) > MAX_VALUE_TEXT:
        return None
    match = _PATTERN.fullmatch(text.lower())
    if match is None:
        return None
    numbers = [_number(match.group("first"))]
    rest = match.group("rest")
    separators: set[str] = set()
    if rest:
        numbers.extend(_number(t) for t in _NUM_RE.findall(rest))
        separators = set(_SEP_RE.findall(_NUM_RE.sub(" ", rest)))
    shapes = {_SHAPE_OF_SEP[s] for s in separators}
    if len(shapes) > 1:
        return None  # "2-3 x 4": mixed shapes are not a value we can read safely
    shape = shapes.pop() if shapes else Shape.SINGLE
    if shape in (Shape.RANGE, Shape.RATIO) and len(numbers) != 2:
        return None
    comparator = match.group("cmp")
    if comparator and shape is not Shape.SINGLE:
        return None
    unit = match.group("unit").strip("[]")
    return NumberText(
        tuple(numbers),
        shape,
        unit,
        _COMPARATORS.get(comparator, comparator) if comparator else None,
        bool(match.group("approx")),
    )


# Units named in an Observation's code ("Tumor size [mm]", "Greatest dimension (centimeters)",
# "... in cm", "Ki-67 (%)"), found as whole words so the scan is one linear pass.
_WORD = re.compile(r"[a-z]{1,20}+|%")
_UNIT_WORDS = {
    "mm": "mm",
    "millimeter": "mm",
    "millimeters": "mm",
    "millimetre": "mm",
    "millimetres": "mm",
    "cm": "cm",
    "centimeter": "cm",
    "centimeters": "cm",
    "centimetre": "cm",
    "centimetres": "cm",
    "%": "%",
    "percent": "%",
    "percentage": "%",
}
MAX_NAME_TEXT = 4000


def unit_in_name(name: str) -> str | None:
    """The one unit the code's name states (mm, cm or %), or None when none or several."""
    text = name[:MAX_NAME_TEXT].lower()
    # every unit word holds one of these: most names (a node count's, a grade's) hold none,
    # and then need no scan of their words (tests/test_mappers_text_values_units.py)
    if not ("mm" in text or "cm" in text or "%" in text or "imet" in text or "percent" in text):
        return None
    words = _WORD.findall(text)
    found = {_UNIT_WORDS[w] for w in words if w in _UNIT_WORDS}
    return found.pop() if len(found) == 1 else None
