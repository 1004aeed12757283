"""Choosing one value per input when the record holds several (clinical.md §3, §3.2).

Policy, in order: a value from the resection specimen beats any other; then the latest by
effective time (unknown time counts as oldest); values tied on both that disagree are resolved
to the higher-risk one, and the Fact's note says so.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import reduce
from typing import Any, Generic, NamedTuple, TypeVar

from fhir_mappers.timing import Span
from scoring.inputs import Fact

T = TypeVar("T")

# The unknown Fact, built once: a Fact is frozen, so every mapper that knows nothing can hand
# out the same one (building one costs ~1 us; several per record know nothing)
NO_FACT: Fact[Any] = Fact()


class Candidate(NamedTuple, Generic[T]):
    # read by attribute only (and `_replace`d): a NamedTuple is built in a quarter of the time
    # of a frozen dataclass (one per value an Observation gives)
    value: T
    source: str
    from_resection: bool = False
    when: Span | None = None
    note: str | None = None
    also: tuple[str, ...] = ()  # further resources the value rests on (UICC L0 needs V0)


_new = object.__new__


def fact_of(value: Any, sources: tuple[str, ...], note: str | None) -> Fact[Any]:
    """`Fact(value, sources, note)`, built by writing its instance dict: a frozen dataclass's
    __init__ sets each of its five fields through object.__setattr__ (~0.8 us; one per input a
    record has a value for). The same instance (a test checks Fact's fields and defaults)."""
    fact = _new(Fact)
    fact.__dict__.update(
        {"value": value, "sources": sources, "note": note, "quote": None, "text_disagreement": None}
    )
    return fact


def _rank(c: Candidate[T]) -> tuple[bool, date, date]:
    if c.when is None:
        return (c.from_resection, date.min, date.min)
    return (c.from_resection, c.when.last, c.when.first)


def select(candidates: list[Candidate[T]], worse: Callable[[T, T], T], label: str) -> Fact[T]:
    if not candidates:
        return NO_FACT
    if len(candidates) == 1 and candidates[0].value == candidates[0].value:
        # the usual case, without ranking or conflicts: what the general path gives for one
        # (the `==` check leaves a NaN, which equals nothing, to the general path)
        only = candidates[0]
        sources = tuple(dict.fromkeys((only.source, *only.also))) if only.also else (only.source,)
        return fact_of(only.value, sources, only.note or None)
    best = max(_rank(c) for c in candidates)
    top = [c for c in candidates if _rank(c) == best]
    value = reduce(worse, (c.value for c in top))
    chosen = [c for c in top if c.value == value]
    others = [c for c in top if c.value != value]
    sources = _unique(
        [s for c in chosen for s in (c.source, *c.also)]
        + [s for c in others for s in (c.source, *c.also)]
    )
    notes = _unique([c.note for c in chosen if c.note])
    if others:
        listing = ", ".join(f"{c.source}: {_show(c.value)}" for c in top)
        notes.append(
            f"conflicting {label} from equally final sources ({listing}); "
            f"used the higher-risk value {_show(value)}"
        )
    elif len(top) < len(candidates):
        notes.append(_why_chosen(top[0], len(candidates)))
    return Fact(value=value, sources=tuple(sources), note="; ".join(notes) or None)


def _why_chosen(c: Candidate[T], total: int) -> str:
    reason = "from the resection specimen" if c.from_resection else "the latest"
    return f"{total} values on record; used the one {reason}"


def _show(value: object) -> str:
    return str(value.value) if hasattr(value, "value") else str(value)


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


# --- "worse" (higher-risk) orders per input -------------------------------------------------
def higher(a: T, b: T) -> T:
    return a if a >= b else b  # type: ignore[operator]


def lower(a: T, b: T) -> T:
    return a if a <= b else b  # type: ignore[operator]


def true_wins(a: bool, b: bool) -> bool:
    return a or b
