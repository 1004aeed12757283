"""`text_values.unit_in_name`'s early return (no unit hint in the name) against the word scan
it skips: the same answer for any name."""

from __future__ import annotations

import random

from fhir_mappers.text_values import _UNIT_WORDS, _WORD, MAX_NAME_TEXT, unit_in_name


def _scanned(name: str) -> str | None:
    words = _WORD.findall(name[:MAX_NAME_TEXT].lower())
    found = {_UNIT_WORDS[w] for w in words if w in _UNIT_WORDS}
    return found.pop() if len(found) == 1 else None


NAMES = [
    "",
    "Tumor size [mm]",
    "Greatest dimension (centimeters)",
    "Ki-67 (%)",
    "Ki-67 index percent",
    "Lymph nodes examined",
    "Number of regional lymph nodes with metastasis",
    "Size in MM or CM",
    "Largest dimension in Millimetres",
    "CENTIMETRE",
    "percentage of cells",
    "x" * 18 + "mm",  # a run of more than 20 letters is split: the tail is a word
    "a" * 20 + "cm",
    "İmm",  # lower() lengthens it
    "%%",
    "immunohistochemistry",
    "comment",
]


def test_unit_in_name_matches_the_word_scan() -> None:
    rng = random.Random(13)
    alphabet = "acdeilmnoprtx %-_İ" + "MC"
    names = list(NAMES)
    for _ in range(20000):
        names.append("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30))))
    for unit in _UNIT_WORDS:
        names += [unit, f"size ({unit})", f"{unit}{unit}", f"x{unit}y", unit.upper()]
    for name in names:
        assert unit_in_name(name) == _scanned(name), name
    assert unit_in_name("Tumor size [mm]") == "mm"
    assert unit_in_name("Lymph nodes examined") is None
