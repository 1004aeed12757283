"""Builders shared by the `test_scoring_*` modules: clinical inputs written by hand, so each test
states only the facts it is about."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from itertools import product
from typing import Any

from scoring.assessment import Assessment, ScoreResult
from scoring.definition import FactorDefinition
from scoring.factors import (
    KI67_BAND_FROM,
    KI67_BAND_TO,
    VENTIN_SIZE_FROM_CM,
    ZAIDI_SIZE_ABOVE_CM,
    FactorValue,
)
from scoring.inputs import (
    ClinicalInputs,
    Fact,
    PrimarySite,
    Resection,
    Sex,
)

RESECTION_DATE = date(2024, 3, 4)
TODAY = date(2025, 1, 15)

UNKNOWN = Fact()

# An in-scope, fully known, lowest-risk pancreatic NET: every test changes only what it is about.
_BASELINE: dict[str, Any] = {
    "sex": Sex.FEMALE,
    "tumor_size_cm": 1.5,
    "ki67_percent": 1.0,
    "mitoses_per_2mm2": 1.0,
    "lymphovascular_invasion": False,
    "nodes_examined": 12,
    "nodes_positive": 0,
    "symptomatic": False,
    "functional": False,
    "adjuvant_therapy": False,
    "primary_site": PrimarySite.PANCREAS,
    "poorly_differentiated": False,
    "metastatic_at_surgery": False,
}

FACT_FIELDS = (
    "sex",
    "tumor_size_cm",
    "grade_reported",
    "ki67_percent",
    "mitoses_per_2mm2",
    "lymphovascular_invasion",
    "nodes_examined",
    "nodes_positive",
    "pn_positive",
    "perineural_invasion",
    "symptomatic",
    "functional",
    "adjuvant_therapy",
    "primary_site",
    "poorly_differentiated",
    "metastatic_at_surgery",
    "recurrence",
    "preop_chromogranin_elevated",
)


def as_fact(field_name: str, value: Any) -> Fact:
    """`None` is unknown; a `Fact` is used as given; anything else gets a made-up source."""
    if isinstance(value, Fact):
        return value
    if value is None:
        return Fact()
    return Fact(value, (f"Observation/{field_name}",))


def make_inputs(*, baseline: bool = True, **overrides: Any) -> ClinicalInputs:
    """Clinical inputs from the low-risk baseline (or all unknown with `baseline=False`).

    Fact fields take a raw value, `None` (unknown) or a `Fact`; other fields are passed through.
    """
    values: dict[str, Any] = dict(_BASELINE) if baseline else {}
    values.update(overrides)
    kwargs: dict[str, Any] = {
        "patient": "Patient/test",
        "diagnosis": "Condition/dx",
        "resection": Resection(RESECTION_DATE, "Procedure/surgery"),
    }
    for name, value in values.items():
        kwargs[name] = as_fact(name, value) if name in FACT_FIELDS else value
    return ClinicalInputs(**kwargs)


def score(assessment: Assessment, score_id: str) -> ScoreResult:
    matches = [s for s in assessment.scores if s.id == score_id]
    assert len(matches) == 1, f"{score_id} not in {[s.id for s in assessment.scores]}"
    return matches[0]


def factor_value(result: ScoreResult, factor_id: str) -> bool | None:
    matches = [f for f in result.factors if f.id == factor_id]
    assert len(matches) == 1, f"{factor_id} not in {result.id}"
    return matches[0].value


def achievable_totals(
    factors: tuple[FactorDefinition, ...], values: dict[str, bool | None]
) -> set[int]:
    """Every total the unknown factors could still produce, with at most one factor present in
    each exclusive group: the sum over every combination, the reference that
    `scoring.evaluate._totals` (built up one factor at a time) is tested against."""
    choices: list[set[int]] = []
    groups: dict[str, list[FactorDefinition]] = {}
    for factor in factors:
        if factor.exclusive_group is not None:
            groups.setdefault(factor.exclusive_group, []).append(factor)
            continue
        points = factor.points or 0
        value = values[factor.id]
        choices.append({0, points} if value is None else {points if value else 0})
    for members in groups.values():
        present = [f.points or 0 for f in members if values[f.id] is True]
        if present:
            # Two bands of one input both present can only be a data error: take the worse.
            choices.append({max(present)})
        else:
            choices.append({0} | {f.points or 0 for f in members if values[f.id] is None})
    return {sum(combo) for combo in product(*choices)}


def _fact(fact: Fact, test: Callable[[Any], Any], detail: str | None = None) -> FactorValue:
    if fact.value is None:
        return FactorValue(None, fact.sources, fact.note)
    return FactorValue(test(fact.value), fact.sources, detail or fact.note)


def _size_detail(size: Fact) -> str | None:
    return None if size.value is None else f"{size.value:g} cm"


def _ki67_detail(ki67: Fact) -> str | None:
    return None if ki67.value is None else f"Ki-67 {ki67.value:g} %"


# The factor readers as first written (`_fact` with a lambda per test): the reference
# `scoring.factors`' written-out readers are compared with (tests/test_scoring_readers.py).
REFERENCE_READERS: dict[str, Callable[[ClinicalInputs], FactorValue]] = {
    "symptomatic": lambda i: _fact(i.symptomatic, bool),
    "tumor_size_gt_2cm": lambda i: _fact(
        i.tumor_size_cm, lambda cm: cm > ZAIDI_SIZE_ABOVE_CM, _size_detail(i.tumor_size_cm)
    ),
    "tumor_size_ge_3cm": lambda i: _fact(
        i.tumor_size_cm, lambda cm: cm >= VENTIN_SIZE_FROM_CM, _size_detail(i.tumor_size_cm)
    ),
    "ki67_3_to_20": lambda i: _fact(
        i.ki67_percent,
        lambda k: KI67_BAND_FROM <= k <= KI67_BAND_TO,
        _ki67_detail(i.ki67_percent),
    ),
    "ki67_gt_20": lambda i: _fact(
        i.ki67_percent, lambda k: k > KI67_BAND_TO, _ki67_detail(i.ki67_percent)
    ),
    "male_sex": lambda i: _fact(i.sex, lambda sex: sex == Sex.MALE),
    "lvi_present": lambda i: _fact(i.lymphovascular_invasion, bool),
    "vascular_invasion": lambda i: _fact(i.lymphovascular_invasion, bool),
    "no_adjuvant_therapy": lambda i: _fact(i.adjuvant_therapy, lambda given: not given),
}
