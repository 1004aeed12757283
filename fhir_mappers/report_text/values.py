"""Values written after a finding's name: sizes, percentages, counts, grades, TNM categories.

Every pattern is bounded (fixed repetition counts, possessive quantifiers) and sees one
window of at most `WINDOW` characters after the name, so each costs O(window).
Each reader returns (value, note) or (None, problem); a problem is a reason, never a guess.
"""

from __future__ import annotations

import re

from scoring.inputs import Grade

WINDOW = 120
_NUM = r"(\d{1,4}+(?:\.\d{1,3}+)?+)"
_SEP = r"\s{0,3}+(?:x|×|\*|by)\s{0,3}+"
_SIZE = re.compile(rf"{_NUM}(?:{_SEP}{_NUM})?(?:{_SEP}{_NUM})?\s{{0,3}}+(cm|mm)\b")
# CAP electronic checklists put the unit in the item's name: "Greatest Dimension (Centimeters): 3.2"
_SIZE_UNIT_IN_NAME = re.compile(
    rf"\((centimeters|centimetres|cm|millimeters|millimetres|mm)\)\s{{0,3}}+:?\s{{0,3}}+{_NUM}"
    rf"(?!\s{{0,3}}+(?:x|×|\*|by|\d))"
)
_PERCENT_RANGE = re.compile(rf"{_NUM}\s{{0,3}}+%?\s{{0,3}}+(?:-|–|to)\s{{0,3}}+{_NUM}\s{{0,3}}+%")
_PERCENT = re.compile(
    rf"(<=|>=|≤|≥|<|>|less than|greater than|more than|up to|approximately|about|~)?"
    rf"\s{{0,3}}+{_NUM}\s{{0,3}}+(?:%|percent\b)"
)
_MITOSES = re.compile(
    rf"(<|>|less than|fewer than)?\s{{0,3}}+{_NUM}\s{{0,3}}+(?:mitoses|mitotic figures|mitosis)?"
    rf"\s{{0,3}}+(?:/|per|in)\s{{0,3}}+(?:(\d{{1,3}}+)\s{{0,3}}+)?(mm2|mm²|mm\^2|mm 2|"
    rf"square mm|hpf|high[- ]power fields?)"
)
_RATIO = re.compile(r"(\d{1,3}+)\s{0,3}+(?:/|of|out of)\s{0,3}+(\d{1,3}+)")
_COUNT = re.compile(r"^\D{0,40}+(\d{1,3}+)\b")
_GRADES = (
    (re.compile(r"\bg\s?1\b|\bgrade\s{0,2}+(?:1|i)\b|\blow[- ]grade\b"), Grade.G1),
    (re.compile(r"\bg\s?2\b|\bgrade\s{0,2}+(?:2|ii)\b|\bintermediate[- ]grade\b"), Grade.G2),
    (re.compile(r"\bg\s?3\b|\bgrade\s{0,2}+(?:3|iii)\b|\bhigh[- ]grade\b"), Grade.G3),
)
# TNM is read case-sensitively from the original text: "pN0" (nodes) is not "Pn0" (UICC
# perineural invasion), and a lower-cased reading would confuse them.
_T = r"T(?:is|[0-4X])[a-d]?(?:\(m\))?"
_PN = re.compile(rf"(?<![A-Za-z0-9])[yr]{{0,2}}+p?(?:{_T}\s?)?p?N([0-3X])[a-c]?(?![A-Za-z0-9])")
_PN_RATIO = re.compile(
    r"(?<![A-Za-z0-9])p?N[0-3X][a-c]?\s{0,2}+\(\s{0,2}+(\d{1,3}+)\s{0,2}+/\s{0,2}+(\d{1,3}+)\s{0,2}+\)"
)
_PM = re.compile(r"(?<![A-Za-z0-9])[yr]{0,2}+[pc]M([01X])[a-d]?(?![A-Za-z0-9])")
_PM_IN_TNM = re.compile(rf"(?<![A-Za-z0-9])[yr]{{0,2}}+p{_T}\s?p?N[0-3X][a-c]?\s?p?M([01X])")
# UICC L (lymphatic), V (venous) and Pn (perineural) categories, e.g. "L1 V0 Pn0"
_UICC = re.compile(r"(?<![A-Za-z0-9])(L|V|Pn)([0-2X])(?![A-Za-z0-9])")

Parsed = tuple[object, str | None]


def size_cm(window: str) -> Parsed:
    match = _SIZE.search(window)
    if match is None:
        named = _SIZE_UNIT_IN_NAME.search(window)
        if named is None:
            return None, "no size with a unit (cm or mm)"
        value = float(named.group(2))
        cm = value / 10.0 if named.group(1).startswith("mil") or named.group(1) == "mm" else value
        return (round(cm, 4), "unit from the item's name") if cm > 0 else (None, "not positive")
    numbers = [float(n) for n in match.groups()[:3] if n is not None]
    largest = max(numbers)
    cm = largest / 10.0 if match.group(4) == "mm" else largest
    if cm <= 0:
        return None, "tumour size is not positive"
    note = "largest of the dimensions given" if len(numbers) > 1 else None
    return round(cm, 4), note


def percent(window: str) -> Parsed:
    ranged = _PERCENT_RANGE.search(window)
    match = _PERCENT.search(window)
    if ranged is not None and (match is None or ranged.start(1) <= match.start(2)):
        upper = float(ranged.group(2))
        if upper > 100:
            return None, "percentage above 100"
        return upper, f"range {ranged.group(0).strip()}: the upper bound used (over-states risk)"
    if match is None:
        return None, "no percentage"
    comparator, value = match.group(1), float(match.group(2))
    if value > 100:
        return None, "percentage above 100"
    if comparator in (">", ">=", "≥", "greater than", "more than"):
        return None, f"reported as '{match.group(0).strip()}'; an exact value is needed"
    if comparator in ("<", "<=", "≤", "less than", "up to"):
        return value, f"reported as '{match.group(0).strip()}'; used {value:g} (an upper bound)"
    return value, None


def mitoses_per_2mm2(window: str) -> Parsed:
    match = _MITOSES.search(window)
    if match is None:
        return None, "no mitotic count with its area (per 2 mm²)"
    comparator, value, area, unit = match.groups()
    if "hpf" in unit or "high" in unit:
        return None, "mitotic count per HPF, not per 2 mm²; not converted"
    if area is not None and area != "2":
        return None, f"mitotic count per {area} mm², not per 2 mm²; not converted"
    if area is None:
        return None, "mitotic count per mm² without the area; not converted"
    number = float(value)
    if comparator in (">",):
        return None, "reported as a lower bound; an exact value is needed"
    note = f"reported as '{match.group(0).strip()}'; used {number:g}" if comparator else None
    return number, note


def ratio(window: str) -> tuple[int, int] | None:
    """(positive, examined) from "2/14", "2 of 14" (positive first, as pathologists write)."""
    match = _RATIO.search(window)
    if match is None:
        return None
    positive, examined = int(match.group(1)), int(match.group(2))
    return (positive, examined) if positive <= examined else None


def count(window: str) -> int | None:
    match = _COUNT.search(window)
    return int(match.group(1)) if match else None


def grade(window: str) -> Parsed:
    found = {g for pattern, g in _GRADES if pattern.search(window)}
    if len(found) == 1:
        return found.pop(), None
    if len(found) > 1:
        return None, "more than one grade named"
    return None, "no grade"


def pn_category(text: str) -> Parsed:
    found = {m.group(1) for m in _PN.finditer(text)}
    return _category(found, "N")


def pn_ratio(text: str) -> tuple[int, int] | None:
    """(positive, examined) written after the pN category: "pN0 (0/11)"."""
    match = _PN_RATIO.search(text)
    if match is None:
        return None
    positive, examined = int(match.group(1)), int(match.group(2))
    return (positive, examined) if positive <= examined else None


def pm_category(text: str) -> Parsed:
    found = {m.group(1) for m in _PM.finditer(text)} | {
        m.group(1) for m in _PM_IN_TNM.finditer(text)
    }
    return _category(found, "M")


def _category(found: set[str], letter: str) -> Parsed:
    if not found:
        return None, f"no {letter} category"
    if found == {"X"}:
        return None, f"{letter}X: cannot be assessed"
    return any(n not in ("0", "X") for n in found), None


def uicc_invasion(text: str) -> dict[str, bool]:
    """{"l": ..., "v": ..., "pn": ...} for the UICC categories written in the text."""
    out: dict[str, bool] = {}
    for match in _UICC.finditer(text):
        kind, number = match.groups()
        if number != "X":
            out[kind.lower()] = out.get(kind.lower(), False) or number != "0"
    return out
