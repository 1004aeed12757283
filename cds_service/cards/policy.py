"""When the assessment card is shown (clinical.md §5: "alerts must be actionable").

- Pathology sign-off: always. The report being signed is what the assessment is about. An
  out-of-scope patient gets the brief "not assessed" card saying why, so the signer can correct
  a wrong diagnosis, stage or resection in the record rather than read silence as "low risk".
- Patient-view (chart open): only when surveillance is due now or overdue, or data needed for
  scoring is missing. Out-of-scope patients: no card (nothing to act on at every chart open).
- Order-sign and encounter-discharge: the same rule as patient-view. Both interrupt a workflow
  that is about something else; an assessment that asks nothing of the clinician would only add
  noise there. When surveillance is due, discharge and ordering are good moments to act.
"""

from __future__ import annotations

from enum import StrEnum

from scoring.assessment import Assessment, ScoreResult, ScoreStatus


class HookKind(StrEnum):
    """What the EHR is doing. The pathology hook's *name* is configurable; its kind is not."""

    PATIENT_VIEW = "patient-view"
    ORDER_SIGN = "order-sign"
    ENCOUNTER_DISCHARGE = "encounter-discharge"
    PATHOLOGY_SIGN = "pathology-sign"


class ShowRule(StrEnum):
    ALWAYS = "always"
    WHEN_ACTIONABLE = "when-actionable"


SHOW_RULES: dict[HookKind, ShowRule] = {
    HookKind.PATHOLOGY_SIGN: ShowRule.ALWAYS,
    HookKind.PATIENT_VIEW: ShowRule.WHEN_ACTIONABLE,
    HookKind.ORDER_SIGN: ShowRule.WHEN_ACTIONABLE,
    HookKind.ENCOUNTER_DISCHARGE: ShowRule.WHEN_ACTIONABLE,
}


def surveillance_due(assessment: Assessment) -> bool:
    plan = assessment.surveillance
    return plan is not None and (plan.due_now or plan.overdue)


def _score_lacks_data(score: ScoreResult) -> bool:
    if score.status is ScoreStatus.NOT_APPLICABLE:
        return False
    unknown_factor = any(f.value is None for f in score.factors)
    return score.unknown > 0 or unknown_factor or bool(score.missing)


def scoring_data_missing(assessment: Assessment) -> bool:
    """Any applicable score with unknown factors or missing inputs (which includes eligibility
    inputs), an undetermined overall tier, or no surveillance anchor to schedule from."""
    if any(_score_lacks_data(s) for s in assessment.scores):
        return True
    if assessment.overall_tier is None and len(assessment.possible_tiers) > 1:
        return True
    plan = assessment.surveillance
    return plan is None or plan.anchor_date is None


def should_show_card(hook_kind: HookKind, assessment: Assessment) -> bool:
    rule = SHOW_RULES[hook_kind]
    if rule is ShowRule.ALWAYS:
        return True
    if not assessment.in_scope:
        return False
    return surveillance_due(assessment) or scoring_data_missing(assessment)
