"""Combining scores into the overall tier and the surveillance tier (clinical.md §2.4, §4)."""

from __future__ import annotations

from collections.abc import Collection
from typing import NamedTuple

from scoring.assessment import ScoreResult, Tier, fields_of, sorted_tiers, tier_rank
from scoring.factors import FACTOR_MISSING_DATA, FactorValue, node_positive
from scoring.grade import GradeFinding, derive_grade
from scoring.inputs import ClinicalInputs, Grade

# clinical.md §2.4/§4 (CommNETS/NANETS): node-positive or Ki-67 > 5 % → at least
# intermediate-intensity surveillance.
GUIDELINE_KI67_ABOVE = 5.0
GUIDELINE_FLOOR = Tier.INTERMEDIATE
# clinical.md §4: very low = G1, N0, < 2 cm, no higher tier.
VERY_LOW_SIZE_BELOW_CM = 2.0
_SCORABLE = frozenset({Tier.LOW, Tier.INTERMEDIATE, Tier.HIGH})


def overall_tiers(
    scores: list[ScoreResult], *, established: Collection[str] | None = None
) -> set[Tier]:
    """Tiers the overall (highest) tier can still take; empty when no score produced a tier.

    `established` names the scores whose population the patient is known to be in (default:
    all). A score whose eligibility is still uncertain may yet drop out, so its tiers are
    possible but do not raise the floor: the known data cannot establish them (§3.2)."""
    # The fields read from the results' dicts (`fields_of`).
    tiered = [s for s in map(fields_of, scores) if s["possible_tiers"]]
    if not tiered:
        return set()
    floors = [
        min(map(tier_rank, s["possible_tiers"]))
        for s in tiered
        if established is None or s["id"] in established
    ]
    floor = max(floors, default=0)
    return {t for s in tiered for t in s["possible_tiers"] if tier_rank(t) >= floor}


class GuidelineFlag(NamedTuple):
    text: str
    value: bool | None
    settled_by: str


def guideline_flags(
    inputs: ClinicalInputs, *, nodes: FactorValue | None = None
) -> list[GuidelineFlag]:
    """`nodes`: `node_positive(inputs)` when the caller has it already."""
    if nodes is None:
        nodes = node_positive(inputs)
    ki67 = inputs.ki67_percent
    above = None if ki67.value is None else ki67.value > GUIDELINE_KI67_ABOVE
    return [
        GuidelineFlag(
            _flag_text("Lymph-node positive", nodes.value, nodes.sources),
            nodes.value,
            FACTOR_MISSING_DATA["node_positive"],
        ),
        GuidelineFlag(
            _flag_text("Ki-67 > 5 %", above, ki67.sources), above, FACTOR_MISSING_DATA["ki67_gt_20"]
        ),
    ]


def _flag_text(name: str, value: bool | None, sources: tuple[str, ...]) -> str:
    where = f" ({', '.join(sources)})" if sources else ""
    if value is None:
        return f"{name}: unknown{where}; if so, at least intermediate-intensity surveillance"
    state = "yes" if value else "no"
    return f"{name}: {state}{where}" + (
        " → at least intermediate-intensity surveillance (CommNETS/NANETS)" if value else ""
    )


def surveillance_tiers(
    overall: set[Tier], flags: list[GuidelineFlag], *, maybe_untiered: bool = False
) -> set[Tier]:
    """Tiers surveillance may need, after the guideline floor. With no scored tier at all, every
    tier stays possible: nothing shows the patient is low risk. The same holds when every tier
    comes from scores whose eligibility is uncertain (`maybe_untiered`): they may all drop out."""
    base = overall if overall and not maybe_untiered else overall | set(_SCORABLE)
    if any(f.value is True for f in flags):
        floors = {GUIDELINE_FLOOR}
    elif any(f.value is None for f in flags):
        floors = {Tier.LOW, GUIDELINE_FLOOR}
    else:
        floors = {Tier.LOW}
    return {max(t, floor, key=tier_rank) for t in base for floor in floors}


def is_very_low(
    inputs: ClinicalInputs,
    surveillance: set[Tier],
    *,
    grade: GradeFinding | None = None,
    nodes: FactorValue | None = None,
) -> bool:
    """G1, N0 and < 2 cm, when low is the only tier left (clinical.md §4). `grade`, `nodes`:
    `derive_grade(inputs)` and `node_positive(inputs)` when the caller has them already."""
    size = inputs.tumor_size_cm.value
    return (
        surveillance == {Tier.LOW}
        and (grade or derive_grade(inputs)).possible == {Grade.G1}
        and (nodes or node_positive(inputs)).value is False
        and size is not None
        and size < VERY_LOW_SIZE_BELOW_CM
    )


def describe(tiers: set[Tier]) -> str:
    return " / ".join(t.value for t in sorted_tiers(tiers))
