"""One evaluator for every score definition: factors, points range, tiers, missing data."""

from __future__ import annotations

from itertools import product

from scoring.assessment import FactorResult, ScoreResult, ScoreStatus, Tier, sorted_tiers
from scoring.definition import FactorDefinition, ScoreDefinition, max_points
from scoring.factors import FACTOR_MISSING_DATA, FACTOR_READERS, FactorValue
from scoring.inputs import ClinicalInputs
from scoring.population import check_population


def evaluate(
    definition: ScoreDefinition, inputs: ClinicalInputs, *, weights_origin: str = "published"
) -> ScoreResult:
    eligibility = check_population(definition.population, inputs)
    common = {
        "id": definition.id,
        "title": definition.title,
        "citation": definition.citation,
        "citation_url": definition.citation_url,
        "eligible": eligibility.eligible,
    }
    if eligibility.eligible is False:
        return ScoreResult(**common, status=ScoreStatus.NOT_APPLICABLE, reason=eligibility.reason)

    values = {f.id: FACTOR_READERS[f.id](inputs) for f in definition.factors}
    weighted = definition.weighted
    factors = [_factor_result(f, values[f.id], weighted) for f in definition.factors]
    missing = list(eligibility.missing)
    for factor in definition.factors:
        need = FACTOR_MISSING_DATA[factor.id]
        if values[factor.id].value is None and need not in missing:
            missing.append(need)
    present = sum(1 for v in values.values() if v.value is True)
    unknown = sum(1 for v in values.values() if v.value is None)
    notes = list(eligibility.notes)
    if eligibility.eligible is None:
        notes.append("Eligibility not established: see missing data.")

    if not weighted:
        return ScoreResult(
            **common,
            status=ScoreStatus.FACTORS_ONLY,
            factors=factors,
            present=present,
            unknown=unknown,
            missing=missing,
            notes=notes,
        )

    totals = achievable_totals(definition.factors, {k: v.value for k, v in values.items()})
    tiers = {tier_for(definition, total) for total in totals}
    determined = len(totals) == 1
    return ScoreResult(
        **common,
        status=ScoreStatus.SCORED if unknown == 0 else ScoreStatus.PARTIAL,
        weights_origin=weights_origin,
        points=min(totals) if determined else None,
        points_range=[min(totals), max(totals)],
        max_points=max_points(definition.factors),
        tier=next(iter(tiers)) if len(tiers) == 1 else None,
        possible_tiers=sorted_tiers(tiers),
        factors=factors,
        present=present,
        unknown=unknown,
        missing=missing,
        notes=notes,
    )


def _factor_result(factor: FactorDefinition, value: FactorValue, weighted: bool) -> FactorResult:
    weight = factor.points if weighted else None
    points = None if weight is None or value.value is None else (weight if value.value else 0)
    return FactorResult(
        id=factor.id,
        label=factor.label,
        value=value.value,
        weight=weight,
        points=points,
        source=value.sources[0] if value.sources else None,
        sources=list(value.sources),
        detail=value.detail,
    )


def achievable_totals(
    factors: tuple[FactorDefinition, ...], values: dict[str, bool | None]
) -> set[int]:
    """Every total the unknown factors could still produce, with at most one factor present in
    each exclusive group."""
    choices: list[set[int]] = []
    groups: dict[str, list[FactorDefinition]] = {}
    for factor in factors:
        if factor.exclusive_group is not None:
            groups.setdefault(factor.exclusive_group, []).append(factor)
            continue
        points = factor.points or 0
        value = values[factor.id]
        choices.append({0, points} if value is None else {points if value else 0})
    for members in groups.values():
        present = [f.points or 0 for f in members if values[f.id] is True]
        if present:
            # Two bands of one input both present can only be a data error: take the worse.
            choices.append({max(present)})
        else:
            choices.append({0} | {f.points or 0 for f in members if values[f.id] is None})
    return {sum(combo) for combo in product(*choices)}


def tier_for(definition: ScoreDefinition, total: int) -> Tier:
    for band in definition.tiers:
        if band.contains(total):
            return band.tier
    raise ValueError(f"{definition.id}: no tier covers {total} points")
