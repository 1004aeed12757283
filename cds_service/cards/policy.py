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

from scoring.assessment import Assessment, ScoreResult
from scoring.scope import OutOfScope

NO_NET_DIAGNOSIS = OutOfScope.NO_NET_DIAGNOSIS.value


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


def _tier_unsettled(score: ScoreResult) -> bool:
    """A weighted score whose tier is open, or whose eligibility is not established."""
    if not score.possible_tiers:
        return False
    return len(score.possible_tiers) > 1 or score.eligible is None


def scoring_data_missing(assessment: Assessment) -> bool:
    """Missing data that changes what is done: a weighted score whose tier is not settled, an
    undetermined overall tier, a surveillance schedule that known data could lighten, or no
    resection date to schedule from. Unknown inputs that cannot change the tier (a symptom
    history when the tier is already settled, or factors of unweighted scores) do not raise a
    card at every chart opening: they are listed on the card when one is shown."""
    if any(_tier_unsettled(s) for s in assessment.scores):
        return True
    if assessment.overall_tier is None:
        return True
    plan = assessment.surveillance
    return plan is None or plan.anchor_date is None or bool(plan.lighter_if_known)


def should_show_card(hook_kind: HookKind, assessment: Assessment) -> bool:
    rule = SHOW_RULES[hook_kind]
    if assessment.scope_code == NO_NET_DIAGNOSIS:
        # Not a NET patient (e.g. any other pathology report): nothing for this service to say.
        return False
    if rule is ShowRule.ALWAYS:
        return True
    if not assessment.in_scope:
        return False
    return surveillance_due(assessment) or scoring_data_missing(assessment)
