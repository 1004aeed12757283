"""should_show_card: clinical.md §5 ("alerts must be actionable")."""

from __future__ import annotations

import pytest
from cards_factories import assessment, factor, plan, undetermined, ventin, zaidi

from cds_service.cards.policy import SHOW_RULES, HookKind, should_show_card
from scoring.assessment import ScoreStatus, Tier

ACTIONABLE_HOOKS = [HookKind.PATIENT_VIEW, HookKind.ORDER_SIGN, HookKind.ENCOUNTER_DISCHARGE]

QUIET = assessment(Tier.LOW)  # complete data, next imaging not yet due
DUE = assessment(Tier.LOW, surveillance=plan(Tier.LOW, due_now=True))
OVERDUE = assessment(Tier.HIGH, surveillance=plan(Tier.HIGH, overdue=True))
OUT_OF_SCOPE = assessment(
    None, in_scope=False, scope_reason="metastatic at surgery", surveillance=None
)


def test_every_hook_kind_has_a_rule():
    assert set(SHOW_RULES) == set(HookKind)


def test_hook_kinds_are_an_enum_of_stable_values():
    assert HookKind("patient-view") is HookKind.PATIENT_VIEW
    assert HookKind("pathology-sign") is HookKind.PATHOLOGY_SIGN


@pytest.mark.parametrize("a", [QUIET, DUE, OVERDUE, undetermined(), OUT_OF_SCOPE])
def test_pathology_sign_off_always_shows(a):
    assert should_show_card(HookKind.PATHOLOGY_SIGN, a) is True


@pytest.mark.parametrize("hook", ACTIONABLE_HOOKS)
def test_quiet_when_nothing_to_do(hook):
    assert should_show_card(hook, QUIET) is False


@pytest.mark.parametrize("hook", ACTIONABLE_HOOKS)
@pytest.mark.parametrize("a", [DUE, OVERDUE])
def test_shows_when_surveillance_due_or_overdue(hook, a):
    assert should_show_card(hook, a) is True


@pytest.mark.parametrize("hook", ACTIONABLE_HOOKS)
def test_shows_when_tier_is_undetermined(hook):
    assert should_show_card(hook, undetermined()) is True


@pytest.mark.parametrize("hook", ACTIONABLE_HOOKS)
def test_unknown_factor_that_cannot_change_the_tier_stays_quiet(hook):
    factors = [
        factor("symptomatic", None, weight=1),
        factor("tumor_size_gt_2cm", True, weight=2, source="Observation/size"),
        factor("ki67_3_20", True, weight=1, source="Observation/ki67"),
        factor("ki67_gt_20", False, weight=6, source="Observation/ki67"),
        factor("node_positive", False, weight=1, source="Observation/nodes"),
    ]
    score = zaidi(points=None, tier=Tier.INTERMEDIATE, points_range=[3, 4], factors=factors)
    assert should_show_card(hook, assessment(Tier.INTERMEDIATE, scores=[score])) is False


@pytest.mark.parametrize("hook", ACTIONABLE_HOOKS)
def test_shows_when_a_score_tier_is_unsettled(hook):
    factors = [factor("symptomatic", None, weight=1)]
    score = zaidi(
        points=None,
        tier=None,
        points_range=[2, 3],
        possible=[Tier.LOW, Tier.INTERMEDIATE],
        factors=factors,
    )
    a = assessment(Tier.INTERMEDIATE, scores=[score])
    assert should_show_card(hook, a) is True


@pytest.mark.parametrize("hook", ACTIONABLE_HOOKS)
def test_shows_when_known_data_could_lighten_the_schedule(hook):
    a = assessment(Tier.LOW, surveillance=plan(Tier.LOW, lighter=["Ki-67 index"]))
    assert should_show_card(hook, a) is True


@pytest.mark.parametrize("hook", ACTIONABLE_HOOKS)
def test_unknown_factors_of_an_unweighted_score_stay_quiet(hook):
    a = assessment(Tier.LOW, scores=[zaidi(points=1, tier=Tier.LOW), ventin(unknown_sex=True)])
    assert should_show_card(hook, a) is False


@pytest.mark.parametrize("hook", ACTIONABLE_HOOKS)
def test_shows_when_eligibility_input_is_missing(hook):
    score = zaidi(
        points=1, tier=Tier.LOW, missing=["primary tumour site (eligibility: pancreas)"]
    ).model_copy(update={"eligible": None})
    assert should_show_card(hook, assessment(Tier.LOW, scores=[score])) is True


@pytest.mark.parametrize("hook", [*ACTIONABLE_HOOKS, HookKind.PATHOLOGY_SIGN])
def test_no_card_for_a_patient_without_a_net_diagnosis(hook):
    not_net = assessment(
        None,
        in_scope=False,
        scope_reason="no neuroendocrine tumour diagnosis on record",
        surveillance=None,
    ).model_copy(update={"scope_code": "no-net-diagnosis"})
    assert should_show_card(hook, not_net) is False


@pytest.mark.parametrize("hook", ACTIONABLE_HOOKS)
def test_complete_factors_only_score_does_not_trigger(hook):
    a = assessment(Tier.LOW, scores=[zaidi(points=1, tier=Tier.LOW), ventin()])
    assert should_show_card(hook, a) is False


@pytest.mark.parametrize("hook", ACTIONABLE_HOOKS)
def test_not_applicable_score_with_unknowns_does_not_trigger(hook):
    na = ventin(unknown_sex=True).model_copy(update={"status": ScoreStatus.NOT_APPLICABLE})
    a = assessment(Tier.LOW, scores=[zaidi(points=1, tier=Tier.LOW), na])
    assert should_show_card(hook, a) is False


@pytest.mark.parametrize("hook", ACTIONABLE_HOOKS)
def test_shows_when_no_schedule_anchor(hook):
    assert should_show_card(hook, assessment(Tier.LOW, surveillance=None)) is True
    no_anchor = assessment(Tier.LOW, surveillance=plan(Tier.LOW, anchor=None, next_due=None))
    assert should_show_card(hook, no_anchor) is True


@pytest.mark.parametrize("hook", ACTIONABLE_HOOKS)
def test_out_of_scope_is_silent_outside_pathology_sign_off(hook):
    assert should_show_card(hook, OUT_OF_SCOPE) is False
