"""Which CDS Hooks indicator an assessment card carries (cds-api.md "Cards").

The interface maps tiers to indicators: `info` for low / very low, `warning` for intermediate,
`critical` only for high with surveillance overdue. It does not say what an overdue exam of a
lower tier is. A patient whose abdominal CT/MRI is months overdue has something to act on, which
`info` ("nothing needs doing") would hide, so the reading taken here is the conservative one:

- info: low or very low, with surveillance not overdue, and nothing raising it above that;
- warning: intermediate; high not overdue; every undetermined tier (we cannot reassure with
  `info` when a higher tier is still possible); and any overdue surveillance whatever the tier;
- critical: only an established high tier (overall_tier, not merely possible or scheduled as
  high for want of data) with overdue surveillance, exactly as the interface says;
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
    overdue = assessment.surveillance is not None and assessment.surveillance.overdue
    if assessment.overall_tier is Tier.HIGH and overdue:
        return Indicator.CRITICAL
    tier = effective_tier(assessment)
    if tier is None or overdue:
        return Indicator.WARNING
    if tier in (Tier.INTERMEDIATE, Tier.HIGH):
        return Indicator.WARNING
    return Indicator.INFO
