"""Data-validity bounds per numeric input (issue 11.11): a value outside them is refused with a
warning naming the resource, never scored.

These are SANITY bounds on what a measurement of this kind can be at all, chosen wide so that no
real value is ever refused. They are NOT clinical cut-offs and play no part in any score (those
come only from clinical.md §2-§3.1). A value inside the bounds is used as recorded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Bounds:
    low: float
    high: float
    low_inclusive: bool
    unit: str
    why: str

    def problem(self, value: float, label: str) -> str | None:
        if not math.isfinite(value):
            return f"{label} {value} is not a finite number"
        too_low = value < self.low or (value == self.low and not self.low_inclusive)
        if too_low or value > self.high:
            low = "[" if self.low_inclusive else "("
            return (
                f"{label} {value:g} {self.unit} is outside the plausible range "
                f"{low}{self.low:g}, {self.high:g}] ({self.why}); not used"
            )
        return None


PLAUSIBLE: dict[str, Bounds] = {
    # Greatest dimension of a resected GEP-NET: sizes are positive; the largest pancreatic
    # tumours reported are around 30 cm, so 50 cm (a tumour filling the abdomen) is a bound no
    # measurement reaches. Sanity bound, not a cut-off.
    "tumor_size_cm": Bounds(0.0, 50.0, False, "cm", "a tumour dimension is > 0 and <= 50 cm"),
    # Ki-67 labelling index is a percentage of tumour cells: 0-100 by definition.
    "ki67_percent": Bounds(0.0, 100.0, True, "%", "a percentage of cells"),
    # Mitoses per 2 mm² (about 10 high-power fields): the highest counts in G3 neoplasms are in
    # the low hundreds; 1000 per 2 mm² is beyond any count. Sanity bound, not a cut-off.
    "mitoses_per_2mm2": Bounds(0.0, 1000.0, True, "per 2 mm²", "a count of at most 1000"),
    # Regional lymph nodes in one specimen: extended lymphadenectomies yield well under 100;
    # 200 is beyond any specimen. Sanity bound, not a cut-off.
    "nodes_examined": Bounds(0.0, 200.0, True, "nodes", "a specimen holds at most 200 nodes"),
    "nodes_positive": Bounds(0.0, 200.0, True, "nodes", "a specimen holds at most 200 nodes"),
}


def implausible(name: str, value: float, label: str) -> str | None:
    """Why `value` cannot be a real value of input `name` (None when it can)."""
    bounds = PLAUSIBLE.get(name)
    return bounds.problem(value, label) if bounds else None
