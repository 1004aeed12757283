"""Which pathology inputs an Observation code carries, as lookups built once per input table.

`observations._carried_inputs` asks, for each Observation and each of its components, which of
the ~11 inputs' code sets it meets. Scanning every set (and rebuilding `codes | also` for each)
per Observation was most of the pathology mapper's cost; these tables depend only on the input
table (the published codes plus a site's, clinical.md §6c), so they are built once per table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

Key = tuple[str, str]


class Carried(Protocol):
    @property
    def codes(self) -> frozenset[Key]: ...
    @property
    def also(self) -> frozenset[Key]: ...


@dataclass(frozen=True)
class Carriers:
    known: frozenset[Key]  # every code of every input, and the codes that are not Ki-67
    by_value: dict[Key, frozenset[int]]  # code -> the inputs (by position) an Observation's
    by_component: dict[Key, frozenset[int]]  # value or component with it carries

    @classmethod
    def of(
        cls, inputs: Sequence[Carried], not_ki67: frozenset[Key], panel: frozenset[Key]
    ) -> Carriers:
        """`panel`: codes that carry an input only in a component (the tumour size panel)."""
        known = frozenset().union(*(i.codes | i.also for i in inputs)) | not_ki67
        by_value = _by_code((n, i.codes | i.also) for n, i in enumerate(inputs))
        by_component = _by_code((n, (i.codes | i.also) - panel) for n, i in enumerate(inputs))
        return cls(known, by_value, by_component)


def _by_code(sets: Iterable[tuple[int, frozenset[Key]]]) -> dict[Key, frozenset[int]]:
    out: dict[Key, set[int]] = {}
    for n, keys in sets:
        for key in keys:
            out.setdefault(key, set()).add(n)
    return {key: frozenset(found) for key, found in out.items()}


def carrying(codings: tuple[Key, ...], table: dict[Key, frozenset[int]]) -> list[int]:
    """The positions of the inputs any of `codings` carries, in table order."""
    if len(codings) == 1:  # the usual code: one coding, no union to build
        one = table.get(codings[0])
        return sorted(one) if one is not None else []
    found: set[int] = set()
    for key in codings:
        hit = table.get(key)
        if hit is not None:
            found |= hit
    return sorted(found)
