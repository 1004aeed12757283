"""The shape of a score definition: frozen data that one evaluator (`evaluate.py`) reads."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from scoring.assessment import Tier


class Population(StrEnum):
    """Which patients a score was derived in (clinical.md §1, §2); checked by `population.py`."""

    PANNET_NONFUNCTIONING = "resected non-functioning non-metastatic PanNET"
    PANNET_PN0_8_NODES = "resected localized PanNET, pN0 with >= 8 regional nodes examined"
    GEP_NET = "resected gastro-entero-pancreatic NET"


class DefinitionStatus(StrEnum):
    VALIDATED = "validated"
    FACTORS_ONLY = "factors-only"


@dataclass(frozen=True)
class FactorDefinition:
    id: str
    label: str
    # Points when present; None for factors-only scores until a site configuration supplies them.
    points: int | None = None
    # Factors sharing a group are mutually exclusive categories of one input (e.g. Ki-67 bands):
    # at most one of them can be present, which the points range must respect.
    exclusive_group: str | None = None


@dataclass(frozen=True)
class TierBand:
    tier: Tier
    min_points: int
    max_points: int

    def contains(self, points: int) -> bool:
        return self.min_points <= points <= self.max_points


@dataclass(frozen=True)
class ScoreDefinition:
    id: str
    version: str
    title: str
    citation: str
    citation_url: str
    population: Population
    status: DefinitionStatus
    factors: tuple[FactorDefinition, ...]
    tiers: tuple[TierBand, ...] = ()
    # For factors-only scores: the total a site's weights must reach (clinical.md §6), if known.
    required_max_points: int | None = None

    @property
    def weighted(self) -> bool:
        return all(f.points is not None for f in self.factors) and bool(self.tiers)

    @property
    def factor_ids(self) -> tuple[str, ...]:
        return tuple(f.id for f in self.factors)


def max_points(factors: tuple[FactorDefinition, ...]) -> int:
    """The highest total the factors can reach, counting one factor per exclusive group."""
    total = 0
    best_in_group: dict[str, int] = {}
    for factor in factors:
        points = factor.points or 0
        if factor.exclusive_group is None:
            total += points
        else:
            best_in_group[factor.exclusive_group] = max(
                best_in_group.get(factor.exclusive_group, 0), points
            )
    return total + sum(best_in_group.values())
