"""Zaidi 2019 Recurrence Risk Score (clinical.md §2.1): each published weight, every tier edge,
and every combination of unknown inputs against an independent brute-force enumeration."""

from __future__ import annotations

from datetime import date
from itertools import product

import pytest

from scoring.assess import assess
from scoring.assessment import ScoreStatus, Tier
from scoring.definition import max_points
from scoring.definitions.zaidi_rrs_2019 import ZAIDI_RRS_2019
from scoring.site_config import DEFAULT_SITE_CONFIG
from tests.scoring_support import TODAY, achievable_totals, make_inputs, score

ZAIDI = "zaidi-rrs-2019"

# The test's own copy of clinical.md §2.1, written independently of scoring/definitions.
SPEC_TIERS = {**dict.fromkeys(range(3), Tier.LOW), **dict.fromkeys(range(3, 6), Tier.INTERMEDIATE)}
SPEC_TIERS |= dict.fromkeys(range(6, 11), Tier.HIGH)


def spec_points(symptomatic: bool, size_cm: float, ki67: float, positive_nodes: int) -> int:
    points = 1 if symptomatic else 0
    points += 2 if size_cm > 2 else 0
    points += 6 if ki67 > 20 else (1 if ki67 >= 3 else 0)
    points += 1 if positive_nodes >= 1 else 0
    return points


def zaidi(**overrides):
    return score(assess(make_inputs(**overrides), today=TODAY), ZAIDI)


def test_baseline_scores_zero_and_low():
    result = zaidi()
    assert (result.status, result.points, result.points_range) == (ScoreStatus.SCORED, 0, [0, 0])
    assert (result.tier, result.possible_tiers) == (Tier.LOW, [Tier.LOW])
    assert (result.max_points, result.weights_origin) == (10, "published")
    assert (result.present, result.unknown, result.missing) == (0, 0, [])


@pytest.mark.parametrize(
    ("overrides", "points"),
    [
        ({"symptomatic": True}, 1),
        ({"tumor_size_cm": 2.01}, 2),
        ({"ki67_percent": 3.0}, 1),
        ({"ki67_percent": 20.0}, 1),
        ({"ki67_percent": 20.1}, 6),
        ({"nodes_positive": 1}, 1),
        ({"nodes_positive": 0, "pn_positive": True}, 1),
    ],
)
def test_each_published_weight_alone(overrides, points):
    result = zaidi(**overrides)
    assert result.points == points
    assert result.present == 1
    [present] = [f for f in result.factors if f.value]
    assert present.points == present.weight == points


def test_factor_weights_are_the_published_ones():
    weights = {f.id: f.weight for f in zaidi().factors}
    assert weights == {
        "symptomatic": 1,
        "tumor_size_gt_2cm": 2,
        "ki67_3_to_20": 1,
        "ki67_gt_20": 6,
        "node_positive": 1,
    }


def test_all_factors_present_reach_the_maximum_of_10():
    result = zaidi(symptomatic=True, tumor_size_cm=4.0, ki67_percent=25.0, nodes_positive=3)
    assert (result.points, result.tier, result.present) == (10, Tier.HIGH, 4)


# Every total the score can reach, each with the inputs that reach it.
_COMBOS = [
    (sym, size, ki67, nodes)
    for sym, size, ki67, nodes in product((False, True), (1.0, 2.5), (1.0, 10.0, 30.0), (0, 2))
]


@pytest.mark.parametrize(("symptomatic", "size", "ki67", "nodes"), _COMBOS)
def test_every_combination_scores_and_tiers_as_published(symptomatic, size, ki67, nodes):
    result = zaidi(
        symptomatic=symptomatic, tumor_size_cm=size, ki67_percent=ki67, nodes_positive=nodes
    )
    expected = spec_points(symptomatic, size, ki67, nodes)
    assert result.points == expected
    assert result.tier is SPEC_TIERS[expected]


@pytest.mark.parametrize(
    ("overrides", "points", "tier"),
    [
        ({"tumor_size_cm": 2.5}, 2, Tier.LOW),  # low|intermediate edge
        ({"tumor_size_cm": 2.5, "symptomatic": True}, 3, Tier.INTERMEDIATE),
        (
            {"tumor_size_cm": 2.5, "symptomatic": True, "ki67_percent": 5.0, "nodes_positive": 1},
            5,
            Tier.INTERMEDIATE,
        ),  # intermediate|high edge
        ({"ki67_percent": 21.0}, 6, Tier.HIGH),
        ({"ki67_percent": 21.0, "tumor_size_cm": 2.0}, 6, Tier.HIGH),
        ({"ki67_percent": 20.0, "tumor_size_cm": 2.01}, 3, Tier.INTERMEDIATE),
    ],
)
def test_tier_edges(overrides, points, tier):
    result = zaidi(**overrides)
    assert (result.points, result.tier) == (points, tier)


# Known values and what each unknown input may turn out to be.
_SYMPTOMATIC = (False, True)
_SIZES = (1.0, 2.5)
_KI67 = (1.0, 10.0, 30.0)
_NODES = (0, 1)


def _options(value, domain):
    return domain if value is None else (value,)


@pytest.mark.parametrize(
    ("symptomatic", "size", "ki67", "nodes"),
    list(product((None, *_SYMPTOMATIC), (None, *_SIZES), (None, *_KI67), (None, *_NODES))),
)
def test_unknown_inputs_give_exactly_the_brute_force_range_and_tiers(
    symptomatic, size, ki67, nodes
):
    result = zaidi(
        symptomatic=symptomatic,
        tumor_size_cm=size,
        ki67_percent=ki67,
        nodes_positive=nodes,
        pn_positive=None,
        nodes_examined=12 if nodes is not None else None,
    )
    totals = {
        spec_points(*combo)
        for combo in product(
            _options(symptomatic, _SYMPTOMATIC),
            _options(size, _SIZES),
            _options(ki67, _KI67),
            _options(nodes, _NODES),
        )
    }
    tiers = {SPEC_TIERS[t] for t in totals}
    assert result.points_range == [min(totals), max(totals)]
    assert set(result.possible_tiers) == tiers
    assert result.points == (min(totals) if len(totals) == 1 else None)
    assert result.tier == (next(iter(tiers)) if len(tiers) == 1 else None)
    unknown_inputs = [v for v in (symptomatic, size, ki67, nodes) if v is None]
    assert result.status is (ScoreStatus.PARTIAL if unknown_inputs else ScoreStatus.SCORED)
    # Ki-67 is one input behind two factors: both are unknown together.
    assert result.unknown == len(unknown_inputs) + (1 if ki67 is None else 0)
    assert len(result.missing) == len(unknown_inputs)


def test_unknown_ki67_alone_can_reach_every_tier():
    result = zaidi(ki67_percent=None, tumor_size_cm=2.5)
    assert result.points_range == [2, 8]
    assert result.possible_tiers == [Tier.LOW, Tier.INTERMEDIATE, Tier.HIGH]
    assert result.tier is None
    assert result.missing == ["Ki-67 index (LOINC 29593-1)"]


def test_factor_points_are_null_while_unknown():
    result = zaidi(symptomatic=None)
    [symptomatic] = [f for f in result.factors if f.id == "symptomatic"]
    assert (symptomatic.value, symptomatic.weight, symptomatic.points) == (None, 1, None)


def test_today_does_not_change_the_score():
    inputs = make_inputs(tumor_size_cm=2.5, symptomatic=None)
    first = score(assess(inputs, today=date(2024, 6, 1)), ZAIDI)
    later = score(assess(inputs, today=date(2034, 6, 1)), ZAIDI)
    assert first == later


def test_both_ki67_bands_present_count_the_worse_once():
    # Not reachable from one Ki-67 value; guards the exclusive group against a data error.
    values = {
        "symptomatic": False,
        "tumor_size_gt_2cm": False,
        "ki67_3_to_20": True,
        "ki67_gt_20": True,
        "node_positive": False,
    }
    assert achievable_totals(ZAIDI_RRS_2019.factors, values) == {6}


def test_every_weighted_definition_has_tiers_partitioning_zero_to_its_maximum():
    for definition, _ in DEFAULT_SITE_CONFIG.definitions():
        if not definition.weighted:
            continue
        covered = [
            p for band in definition.tiers for p in range(band.min_points, band.max_points + 1)
        ]
        assert covered == list(range(max_points(definition.factors) + 1)), definition.id
