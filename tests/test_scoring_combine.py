"""Overall tier (clinical.md §2.4) and surveillance tier (§4): highest tier among the scores,
guideline floor, highest possible tier while undetermined, and the very-low rule."""

from __future__ import annotations

import json
from itertools import chain, combinations, product
from math import nextafter

import pytest

from scoring.assess import assess
from scoring.assessment import ScoreResult, ScoreStatus, Tier, tier_rank
from scoring.combine import GuidelineFlag, overall_tiers, surveillance_tiers
from scoring.inputs import Fact, Grade, PrimarySite, Sex
from scoring.site_config import parse_site_config
from tests.scoring_support import TODAY, make_inputs

LOW, MID, HIGH, VERY_LOW = Tier.LOW, Tier.INTERMEDIATE, Tier.HIGH, Tier.VERY_LOW
SCORABLE = (LOW, MID, HIGH)
TIER_SETS = [set(c) for c in chain.from_iterable(combinations(SCORABLE, n) for n in (1, 2, 3))]


def _result(tiers: set[Tier]) -> ScoreResult:
    return ScoreResult(
        id="s",
        title="s",
        citation="c",
        citation_url="u",
        status=ScoreStatus.PARTIAL,
        possible_tiers=sorted(tiers, key=tier_rank),
    )


def _highest(*tiers: Tier) -> Tier:
    return max(tiers, key=tier_rank)


def test_no_score_with_a_tier_gives_no_overall_tier():
    assert overall_tiers([]) == set()
    assert overall_tiers([_result(set())]) == set()


@pytest.mark.parametrize(("first", "second"), list(product(TIER_SETS, TIER_SETS)))
def test_overall_is_the_highest_tier_over_every_possible_outcome(first, second):
    expected = {_highest(a, b) for a, b in product(first, second)}
    assert overall_tiers([_result(first), _result(second), _result(set())]) == expected


@pytest.mark.parametrize(("certain", "uncertain"), list(product(TIER_SETS, TIER_SETS)))
def test_a_score_of_uncertain_eligibility_may_drop_out(certain, uncertain):
    # The uncertain score contributes one of its tiers, or nothing if the patient is not in its
    # population after all.
    expected = {_highest(a, *b) for a, b in product(certain, [*([u] for u in uncertain), []])}
    scores = [_result(certain), _result(uncertain).model_copy(update={"id": "maybe"})]
    assert overall_tiers(scores, established={"s"}) == expected


def test_uncertain_eligibility_does_not_establish_a_higher_overall_tier():
    # Regression: with nodes examined unknown, a site-configured Ventin tier (intermediate) was
    # stated as the overall tier although Ventin needs >= 8 nodes and Zaidi alone says low.
    site = parse_site_config(
        json.dumps(
            {
                "scores": {
                    "ventin-2025": {
                        "weights": {
                            "male_sex": 1,
                            "tumor_size_ge_3cm": 4,
                            "who_grade_ge_2": 4,
                            "lvi_present": 4,
                        },
                        "tiers": [
                            {"tier": "low", "min": 0, "max": 3},
                            {"tier": "intermediate", "min": 4, "max": 8},
                            {"tier": "high", "min": 9, "max": 13},
                        ],
                    }
                }
            }
        )
    )
    inputs = make_inputs(grade_reported=Grade.G2, sex=Sex.MALE, nodes_examined=None)
    assessment = assess(inputs, today=TODAY, site=site)
    assert assessment.overall_tier is None
    assert assessment.possible_tiers == [LOW, MID]
    plan = assessment.surveillance
    assert plan is not None and plan.tier is MID  # still scheduled by the highest
    assert plan.lighter_if_known == ["regional lymph nodes examined (eligibility: at least 8)"]
    known = assess(make_inputs(grade_reported=Grade.G2, sex=Sex.MALE), today=TODAY, site=site)
    assert (known.overall_tier, known.possible_tiers) == (MID, [MID])


def test_unknown_primary_site_is_scheduled_as_if_no_score_applied():
    # Regression: an unknown site was scheduled by Zaidi's tier (very low here) although a
    # non-pancreatic site, where no score gives a tier, is scheduled high.
    assessment = _assess(primary_site=None)
    assert assessment.possible_tiers == [LOW]
    plan = assessment.surveillance
    assert plan is not None and plan.tier is HIGH
    assert "primary tumour site (eligibility: pancreas)" in plan.lighter_if_known
    assert _assess(primary_site=PrimarySite.OTHER_GEP).surveillance.tier is HIGH
    assert _assess(primary_site=PrimarySite.PANCREAS).surveillance.tier is VERY_LOW


def test_three_scores():
    scores = [_result({LOW, HIGH}), _result({MID}), _result({LOW, MID})]
    assert overall_tiers(scores) == {MID, HIGH}


def _flag(value: bool | None) -> GuidelineFlag:
    return GuidelineFlag("flag", value, "data")


@pytest.mark.parametrize("overall", [*TIER_SETS, set()])
@pytest.mark.parametrize("flags", list(product((True, False, None), repeat=2)))
def test_guideline_floor_over_every_outcome(overall, flags):
    base = overall or set(SCORABLE)
    if True in flags:
        floors = {MID}
    elif None in flags:
        floors = {LOW, MID}
    else:
        floors = {LOW}
    expected = {_highest(t, f) for t, f in product(base, floors)}
    assert surveillance_tiers(overall, [_flag(v) for v in flags]) == expected


@pytest.mark.parametrize("overall", TIER_SETS)
def test_tiers_that_may_all_drop_out_leave_every_tier_possible(overall):
    assert surveillance_tiers(overall, [_flag(False)], maybe_untiered=True) == set(SCORABLE)


def _assess(**overrides):
    return assess(make_inputs(**overrides), today=TODAY)


def test_low_risk_pnet_is_very_low():
    assessment = _assess()
    assert (assessment.overall_tier, assessment.possible_tiers) == (LOW, [LOW])
    plan = assessment.surveillance
    assert plan is not None
    assert (plan.tier, plan.schedule_months) == (VERY_LOW, [12])
    assert plan.basis == "very low: G1, N0, < 2 cm and low risk"
    assert plan.lighter_if_known == []


@pytest.mark.parametrize(
    ("overrides", "tier"),
    [
        ({"tumor_size_cm": 1.99}, VERY_LOW),
        ({"tumor_size_cm": nextafter(2.0, 0)}, VERY_LOW),
        ({"tumor_size_cm": 2.0}, LOW),  # < 2 cm is strict; Zaidi still 0 points
        ({"tumor_size_cm": None}, LOW),  # size unknown: not shown to be < 2 cm
        ({"symptomatic": True}, VERY_LOW),  # 1 point is still low with G1, N0, < 2 cm
        ({"grade_reported": Grade.G2}, LOW),
        ({"grade_reported": Grade.G1, "ki67_percent": 2.0}, VERY_LOW),
        ({"ki67_percent": 2.0, "mitoses_per_2mm2": None}, LOW),  # G1 or G2
        ({"ki67_percent": 3.0}, LOW),  # G2, Zaidi 1 point
        ({"mitoses_per_2mm2": 2.0}, LOW),  # G2 by mitoses
        ({"ki67_percent": 5.0}, LOW),  # not above 5 %: no guideline floor
        ({"ki67_percent": 5.01}, MID),  # guideline floor
        ({"nodes_positive": 1}, MID),  # Zaidi 1 point (low) but N+ floor
        ({"nodes_positive": 0, "pn_positive": True}, MID),
        ({"nodes_positive": None}, MID),  # N+ possible: scheduled by the highest
        ({"nodes_positive": 0, "nodes_examined": 0}, MID),  # pNX
        ({"ki67_percent": None}, HIGH),  # Zaidi could reach 6
        ({"ki67_percent": 21.0}, HIGH),
        ({"tumor_size_cm": 2.5, "symptomatic": True}, MID),
    ],
)
def test_surveillance_tier(overrides, tier):
    plan = _assess(**overrides).surveillance
    assert plan is not None
    assert plan.tier is tier


def test_node_positive_floor_lifts_a_low_overall_tier():
    assessment = _assess(nodes_positive=2)
    assert assessment.overall_tier is LOW  # the score itself stays low
    assert assessment.surveillance is not None and assessment.surveillance.tier is MID
    assert any("Lymph-node positive: yes" in f for f in assessment.guideline_flags)


def test_guideline_flags_cite_their_sources():
    inputs = make_inputs(ki67_percent=Fact(8.0, ("Observation/ki67",)))
    flags = assess(inputs, today=TODAY).guideline_flags
    assert flags[1].startswith("Ki-67 > 5 %: yes (Observation/ki67)")


def test_undetermined_overall_tier_is_null_and_scheduled_by_the_highest():
    assessment = _assess(ki67_percent=None, mitoses_per_2mm2=None)
    assert assessment.overall_tier is None
    assert assessment.possible_tiers == [LOW, HIGH]
    plan = assessment.surveillance
    assert plan is not None and plan.tier is HIGH
    assert plan.basis == "possible tiers low / intermediate / high; scheduled by the highest"
    assert "Ki-67 index (LOINC 29593-1)" in plan.lighter_if_known


def test_unknown_node_status_names_the_nodes_as_lighter_if_known():
    plan = _assess(nodes_positive=None).surveillance
    assert plan is not None
    assert "regional lymph nodes positive (LOINC 21893-3) or pN category" in plan.lighter_if_known


def test_determined_tier_basis_names_it():
    plan = _assess(tumor_size_cm=2.5, symptomatic=True).surveillance
    assert plan is not None and plan.basis == "overall tier intermediate"


def test_factors_only_scores_never_produce_a_tier():
    assessment = _assess(sex=Sex.MALE, tumor_size_cm=4.0, lymphovascular_invasion=True)
    for result in assessment.scores[1:]:
        assert result.status is ScoreStatus.FACTORS_ONLY
        assert (result.tier, result.possible_tiers, result.points_range) == (None, [], None)
    assert assessment.possible_tiers == [LOW]  # from Zaidi alone: 2 points


def test_basis_names_the_guideline_floor_when_it_raises_the_schedule():
    # A small node-positive tumour: 1 point (N+) → Zaidi low; the node flag lifts the schedule.
    assessment = assess(
        make_inputs(nodes_positive=2, ki67_percent=1.0, tumor_size_cm=1.5, symptomatic=False),
        today=TODAY,
    )
    assert assessment.overall_tier == Tier.LOW
    assert assessment.surveillance.tier == Tier.INTERMEDIATE
    assert "guideline floor" in assessment.surveillance.basis
