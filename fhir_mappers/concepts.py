"""A neutral view of CodeableConcept / Coding JSON: (system, code) pairs and lower-cased text.

Built from the raw JSON, so it is total over any input (used to decide whether a resource is
relevant before validating it) and exact for validated resources.

Text cap (issue 11.1): a Concept keeps at most `MAX_CONCEPT_TEXT` (4,000) characters of text, so
no pattern `says` runs over more. A CodeableConcept's text and displays are labels; 4,000
characters hold any label many times over, and report prose (DiagnosticReport.conclusion,
presentedForm) is the report-text reader's job, not read here. Every pattern used here is
linear in the text (literal alternations, bounded or possessive quantifiers).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

from fhir_mappers.codes import _SYSTEM_ALIASES  # canonical_system, read without a call

MAX_CONCEPT_TEXT = 4000
T = TypeVar("T")


@dataclass(frozen=True, init=False)
class Concept:
    codings: tuple[tuple[str, str], ...] = ()
    text: str = ""

    def __init__(self, codings: tuple[tuple[str, str], ...] = (), text: str = "") -> None:
        # the dataclass's own __init__ and a __post_init__ cap, in one step: the instance dict
        # is written directly (a frozen dataclass's __init__ calls object.__setattr__ per
        # field); ~20 Concepts per record, each built in half the time
        fields = self.__dict__
        fields["codings"] = codings
        fields["text"] = text if len(text) <= MAX_CONCEPT_TEXT else text[:MAX_CONCEPT_TEXT]

    @classmethod
    def of_text(cls, text: str) -> Concept:
        """Free text (e.g. a valueString) as a Concept: lower-cased and capped."""
        return cls(text=text[:MAX_CONCEPT_TEXT].lower())

    def has_any(self, table: Iterable[tuple[str, str]] | Mapping[tuple[str, str], object]) -> bool:
        # a plain loop, not any(<genexpr>): called ~160 times per record, mostly with 0-2
        # codings, where building the generator costs more than the lookups
        for c in self.codings:  # noqa: SIM110
            if c in table:
                return True
        return False

    def first_in(self, table: Mapping[tuple[str, str], object]) -> object | None:
        for c in self.codings:
            if c in table:
                return table[c]
        return None

    def codes_of(self, system: str) -> tuple[str, ...]:
        return tuple(code for sys, code in self.codings if sys == system)

    def says(self, pattern: str) -> bool:
        return bool(self.text) and _regex(pattern).search(self.text) is not None

    def says_stemmed(self, pattern: str, stems: tuple[str, ...]) -> bool:
        """`says(pattern)`, for a pattern each match of which holds one of `stems` (literal
        text): a text holding none is not searched (substring checks instead of a regex pass
        that may try every word start)."""
        text = self.text
        return holds_any(text, stems) and _regex(pattern).search(text) is not None

    def groups(self, pattern: str) -> set[str]:
        """Group 1 of every match of `pattern` in the text."""
        return {m.group(1) for m in _regex(pattern).finditer(self.text)} if self.text else set()

    def pairs(self, pattern: str) -> set[tuple[str, str]]:
        """Groups 1 and 2 of every match of `pattern` in the text."""
        if not self.text:
            return set()
        return {(m.group(1), m.group(2)) for m in _regex(pattern).finditer(self.text)}

    def without(self, pattern: str) -> Concept:
        """The same codings, with every match of `pattern` blanked out of the text."""
        if not self.text:
            return self
        return Concept(self.codings, _regex(pattern).sub(" ", self.text))

    def __or__(self, other: Concept) -> Concept:
        # an empty side adds nothing: the other one is the union (Concepts are immutable)
        if not other.codings and not other.text:
            return self
        if not self.codings and not self.text:
            return other
        if not other.text or not self.text:
            return Concept(self.codings + other.codings, self.text or other.text)
        return Concept(self.codings + other.codings, f"{self.text} | {other.text}")


EMPTY = Concept()


def holds_any(text: str, stems: tuple[str, ...]) -> bool:
    """Whether `text` holds one of `stems` (literal text): a few substring checks before a
    search of a pattern every match of which holds a stem."""
    # a plain loop, not any(<genexpr>): asked for every Observation's and Condition's name
    for stem in stems:  # noqa: SIM110
        if stem in text:
            return True
    return False


@lru_cache(maxsize=512)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


# id(raw) -> (raw, its Concept) while one record is mapped (`one_record`): the mappers read the
# same code of a resource several times (~5 per element). Keyed by identity, not content, and
# holding `raw` so its id cannot be reused; the record's JSON is never changed while mapped.
_MEMO: ContextVar[dict[object, tuple[object, Any]] | None] = ContextVar(
    "fhir_mappers_concepts", default=None
)


class _OneRecord:
    """`one_record()`'s context manager: a class, not a @contextmanager generator (which
    builds a generator and its wrapper per record)."""

    __slots__ = ("_token",)

    def __enter__(self) -> None:
        self._token = _MEMO.set({})

    def __exit__(self, *exc: object) -> None:
        _MEMO.reset(self._token)


def one_record() -> _OneRecord:
    """While mapping one record: each JSON object's Concept is built once."""
    return _OneRecord()


_CONTAINERS = (dict, list)  # a tuple: `dict | list` would build a UnionType on every call


def per_record(kind: str, subject: object, arg: Hashable, build: Callable[[], T]) -> T:
    """`build()`, once per (kind, subject, arg) while one record is mapped (`one_record`), for
    what the mappers derive from the same part of a record several times (`subject` is held by
    identity, `arg` by value; a None `subject` keys by `arg` alone). Outside a record: each time."""
    memo = _MEMO.get()
    if memo is None:
        return build()
    key = (kind, id(subject), arg)
    hit = memo.get(key)
    if hit is not None and hit[0] is subject:
        return hit[1]
    value = build()
    memo[key] = (subject, value)
    return value


def concept(raw: object) -> Concept:
    """A CodeableConcept (or a bare Coding, or a list of either) as a Concept."""
    memo = _MEMO.get()
    if memo is None or not isinstance(raw, _CONTAINERS):
        return _concept(raw)
    hit = memo.get(id(raw))
    if hit is not None and hit[0] is raw:
        return hit[1]
    found = _concept(raw)
    memo[id(raw)] = (raw, found)
    return found


def _concept(raw: object) -> Concept:
    if isinstance(raw, list):
        out = EMPTY
        for item in raw[:64]:  # more codings than this is not a concept but a flood
            out = out | concept(item)
        return out
    if not isinstance(raw, dict):
        return EMPTY
    codings: list[tuple[str, str]] = []
    texts: list[str] = []
    items = raw.get("coding")
    for coding in items[:64] if isinstance(items, list) else [raw]:
        if not isinstance(coding, dict):
            continue
        get = coding.get
        code = get("code")
        if isinstance(code, str):
            system = get("system")
            if isinstance(system, str):
                codings.append((_SYSTEM_ALIASES.get(system, system), code.strip()))
            texts.append(code[:MAX_CONCEPT_TEXT])
        display = get("display")
        if isinstance(display, str):
            texts.append(display[:MAX_CONCEPT_TEXT])
    text = raw.get("text")
    if isinstance(text, str):
        texts.append(text[:MAX_CONCEPT_TEXT])
    return Concept(tuple(codings), " | ".join(texts)[:MAX_CONCEPT_TEXT].lower())


def concept_of_model(model: object) -> Concept:
    """A validated CodeableConcept model as a Concept: the same as `concept` of its JSON, read
    from the model's attributes instead of serialising it (`model_dump` cost ~0.1 ms each)."""
    if model is None:
        return EMPTY
    # `_concept` of {"coding": [...], "text": ...} as the attributes give them, read straight
    # from the attributes (not through a dict built per coding and per call)
    codings: list[tuple[str, str]] = []
    texts: list[str] = []
    for coding in (getattr(model, "coding", None) or ())[:64]:
        code = getattr(coding, "code", None)
        if isinstance(code, str):
            system = getattr(coding, "system", None)
            if isinstance(system, str):
                codings.append((_SYSTEM_ALIASES.get(system, system), code.strip()))
            texts.append(code[:MAX_CONCEPT_TEXT])
        display = getattr(coding, "display", None)
        if isinstance(display, str):
            texts.append(display[:MAX_CONCEPT_TEXT])
    text = getattr(model, "text", None)
    if isinstance(text, str):
        texts.append(text[:MAX_CONCEPT_TEXT])
    return Concept(tuple(codings), " | ".join(texts)[:MAX_CONCEPT_TEXT].lower())


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
