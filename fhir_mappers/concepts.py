"""A neutral view of CodeableConcept / Coding JSON: (system, code) pairs and lower-cased text.

Built from the raw JSON, so it is total over any input (used to decide whether a resource is
relevant before validating it) and exact for validated resources.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from fhir_mappers.codes import canonical_system


@dataclass(frozen=True)
class Concept:
    codings: tuple[tuple[str, str], ...] = ()
    text: str = ""

    def has_any(self, table: Iterable[tuple[str, str]] | Mapping[tuple[str, str], object]) -> bool:
        return any(c in table for c in self.codings)

    def first_in(self, table: Mapping[tuple[str, str], object]) -> object | None:
        for c in self.codings:
            if c in table:
                return table[c]
        return None

    def codes_of(self, system: str) -> tuple[str, ...]:
        return tuple(code for sys, code in self.codings if sys == system)

    def says(self, pattern: str) -> bool:
        return bool(self.text) and _regex(pattern).search(self.text) is not None

    def __or__(self, other: Concept) -> Concept:
        return Concept(self.codings + other.codings, f"{self.text} | {other.text}".strip(" |"))


EMPTY = Concept()


@lru_cache(maxsize=512)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def concept(raw: object) -> Concept:
    """A CodeableConcept (or a bare Coding, or a list of either) as a Concept."""
    if isinstance(raw, list):
        out = EMPTY
        for item in raw:
            out = out | concept(item)
        return out
    if not isinstance(raw, dict):
        return EMPTY
    codings: list[tuple[str, str]] = []
    texts: list[str] = []
    items = raw.get("coding")
    for coding in items if isinstance(items, list) else [raw]:
        if not isinstance(coding, dict):
            continue
        system, code, display = coding.get("system"), coding.get("code"), coding.get("display")
        if isinstance(system, str) and isinstance(code, str):
            codings.append((canonical_system(system), code.strip()))
        if isinstance(code, str):
            texts.append(code)
        if isinstance(display, str):
            texts.append(display)
    text = raw.get("text")
    if isinstance(text, str):
        texts.append(text)
    return Concept(tuple(codings), " | ".join(texts).lower())


def text_of(value: object) -> str:
    return value.lower() if isinstance(value, str) else ""


def field(raw: object, *path: str) -> object:
    """raw[path[0]][path[1]]... or None, tolerating any shape."""
    cur = raw
    for key in path:
        if not isinstance(cur, dict):
            return None
        cur = cur.get(key)
    return cur


def items(raw: object, key: str) -> list[object]:
    value = raw.get(key) if isinstance(raw, dict) else None
    return value if isinstance(value, list) else []


def label(raw: object) -> str:
    """A human label for a CodeableConcept: its text, else the first display, else ''."""
    if not isinstance(raw, dict):
        return ""
    text = raw.get("text")
    if isinstance(text, str) and text.strip():
        return text.strip()[:120]
    for coding in items(raw, "coding"):
        display = field(coding, "display")
        if isinstance(display, str) and display.strip():
            return display.strip()[:120]
    return ""
