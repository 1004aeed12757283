"""Each factor at its published boundary (clinical.md §2, §3): one value either side, including
the nearest floats to the cut-off, so that moving a cut-off by any amount fails a test."""

from __future__ import annotations

from math import inf, nextafter

import pytest

from scoring import factors
from scoring.combine import guideline_flags
from scoring.inputs import Fact, Sex
from tests.scoring_support import make_inputs


@pytest.mark.parametrize(
    ("size_cm", "expected"),
    [(1.0, False), (2.0, False), (nextafter(2.0, inf), True), (2.01, True), (2.99, True)],
)
def test_zaidi_size_is_strictly_greater_than_2_cm(size_cm, expected):
    assert factors.tumor_size_gt_2cm(make_inputs(tumor_size_cm=size_cm)).value is expected


@pytest.mark.parametrize(
    ("size_cm", "expected"),
    [(2.0, False), (2.99, False), (nextafter(3.0, 0), False), (3.0, True), (3.01, True)],
)
def test_ventin_size_is_3_cm_or_more(size_cm, expected):
    assert factors.tumor_size_ge_3cm(make_inputs(tumor_size_cm=size_cm)).value is expected


@pytest.mark.parametrize(
    ("ki67", "band_3_to_20", "above_20"),
    [
        (0.0, False, False),
        (2.99, False, False),
        (nextafter(3.0, 0), False, False),
        (3.0, True, False),
        (3.01, True, False),
        (19.99, True, False),
        (20.0, True, False),
        (nextafter(20.0, inf), False, True),
        (20.01, False, True),
        (20.1, False, True),
        (80.0, False, True),
    ],
)
def test_ki67_bands_3_to_20_inclusive_and_above_20(ki67, band_3_to_20, above_20):
    inputs = make_inputs(ki67_percent=ki67)
    assert factors.ki67_3_to_20(inputs).value is band_3_to_20
    assert factors.ki67_gt_20(inputs).value is above_20


def test_unknown_values_give_unknown_factors_with_no_sources():
    inputs = make_inputs(baseline=False)
    for reader in factors.FACTOR_READERS.values():
        value = reader(inputs)
        assert value.value is None, reader.__name__
    assert factors.symptomatic(inputs).sources == ()


def test_known_factor_keeps_its_source():
    inputs = make_inputs(tumor_size_cm=Fact(2.6, ("Observation/size",)))
    value = factors.tumor_size_gt_2cm(inputs)
    assert (value.value, value.sources, value.detail) == (True, ("Observation/size",), "2.6 cm")


@pytest.mark.parametrize(
    ("positive", "pn_positive", "examined", "expected"),
    [
        (0, None, 12, False),
        (1, None, 12, True),
        (4, None, 12, True),
        (None, True, None, True),
        (None, False, 12, False),
        (None, False, None, False),
        (0, True, 12, True),  # pN1 although the count is 0: the worse value wins (§3.2)
        (1, False, 12, True),  # one positive node although pN0: the worse value wins
        (0, None, None, False),
        (None, None, 12, None),
        (None, None, None, None),
        (0, None, 0, None),  # nothing examined is pNX: "0 positive" says nothing
        (None, False, 0, None),
        (1, None, 0, True),  # a positive node is positive however the count was recorded
    ],
)
def test_node_positive(positive, pn_positive, examined, expected):
    inputs = make_inputs(nodes_positive=positive, pn_positive=pn_positive, nodes_examined=examined)
    assert factors.node_positive(inputs).value is expected


def test_node_positive_conflict_is_explained_and_sourced():
    inputs = make_inputs(
        nodes_positive=Fact(0, ("Observation/count",)),
        pn_positive=Fact(True, ("Observation/pn",)),
    )
    value = factors.node_positive(inputs)
    assert value.value is True
    assert value.sources == ("Observation/pn",)
    assert "worse" in (value.detail or "")


@pytest.mark.parametrize(("sex", "expected"), [(Sex.MALE, True), (Sex.FEMALE, False), (None, None)])
def test_male_sex(sex, expected):
    assert factors.male_sex(make_inputs(sex=sex)).value is expected


@pytest.mark.parametrize(("lvi", "expected"), [(True, True), (False, False), (None, None)])
def test_lymphovascular_invasion_reads_for_ventin_and_zheng(lvi, expected):
    inputs = make_inputs(lymphovascular_invasion=lvi)
    assert factors.lvi_present(inputs).value is expected
    assert factors.vascular_invasion(inputs).value is expected


@pytest.mark.parametrize(("given", "expected"), [(True, False), (False, True), (None, None)])
def test_no_adjuvant_therapy_is_the_negation_and_unknown_stays_unknown(given, expected):
    assert factors.no_adjuvant_therapy(make_inputs(adjuvant_therapy=given)).value is expected


@pytest.mark.parametrize(("symptomatic", "expected"), [(True, True), (False, False), (None, None)])
def test_symptomatic(symptomatic, expected):
    assert factors.symptomatic(make_inputs(symptomatic=symptomatic)).value is expected


def _guideline(inputs):
    nodes, ki67 = guideline_flags(inputs)
    return nodes.value, ki67.value


@pytest.mark.parametrize(
    ("ki67", "expected"),
    [(4.99, False), (5.0, False), (nextafter(5.0, inf), True), (5.01, True), (None, None)],
)
def test_guideline_ki67_flag_is_strictly_above_5_percent(ki67, expected):
    assert _guideline(make_inputs(ki67_percent=ki67))[1] is expected


@pytest.mark.parametrize(
    ("positive", "pn_positive", "examined", "expected"),
    [(0, None, 12, False), (1, None, 12, True), (0, True, 12, True), (0, None, 0, None)],
)
def test_guideline_node_flag_follows_the_node_factor(positive, pn_positive, examined, expected):
    inputs = make_inputs(nodes_positive=positive, pn_positive=pn_positive, nodes_examined=examined)
    assert _guideline(inputs)[0] is expected


def test_every_factor_has_a_reader_and_a_missing_data_hint():
    assert set(factors.FACTOR_READERS) == set(factors.FACTOR_MISSING_DATA)
