"""One evaluator for every score definition: factors, points range, tiers, missing data."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from scoring.assessment import (
    FactorResult,
    Make,
    Maker,
    ScoreResult,
    ScoreStatus,
    Tier,
    sorted_tiers,
    validated,
)
from scoring.definition import Population, ScoreDefinition, max_points
from scoring.factors import FACTOR_MISSING_DATA, FACTOR_READERS, FactorValue
from scoring.inputs import ClinicalInputs
from scoring.population import PopulationCheck, population_check


@dataclass(frozen=True)
class _Factor:
    id: str
    label: str
    weight: int | None  # points when present; None for a factors-only score
    read: Callable[[ClinicalInputs], FactorValue]
    need: str  # what to record to settle it when unknown


@dataclass(frozen=True)
class CompiledScore:
    """What evaluating one definition needs that depends only on the definition (and the origin
    of its weights): derived once per site configuration, not once per patient."""

    id: str
    title: str
    citation: str
    citation_url: str
    population: Population
    weights_origin: str
    weighted: bool
    # Its population's check.
    check_population: PopulationCheck
    factors: tuple[_Factor, ...]
    max_points: int
    # Outside exclusive groups: (factor index, points); each group: its members so.
    singles: tuple[tuple[int, int], ...]
    groups: tuple[tuple[tuple[int, int], ...], ...]
    tier_of: Mapping[int, Tier]  # total → tier, for every total a band covers
    definition: ScoreDefinition


def compile_score(definition: ScoreDefinition, weights_origin: str = "published") -> CompiledScore:
    weighted = definition.weighted
    factors = tuple(
        _Factor(
            f.id,
            f.label,
            f.points if weighted else None,
            FACTOR_READERS[f.id],
            FACTOR_MISSING_DATA[f.id],
        )
        for f in definition.factors
    )
    singles = tuple(
        (i, f.points or 0) for i, f in enumerate(definition.factors) if f.exclusive_group is None
    )
    members: dict[str, list[tuple[int, int]]] = {}
    for i, f in enumerate(definition.factors):
        if f.exclusive_group is not None:
            members.setdefault(f.exclusive_group, []).append((i, f.points or 0))
    top = max_points(definition.factors)
    tier_of = {}
    for total in range(top + 1):
        band = next((b for b in definition.tiers if b.contains(total)), None)
        if band is not None:
            tier_of[total] = band.tier
    return CompiledScore(
        id=definition.id,
        title=definition.title,
        citation=definition.citation,
        citation_url=definition.citation_url,
        population=definition.population,
        weights_origin=weights_origin,
        weighted=weighted,
        check_population=population_check(definition.population),
        factors=factors,
        max_points=top,
        singles=singles,
        groups=tuple(tuple(m) for m in members.values()),
        tier_of=MappingProxyType(tier_of),
        definition=definition,
    )


def evaluate(
    definition: ScoreDefinition, inputs: ClinicalInputs, *, weights_origin: str = "published"
) -> ScoreResult:
    return evaluate_compiled(compile_score(definition, weights_origin), inputs, {})


_FACTOR = Maker(
    FactorResult, ("id", "label", "value", "weight", "points", "source", "sources", "detail")
)
_HEAD = ("id", "title", "citation", "citation_url", "eligible", "status")
_NOT_APPLICABLE = Maker(ScoreResult, (*_HEAD, "reason"))
_FACTORS_ONLY = Maker(ScoreResult, (*_HEAD, "factors", "present", "unknown", "missing", "notes"))
_WEIGHTED = Maker(
    ScoreResult,
    (
        *_HEAD,
        "weights_origin",
        "points",
        "points_range",
        "max_points",
        "tier",
        "possible_tiers",
        "factors",
        "present",
        "unknown",
        "missing",
        "notes",
    ),
)


def evaluate_compiled(
    score: CompiledScore,
    inputs: ClinicalInputs,
    values: dict[str, FactorValue],
    make: Make = validated,
) -> ScoreResult:
    """`values`: the factor values read so far in this assessment, by factor id; those this
    score reads are added (the scores share factors: each is read once per patient)."""
    eligibility = score.check_population(inputs, values.get("node_positive"))
    eligible = eligibility.eligible
    if eligible is False:
        return _NOT_APPLICABLE.using(make)(
            id=score.id,
            title=score.title,
            citation=score.citation,
            citation_url=score.citation_url,
            eligible=eligible,
            status=ScoreStatus.NOT_APPLICABLE,
            reason=eligibility.reason,
        )

    new_factor = _FACTOR.using(make)
    read: list[FactorValue] = []
    factors: list[FactorResult] = []
    missing = list(eligibility.missing)
    present = unknown = 0
    for factor in score.factors:
        value = values.get(factor.id)
        if value is None:
            value = values[factor.id] = factor.read(inputs)
        read.append(value)
        known, sources, detail = value
        weight = factor.weight
        if known is None:
            unknown += 1
            if factor.need not in missing:
                missing.append(factor.need)
            points = None
        else:
            if known is True:
                present += 1
            points = None if weight is None else (weight if known else 0)
        factors.append(
            new_factor(
                id=factor.id,
                label=factor.label,
                value=known,
                weight=weight,
                points=points,
                source=sources[0] if sources else None,
                sources=list(sources),
                detail=detail,
            )
        )
    notes = list(eligibility.notes)
    if eligible is None:
        notes.append("Eligibility not established: see missing data.")

    if not score.weighted:
        return _FACTORS_ONLY.using(make)(
            id=score.id,
            title=score.title,
            citation=score.citation,
            citation_url=score.citation_url,
            eligible=eligible,
            status=ScoreStatus.FACTORS_ONLY,
            factors=factors,
            present=present,
            unknown=unknown,
            missing=missing,
            notes=notes,
        )

    totals = _totals(score, read)
    tiers = set(map(score.tier_of.get, totals))
    if None in tiers:  # a total no band covers: tier_for's ValueError
        tiers = {_tier(score, total) for total in totals}
    low, high = min(totals), max(totals)
    return _WEIGHTED.using(make)(
        id=score.id,
        title=score.title,
        citation=score.citation,
        citation_url=score.citation_url,
        eligible=eligible,
        status=ScoreStatus.SCORED if unknown == 0 else ScoreStatus.PARTIAL,
        weights_origin=score.weights_origin,
        points=low if len(totals) == 1 else None,
        points_range=[low, high],
        max_points=score.max_points,
        tier=next(iter(tiers)) if len(tiers) == 1 else None,
        possible_tiers=sorted_tiers(tiers),
        factors=factors,
        present=present,
        unknown=unknown,
        missing=missing,
        notes=notes,
    )


def _totals(score: CompiledScore, read: list[FactorValue]) -> set[int]:
    """Every total the unknown factors could still produce, with at most one factor present
    in each exclusive group, built up one factor (or group) at a time (the sums over every
    combination: tests/scoring_support.achievable_totals). The points of known factors are
    summed apart and added once at the end: a sum, not a set rebuilt per factor."""
    known = 0
    totals = {0}  # what the unknown factors may add
    for index, points in score.singles:
        value = read[index].value
        if value is None:
            totals |= {t + points for t in totals}
        elif value:
            known += points
    for members in score.groups:
        present = [points for index, points in members if read[index].value is True]
        if present:
            # Two bands of one input both present can only be a data error: take the worse.
            known += max(present)
        else:
            options = {0} | {points for index, points in members if read[index].value is None}
            if len(options) > 1:  # {0} alone adds nothing
                totals = {t + o for t in totals for o in options}
    return {t + known for t in totals} if known else totals


def _tier(score: CompiledScore, total: int) -> Tier:
    tier = score.tier_of.get(total)
    return tier if tier is not None else tier_for(score.definition, total)


def tier_for(definition: ScoreDefinition, total: int) -> Tier:
    for band in definition.tiers:
        if band.contains(total):
            return band.tier
    raise ValueError(f"{definition.id}: no tier covers {total} points")
