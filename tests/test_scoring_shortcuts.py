"""The shortcuts of the scoring layer give what they short-cut: the factor readers of
`scoring.factors`, written out with their tests inline, read exactly what the first
`_fact(fact, test, detail)` readers read (tests/scoring_support.py), for any value a Fact may
hold (the same answer, or the same error); the one-grade shortcut of `grade_text` gives the
sorted join; `sorted_tiers` sorts as `tier_rank` does, errors included; two eligibilities combine
as they first did."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import factors
from scoring.assessment import Tier, sorted_tiers, tier_rank
from scoring.grade import ALL_GRADES, grade_text
from scoring.inputs import ClinicalInputs, Fact, Grade, Sex
from scoring.population import Eligibility, _combine
from tests.scoring_support import REFERENCE_READERS

_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([2.0, 3.0, 20.0, 0.0, Decimal("2.5"), "2", "", "male", Sex.MALE, Sex.FEMALE]),
    st.sampled_from(list(Grade)),
    st.text(max_size=3),
)
_FACTS = st.builds(
    Fact,
    value=_VALUES,
    sources=st.lists(st.sampled_from(["Observation/a", "Observation/b"]), max_size=2).map(tuple),
    note=st.one_of(st.none(), st.just(""), st.just("a note")),
)
_FIELDS = ("symptomatic", "tumor_size_cm", "ki67_percent", "sex", "lymphovascular_invasion")


def _outcome(read: Any, inputs: ClinicalInputs) -> Any:
    try:
        value = read(inputs)
    except Exception as exc:
        return (type(exc), str(exc))
    return (type(value), tuple(value), tuple(type(v) for v in value))


@settings(max_examples=400, deadline=None)
@given(facts=st.fixed_dictionaries({name: _FACTS for name in (*_FIELDS, "adjuvant_therapy")}))
def test_each_reader_reads_as_the_first_ones(facts: dict[str, Fact]) -> None:
    inputs = ClinicalInputs(**facts)
    for name, reference in REFERENCE_READERS.items():
        mine = _outcome(factors.FACTOR_READERS[name], inputs)
        assert mine == _outcome(reference, inputs), name


def test_the_readers_are_compared_on_known_and_unknown_values() -> None:
    for value in (None, 2.5, 1.0):
        inputs = ClinicalInputs(tumor_size_cm=Fact(value, ("Observation/s",), "n"))
        for name in ("tumor_size_gt_2cm", "tumor_size_ge_3cm"):
            ref = REFERENCE_READERS[name](inputs)
            assert factors.FACTOR_READERS[name](inputs) == ref
    assert factors.tumor_size_gt_2cm(inputs).detail == "1 cm"


def test_grade_text_is_the_sorted_join() -> None:
    subsets = [frozenset(s) for s in ([Grade.G1], [Grade.G3], [Grade.G1, Grade.G2], ALL_GRADES)]
    for possible in [*subsets, frozenset({"G2"}), frozenset({"G2", Grade.G1})]:
        for separator in (" or ", "/"):
            try:
                expected: Any = separator.join(sorted(g.value for g in possible))
            except AttributeError as exc:
                expected = str(exc)
            try:
                mine: Any = grade_text(possible, separator)
            except AttributeError as exc:
                mine = str(exc)
            assert mine == expected


def _sorted_outcome(tiers: Any) -> Any:
    try:
        out = sorted_tiers(tiers)
    except Exception as exc:
        return (type(exc), str(exc))
    return [(type(t), t) for t in out]


def _reference_sorted(tiers: Any) -> Any:
    try:
        out = sorted(tiers, key=tier_rank)
    except Exception as exc:
        return (type(exc), str(exc))
    return [(type(t), t) for t in out]


@given(tiers=st.sets(st.sampled_from([*Tier, "low", "high", "nope", 3])))
def test_sorted_tiers_sorts_as_tier_rank(tiers: set[Any]) -> None:
    assert _sorted_outcome(tiers) == _reference_sorted(tiers)
    assert _sorted_outcome(frozenset(tiers)) == _reference_sorted(frozenset(tiers))


_ELIGIBILITIES = [
    Eligibility(True),
    Eligibility(False, "out"),
    Eligibility(None, missing=("a",)),
    Eligibility(True, notes=("n",)),
    Eligibility(None, missing=("b", "c"), notes=("m",)),
]


def _reference_combine(first: Eligibility, second: Eligibility) -> Eligibility:
    for check in (first, second):
        if check.eligible is False:
            return check
    missing = first.missing + second.missing
    return Eligibility(None if missing else True, missing=missing, notes=first.notes + second.notes)


def test_combined_eligibility_is_the_one_first_made() -> None:
    for first, second in itertools.product(_ELIGIBILITIES, repeat=2):
        mine, reference = _combine(first, second), _reference_combine(first, second)
        assert mine == reference and type(mine) is type(reference)
