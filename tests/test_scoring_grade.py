"""WHO 2019/2022 grade of a digestive NET (clinical.md §3.1) and the Ventin "grade >= 2" factor."""

from __future__ import annotations

from math import inf, nextafter

import pytest

from scoring.factors import who_grade_ge_2
from scoring.grade import derive_grade, grade_from_ki67, grade_from_mitoses
from scoring.inputs import Fact, Grade
from tests.scoring_support import make_inputs

G1, G2, G3 = Grade.G1, Grade.G2, Grade.G3


@pytest.mark.parametrize(
    ("ki67", "grade"),
    [
        (0.0, G1),
        (2.99, G1),
        (nextafter(3.0, 0), G1),
        (3.0, G2),
        (20.0, G2),
        (nextafter(20.0, inf), G3),
        (20.1, G3),
    ],
)
def test_grade_from_ki67(ki67, grade):
    assert grade_from_ki67(ki67) is grade


@pytest.mark.parametrize(
    ("mitoses", "grade"),
    [
        (1.9, G1),
        (nextafter(2.0, 0), G1),
        (2.0, G2),
        (20.0, G2),
        (nextafter(20.0, inf), G3),
        (20.1, G3),
    ],
)
def test_grade_from_mitoses(mitoses, grade):
    assert grade_from_mitoses(mitoses) is grade


def _grade(reported=None, ki67=None, mitoses=None):
    return derive_grade(
        make_inputs(grade_reported=reported, ki67_percent=ki67, mitoses_per_2mm2=mitoses)
    )


@pytest.mark.parametrize(
    ("ki67", "mitoses", "grade"),
    [
        (1.0, 1.9, G1),
        (1.0, 2.0, G2),  # mitoses raise a Ki-67 G1 to G2
        (2.99, 1.99, G1),
        (3.0, 1.0, G2),
        (1.0, 20.0, G2),
        (1.0, 20.1, G3),  # the higher of the two
        (20.1, 1.0, G3),
        (20.0, 20.0, G2),
        (25.0, 25.0, G3),
    ],
)
def test_both_components_give_the_higher_grade(ki67, mitoses, grade):
    finding = _grade(ki67=ki67, mitoses=mitoses)
    assert finding.possible == {grade}
    assert finding.determined is grade


@pytest.mark.parametrize("reported", [G1, G2, G3])
def test_reported_grade_wins_over_derived(reported):
    finding = derive_grade(
        make_inputs(
            grade_reported=Fact(reported, ("Observation/grade",)),
            ki67_percent=30.0,
            mitoses_per_2mm2=30.0,
        )
    )
    assert finding.possible == {reported}
    assert finding.sources == ("Observation/grade",)
    assert finding.basis == "reported"


def test_ki67_below_3_without_mitoses_is_g1_or_g2():
    assert _grade(ki67=2.99).possible == {G1, G2}
    assert who_grade_ge_2(make_inputs(ki67_percent=2.99, mitoses_per_2mm2=None)).value is None


@pytest.mark.parametrize(("ki67", "possible"), [(3.0, {G2, G3}), (20.0, {G2, G3}), (20.1, {G3})])
def test_ki67_only_leaves_the_grades_a_mitotic_count_could_still_reach(ki67, possible):
    assert _grade(ki67=ki67).possible == possible


@pytest.mark.parametrize(
    ("mitoses", "possible"),
    [(1.9, {G1, G2, G3}), (2.0, {G2, G3}), (20.0, {G2, G3}), (20.1, {G3})],
)
def test_mitoses_only_leaves_every_higher_grade(mitoses, possible):
    assert _grade(mitoses=mitoses).possible == possible


def test_nothing_known_leaves_every_grade():
    finding = _grade()
    assert finding.possible == {G1, G2, G3}
    assert finding.determined is None
    assert finding.sources == ()


@pytest.mark.parametrize(
    ("reported", "ki67", "mitoses", "expected"),
    [
        (G1, None, None, False),
        (G2, None, None, True),
        (G3, None, None, True),
        (G1, 30.0, None, False),  # the reported grade wins (§3.1)
        (None, 2.99, 1.9, False),
        (None, 2.99, 2.0, True),
        (None, 3.0, 1.0, True),
        (None, 3.0, None, True),  # G2 or G3: either way >= 2
        (None, 2.99, None, None),  # G1 or G2: unknown, not absent
        (None, None, 1.9, None),
        (None, None, 2.0, True),
        (None, None, None, None),
    ],
)
def test_who_grade_at_least_2(reported, ki67, mitoses, expected):
    inputs = make_inputs(grade_reported=reported, ki67_percent=ki67, mitoses_per_2mm2=mitoses)
    assert who_grade_ge_2(inputs).value is expected


def test_derived_grade_cites_both_components():
    inputs = make_inputs(
        ki67_percent=Fact(4.0, ("Observation/ki67",)),
        mitoses_per_2mm2=Fact(1.0, ("Observation/mitoses",)),
    )
    assert who_grade_ge_2(inputs).sources == ("Observation/ki67", "Observation/mitoses")
