"""Site configuration (clinical.md §6): weights for factors-only scores, schedule overrides, and
a clear refusal of every invalid file."""

from __future__ import annotations

import json

import pytest

from scoring.assess import assess
from scoring.assessment import ScoreStatus, Tier
from scoring.site_config import DEFAULT_SITE_CONFIG, SiteConfigError, parse_site_config
from tests.scoring_support import TODAY, make_inputs, score

VENTIN_WEIGHTS = {"male_sex": 1, "tumor_size_ge_3cm": 4, "who_grade_ge_2": 4, "lvi_present": 4}
VENTIN_TIERS = [
    {"tier": "low", "min": 0, "max": 3},
    {"tier": "intermediate", "min": 4, "max": 8},
    {"tier": "high", "min": 9, "max": 13},
]
ZHENG_WEIGHTS = {
    "ki67_3_to_20": 2,
    "ki67_gt_20": 4,
    "vascular_invasion": 2,
    "node_positive": 1,
    "no_adjuvant_therapy": 1,
}  # the Ki-67 bands exclude each other: the maximum is 4 + 2 + 1 + 1 = 8
ZHENG_TIERS = [
    {"tier": "low", "min": 0, "max": 2},
    {"tier": "intermediate", "min": 3, "max": 5},
    {"tier": "high", "min": 6, "max": 8},
]


def _config(weights=None, tiers=None, score_id="ventin-2025", **extra):
    body = {
        "scores": {
            score_id: {
                "weights": VENTIN_WEIGHTS if weights is None else weights,
                "tiers": VENTIN_TIERS if tiers is None else tiers,
            }
        }
    }
    return json.dumps(body | extra)


VENTIN_SITE = parse_site_config(_config())


def _ventin(site=VENTIN_SITE, **overrides):
    return score(assess(make_inputs(**overrides), today=TODAY, site=site), "ventin-2025")


def test_empty_file_is_the_default_configuration():
    assert parse_site_config("") == DEFAULT_SITE_CONFIG
    assert parse_site_config("# nothing configured\n") == DEFAULT_SITE_CONFIG


def test_yaml_and_json_give_the_same_configuration():
    yaml_text = (
        "scores:\n  ventin-2025:\n    weights: {male_sex: 1, tumor_size_ge_3cm: 4,"
        " who_grade_ge_2: 4, lvi_present: 4}\n    tiers:\n"
        "      - {tier: low, min: 0, max: 3}\n      - {tier: intermediate, min: 4, max: 8}\n"
        "      - {tier: high, min: 9, max: 13}\n"
    )
    assert parse_site_config(yaml_text) == VENTIN_SITE


def test_site_weights_score_ventin():
    result = _ventin(sex="male", tumor_size_cm=3.0, ki67_percent=5.0)
    assert (result.status, result.weights_origin) == (ScoreStatus.SCORED, "site-configured")
    assert (result.points, result.points_range, result.max_points) == (9, [9, 9], 13)
    assert (result.tier, result.possible_tiers) == (Tier.HIGH, [Tier.HIGH])
    assert {f.id: f.weight for f in result.factors} == VENTIN_WEIGHTS


@pytest.mark.parametrize(
    ("overrides", "points", "tier"),
    [
        ({}, 0, Tier.LOW),
        ({"sex": "male"}, 1, Tier.LOW),
        ({"sex": "male", "tumor_size_cm": 2.99}, 1, Tier.LOW),
        ({"sex": "male", "lymphovascular_invasion": True}, 5, Tier.INTERMEDIATE),
        ({"tumor_size_cm": 3.0, "ki67_percent": 3.0}, 8, Tier.INTERMEDIATE),
        ({"sex": "male", "tumor_size_cm": 3.0, "ki67_percent": 3.0}, 9, Tier.HIGH),
    ],
)
def test_site_weights_points_and_tier_edges(overrides, points, tier):
    result = _ventin(**overrides)
    assert (result.points, result.tier) == (points, tier)


def test_site_weights_with_unknown_factor_give_a_range():
    result = _ventin(tumor_size_cm=3.5, ki67_percent=5.0, lymphovascular_invasion=None)
    assert result.status is ScoreStatus.PARTIAL
    assert (result.points, result.points_range) == (None, [8, 12])
    assert (result.tier, result.possible_tiers) == (None, [Tier.INTERMEDIATE, Tier.HIGH])


def test_site_configured_tier_joins_the_overall_tier():
    assessment = assess(
        make_inputs(sex="male", tumor_size_cm=3.0, ki67_percent=4.0),
        today=TODAY,
        site=VENTIN_SITE,
    )
    assert score(assessment, "zaidi-rrs-2019").tier is Tier.INTERMEDIATE
    assert assessment.overall_tier is Tier.HIGH


def test_not_applicable_stays_not_applicable_with_site_weights():
    result = _ventin(nodes_positive=1)
    assert (result.status, result.tier, result.possible_tiers) == (
        ScoreStatus.NOT_APPLICABLE,
        None,
        [],
    )


def test_zheng_weights_count_one_ki67_band():
    site = parse_site_config(_config(ZHENG_WEIGHTS, ZHENG_TIERS, score_id="zheng-lms-2025"))
    result = score(
        assess(
            make_inputs(
                ki67_percent=25.0,
                lymphovascular_invasion=True,
                nodes_positive=1,
                adjuvant_therapy=False,
            ),
            today=TODAY,
            site=site,
        ),
        "zheng-lms-2025",
    )
    assert (result.points, result.max_points, result.tier) == (8, 8, Tier.HIGH)
    unknown_ki67 = assess(make_inputs(ki67_percent=None), today=TODAY, site=site)
    unknown = score(unknown_ki67, "zheng-lms-2025")
    assert unknown.points_range == [1, 5]  # no adjuvant therapy (1) + Ki-67 band 0, 2 or 4


def test_zheng_tiers_ending_at_the_plain_sum_are_refused():
    tiers = [*ZHENG_TIERS[:2], {"tier": "high", "min": 6, "max": 10}]
    with pytest.raises(SiteConfigError, match="must end at the maximum of 8 points, not 10"):
        parse_site_config(_config(ZHENG_WEIGHTS, tiers, score_id="zheng-lms-2025"))


def test_schedule_override():
    site = parse_site_config(
        "surveillance:\n  low:\n    first_month: 6\n"
        "    phases: [{every_months: 6, until_month: 24}]\n    afterwards: yearly\n"
    )
    plan = assess(make_inputs(tumor_size_cm=2.0), today=TODAY, site=site).surveillance
    assert plan is not None
    assert (plan.tier, plan.schedule_months) == (Tier.LOW, [6, 12, 18, 24])
    # Other tiers keep the default schedule.
    very_low = assess(make_inputs(), today=TODAY, site=site).surveillance
    assert very_low is not None and very_low.schedule_months == [12]


_W = VENTIN_WEIGHTS


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (_config(_W | {"male_sex": 2}), "the weights reach 14 points; the published score has 13"),
        (_config(_W | {"male_sex": 0}), "the weights reach 12 points; the published score has 13"),
        (
            _config({k: v for k, v in _W.items() if k != "male_sex"} | {"tumor_size_ge_3cm": 5}),
            "missing ['male_sex'], unknown []",
        ),
        (_config(_W | {"age": 0}), "missing [], unknown ['age']"),
        (
            _config(_W | {"male_sex": -1, "lvi_present": 6}),
            "weights.male_sex: points must not be negative",
        ),
        # Regression: `true` and "1" were read as 1 point.
        (_config(_W | {"male_sex": True}), "weights.male_sex: Input should be a valid integer"),
        (_config(_W | {"male_sex": "1"}), "weights.male_sex: Input should be a valid integer"),
        (_config(_W | {"male_sex": 1.5}), "weights.male_sex: Input should be a valid integer"),
        ("surveillance:\n  low:\n    first_month: '6'\n", "low.first_month: Input should be"),
        (
            _config(
                tiers=[
                    VENTIN_TIERS[0],
                    {"tier": "intermediate", "min": 5, "max": 8},
                    VENTIN_TIERS[2],
                ]
            ),
            "gap at 4 points before intermediate",
        ),
        (
            _config(
                tiers=[
                    VENTIN_TIERS[0],
                    {"tier": "intermediate", "min": 3, "max": 8},
                    VENTIN_TIERS[2],
                ]
            ),
            "overlap at 4 points before intermediate",
        ),
        (
            _config(tiers=[{"tier": "low", "min": 1, "max": 3}, *VENTIN_TIERS[1:]]),
            "gap at 0 points before low",
        ),
        (
            _config(tiers=[*VENTIN_TIERS[:2], {"tier": "high", "min": 9, "max": 12}]),
            "must end at the maximum of 13 points, not 12",
        ),
        (
            _config(
                tiers=[
                    {"tier": "high", "min": 0, "max": 3},
                    VENTIN_TIERS[1],
                    {"tier": "low", "min": 9, "max": 13},
                ]
            ),
            "tiers must rise with points and appear once each",
        ),
        (
            _config(tiers=[VENTIN_TIERS[0], {"tier": "low", "min": 4, "max": 13}]),
            "tiers must rise with points and appear once each",
        ),
        (
            _config(tiers=[{"tier": "very-low", "min": 0, "max": 3}, *VENTIN_TIERS[1:]]),
            "tier must be one of low, intermediate, high",
        ),
        (
            _config(tiers=[{"tier": "low", "min": 3, "max": 0}, *VENTIN_TIERS[1:]]),
            "max 0 is below min 3",
        ),
        (_config(tiers=[]), "at least one tier is needed"),
        (
            _config(tiers=[{"tier": "low", "min": -1, "max": 3}, *VENTIN_TIERS[1:]]),
            "tiers.0.min",
        ),
        (
            _config(
                {
                    "symptomatic": 1,
                    "tumor_size_gt_2cm": 2,
                    "ki67_3_to_20": 1,
                    "ki67_gt_20": 6,
                    "node_positive": 1,
                },
                [{"tier": "low", "min": 0, "max": 10}],
                score_id="zaidi-rrs-2019",
            ),
            "published weights of a validated score cannot be changed",
        ),
        (_config(score_id="ventin-2026"), "ventin-2026: unknown score"),
        (json.dumps({"scores": {}, "colour": "blue"}), "colour"),
        ("scores: [unclosed\n", "not valid YAML/JSON"),
        ('{"scores": ', "not valid YAML/JSON"),
        ("- a\n- b\n", "the top level must be a mapping"),
        ("just some text", "the top level must be a mapping"),
        (
            "surveillance:\n  low:\n    first_month: 12\n"
            "    phases: [{every_months: 12, until_month: 6}]\n",
            "phase until_month 6 is before month 12",
        ),
        ("surveillance:\n  low:\n    first_month: 0\n", "surveillance.low.first_month"),
        ("surveillance:\n  sometimes:\n    first_month: 6\n", "surveillance.sometimes"),
    ],
)
def test_invalid_files_are_refused_with_a_message_naming_the_entry(text, message):
    with pytest.raises(SiteConfigError) as raised:
        parse_site_config(text, source="site.yaml")
    assert str(raised.value).startswith("site.yaml: ")
    assert message in str(raised.value)
