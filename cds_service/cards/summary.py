"""The card's one-line summary: the tier (or "incomplete data"), the leading score, the schedule
when it differs from that tier, and the next imaging date, shortened until it fits the CDS Hooks
limit (< 140 characters).

A schedule set by another tier than the score's (very low for a low score that is also G1, N0,
< 2 cm; intermediate from the guideline floor; the highest possible tier when the tier is open)
is always named, so the summary never implies a schedule the detail contradicts.

Only enum values, integers and ISO dates go into the summary, never record text.
"""

from __future__ import annotations

import re

from cds_service.cards.models import SUMMARY_LIMIT
from cds_service.cards.source import driving_score, short_name
from scoring.assessment import (
    Assessment,
    ScoreResult,
    SurveillancePlan,
    Tier,
    sorted_tiers,
    tier_rank,
)
from scoring.scope import OutOfScope

PREFIX = "NET recurrence risk: "
OUT_OF_SCOPE_SUMMARY = (
    "NET recurrence risk not assessed: outside the scores' populations (see details)"
)
# A recurrence is not a population rule: the patient has left post-resection surveillance.
RECURRENCE_SUMMARY = "NET recurrence risk not assessed: recurrence on record (see details)"
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

TIER_WORDS: dict[Tier, str] = {
    Tier.VERY_LOW: "very low",
    Tier.LOW: "low",
    Tier.INTERMEDIATE: "intermediate",
    Tier.HIGH: "high",
}


def tier_phrase(assessment: Assessment) -> str:
    if assessment.overall_tier is not None:
        return TIER_WORDS[assessment.overall_tier]
    possible = sorted_tiers(set(assessment.possible_tiers))
    if not possible:
        return "tier not determined"
    words = [TIER_WORDS[t] for t in possible]
    ranks = [tier_rank(t) for t in possible]
    if len(possible) > 2 and ranks == list(range(ranks[0], ranks[-1] + 1)):
        return f"incomplete data — {words[0]} to {words[-1]} possible"
    if len(possible) > 1:
        return f"incomplete data — {', '.join(words[:-1])} or {words[-1]} possible"
    return f"incomplete data — {words[0]} possible"


def score_phrase(score: ScoreResult | None) -> str | None:
    if score is None:
        return None
    name = short_name(score)
    if name is None:
        return None
    if (
        score.points_range
        and len(score.points_range) == 2
        and score.points_range[0] != score.points_range[1]
    ):
        points = f"{score.points_range[0]}–{score.points_range[1]}"
    elif score.points is not None:
        points = str(score.points)
    elif score.points_range:
        points = str(score.points_range[0])
    else:
        return None
    scale = f"/{score.max_points}" if score.max_points is not None else " points"
    return f"({name} {points}{scale})"


def _iso(value: str | None) -> str | None:
    return value if value and _ISO_DATE.match(value) else None


def schedule_phrase(assessment: Assessment) -> str | None:
    """ "<tier> schedule" when surveillance follows another tier than the overall one, in the
    tier words the detail and the app use ("very low", not "very-low")."""
    plan = assessment.surveillance
    if plan is None or plan.tier is None or plan.tier is assessment.overall_tier:
        return None
    return f"{TIER_WORDS[plan.tier]} schedule"


def surveillance_phrase(plan: SurveillancePlan | None) -> str | None:
    if plan is None:
        return None
    due = _iso(plan.next_due)
    if plan.overdue:
        # Since the first exam missed, not the latest: a patient unimaged for years is told so.
        since = _iso(plan.overdue_since) or due
        return f"abdominal CT/MRI overdue since {since}" if since else "abdominal CT/MRI overdue"
    if plan.due_now:
        return f"abdominal CT/MRI due now ({due})" if due else "abdominal CT/MRI due now"
    if due:
        return f"next abdominal CT/MRI due {due}"
    if plan.anchor_date is None:
        return "no usable resection date to schedule from"
    if plan.schedule_months:
        return "further imaging as clinically indicated"
    return None


def build_summary(assessment: Assessment) -> str:
    if not assessment.in_scope:
        recurrence = assessment.scope_code == OutOfScope.RECURRENCE.value
        return RECURRENCE_SUMMARY if recurrence else OUT_OF_SCOPE_SUMMARY
    head = PREFIX + tier_phrase(assessment)
    score = score_phrase(driving_score(assessment))
    schedule = schedule_phrase(assessment)
    surveillance = surveillance_phrase(assessment.surveillance)
    undetermined = assessment.overall_tier is None
    # The schedule stays in every candidate that has it: dropping it would leave a tier word
    # that contradicts the schedule. The score and then the date give way first.
    tiers = [f"{head} {score}", head] if score else [head]
    if schedule:
        tiers = [f"{t}{'; ' if undetermined else ', '}{schedule}" for t in tiers]
    separator = " — " if not undetermined or schedule else "; "
    candidates = [f"{t}{separator}{surveillance}" for t in tiers] if surveillance else []
    candidates += tiers
    candidates.append(head)  # bounded: built from enum words only
    return next(c for c in candidates if len(c) < SUMMARY_LIMIT)
