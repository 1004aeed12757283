"""Which CDS Hooks indicator an assessment card carries (cds-api.md "Cards").

- info: low or very-low, and nothing raises surveillance above that;
- warning: intermediate, high not overdue, and every undetermined tier (we cannot reassure with
  `info` when a higher tier is still possible, and `critical` is kept for an established high);
- critical: only an established high tier (overall_tier, not merely possible) with overdue
  surveillance;
- out of scope: info (nothing to act on).
"""

from __future__ import annotations

from cds_service.cards.models import Indicator
from scoring.assessment import Assessment, Tier, tier_rank


def effective_tier(assessment: Assessment) -> Tier | None:
    """The overall tier, raised to the surveillance tier when guideline flags (clinical.md §4)
    made surveillance more intensive than the scores alone; None when undetermined."""
    overall = assessment.overall_tier
    if overall is None:
        return None
    plan = assessment.surveillance
    if plan is not None and plan.tier is not None and tier_rank(plan.tier) > tier_rank(overall):
        return plan.tier
    return overall


def choose_indicator(assessment: Assessment) -> Indicator:
    if not assessment.in_scope:
        return Indicator.INFO
    tier = effective_tier(assessment)
    if tier is None:
        return Indicator.WARNING
    overdue = assessment.surveillance is not None and assessment.surveillance.overdue
    if assessment.overall_tier is Tier.HIGH and overdue:
        return Indicator.CRITICAL
    if tier in (Tier.INTERMEDIATE, Tier.HIGH):
        return Indicator.WARNING
    return Indicator.INFO
