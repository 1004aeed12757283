"""Who is in scope (clinical.md §1) and in each score's population (§2): not-applicable reasons
and uncertain eligibility with the data that would settle it."""

from __future__ import annotations

import pytest

from scoring.assess import assess
from scoring.assessment import ScoreStatus, Tier
from scoring.inputs import PrimarySite, Resection
from tests.scoring_support import RESECTION_DATE, TODAY, make_inputs, score

ZAIDI, VENTIN, ZHENG = "zaidi-rrs-2019", "ventin-2025", "zheng-lms-2025"


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"diagnosis": None}, "no neuroendocrine tumour diagnosis on record"),
        ({"resection": None}, "no completed resection on record"),
        ({"poorly_differentiated": True}, "poorly differentiated neuroendocrine carcinoma (NEC)"),
        (
            {"metastatic_at_surgery": True},
            "distant metastasis present at surgery (Observation/metastatic_at_surgery)",
        ),
        ({"recurrence": True}, "recurrence on record (Observation/recurrence)"),
    ],
)
def test_out_of_scope_for_every_score(overrides, reason):
    assessment = assess(make_inputs(**overrides), today=TODAY)
    assert assessment.in_scope is False
    assert assessment.scope_reason == reason
    assert assessment.scores == []
    assert (assessment.overall_tier, assessment.possible_tiers) == (None, [])
    assert assessment.surveillance is None
    assessment.model_dump_json()


@pytest.mark.parametrize("field", ["poorly_differentiated", "metastatic_at_surgery", "recurrence"])
def test_unknown_exclusions_do_not_exclude(field):
    # These are recorded only when true; an unknown value keeps the patient in scope.
    assert assess(make_inputs(**{field: None}), today=TODAY).in_scope is True


def test_in_scope_patient_gets_all_three_scores_in_order():
    assessment = assess(make_inputs(), today=TODAY)
    assert assessment.in_scope is True
    assert assessment.scope_reason is None
    assert [s.id for s in assessment.scores] == [ZAIDI, VENTIN, ZHENG]


def _status(overrides, score_id):
    result = score(assess(make_inputs(**overrides), today=TODAY), score_id)
    return result.status, result.reason


@pytest.mark.parametrize(
    ("overrides", "score_id", "reason_part"),
    [
        ({"functional": True}, ZAIDI, "functional tumour"),
        ({"primary_site": PrimarySite.OTHER_GEP}, ZAIDI, "not in the pancreas"),
        ({"primary_site": PrimarySite.OTHER_GEP}, VENTIN, "not in the pancreas"),
        ({"nodes_positive": 1}, VENTIN, "lymph-node positive"),
        ({"nodes_positive": 0, "pn_positive": True}, VENTIN, "lymph-node positive"),
        ({"nodes_positive": None, "pn_positive": True}, VENTIN, "lymph-node positive"),
        ({"nodes_examined": 7}, VENTIN, "7 regional nodes examined"),
        ({"nodes_examined": 0}, VENTIN, "0 regional nodes examined"),
    ],
)
def test_not_applicable_with_reason(overrides, score_id, reason_part):
    status, reason = _status(overrides, score_id)
    assert status is ScoreStatus.NOT_APPLICABLE
    assert reason_part in (reason or "")


def test_not_applicable_score_carries_no_points_or_tiers():
    result = score(assess(make_inputs(functional=True), today=TODAY), ZAIDI)
    assert (result.points, result.points_range, result.tier) == (None, None, None)
    assert (result.possible_tiers, result.factors) == ([], [])


@pytest.mark.parametrize(
    ("overrides", "score_id"),
    [
        ({"nodes_examined": 8}, VENTIN),
        ({"nodes_examined": 30}, VENTIN),
        ({"functional": False}, ZAIDI),
        ({"nodes_positive": 3}, ZAIDI),  # Zaidi takes node-positive patients
        ({"functional": True}, VENTIN),  # Ventin does not exclude functional tumours
        ({"functional": True}, ZHENG),
        ({"primary_site": PrimarySite.OTHER_GEP}, ZHENG),  # any GEP site
        ({"nodes_positive": 3}, ZHENG),
    ],
)
def test_applicable(overrides, score_id):
    status, reason = _status(overrides, score_id)
    assert status is not ScoreStatus.NOT_APPLICABLE
    assert reason is None


def test_ventin_needs_at_least_8_nodes_examined():
    assert _status({"nodes_examined": 7}, VENTIN)[0] is ScoreStatus.NOT_APPLICABLE
    assert _status({"nodes_examined": 8}, VENTIN)[0] is ScoreStatus.FACTORS_ONLY


def test_unknown_site_is_uncertain_for_every_score():
    assessment = assess(make_inputs(primary_site=None), today=TODAY)
    for score_id, need in [
        (ZAIDI, "primary tumour site (eligibility: pancreas)"),
        (VENTIN, "primary tumour site (eligibility: pancreas)"),
        (ZHENG, "primary tumour site (eligibility: GEP site)"),
    ]:
        result = score(assessment, score_id)
        assert result.status is not ScoreStatus.NOT_APPLICABLE
        assert need in result.missing
        assert "Eligibility not established: see missing data." in result.notes


def test_unknown_nodes_examined_is_uncertain_for_ventin():
    result = score(assess(make_inputs(nodes_examined=None), today=TODAY), VENTIN)
    assert result.status is ScoreStatus.FACTORS_ONLY
    assert result.missing == ["regional lymph nodes examined (eligibility: at least 8)"]
    assert "Eligibility not established: see missing data." in result.notes


def test_unknown_node_status_is_uncertain_for_ventin_and_lists_both_needs():
    inputs = make_inputs(nodes_examined=None, nodes_positive=None)
    result = score(assess(inputs, today=TODAY), VENTIN)
    assert result.status is ScoreStatus.FACTORS_ONLY
    assert result.missing == [
        "regional lymph nodes positive (eligibility: pN0)",
        "regional lymph nodes examined (eligibility: at least 8)",
    ]


def test_established_eligibility_has_no_missing_or_eligibility_note():
    for result in assess(make_inputs(), today=TODAY).scores:
        assert result.missing == []
        assert "Eligibility not established: see missing data." not in result.notes


def test_unknown_functional_status_is_scored_as_non_functioning_and_says_so():
    result = score(assess(make_inputs(functional=None), today=TODAY), ZAIDI)
    assert result.status is ScoreStatus.SCORED
    assert result.notes == ["No functional syndrome recorded: scored as non-functioning."]


def test_non_pancreatic_patient_has_no_tier_and_is_scheduled_high():
    assessment = assess(make_inputs(primary_site=PrimarySite.OTHER_GEP), today=TODAY)
    assert assessment.possible_tiers == []
    assert assessment.overall_tier is None
    assert assessment.surveillance is not None
    assert assessment.surveillance.tier is Tier.HIGH
    assert "no score could assign a tier" in assessment.surveillance.basis


def test_resection_without_date_is_in_scope_with_an_undated_schedule():
    assessment = assess(make_inputs(resection=Resection(None, "Procedure/s")), today=TODAY)
    plan = assessment.surveillance
    assert assessment.in_scope and plan is not None
    assert (plan.anchor_date, plan.schedule_dates, plan.next_due) == (None, [], None)
    assert plan.schedule_months == [12]


def test_resection_date_anchors_the_schedule():
    plan = assess(make_inputs(), today=TODAY).surveillance
    assert plan is not None and plan.anchor_date == RESECTION_DATE.isoformat()
