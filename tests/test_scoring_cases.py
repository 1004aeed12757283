"""The four shared synthetic patients (testdata/cases/p01-p04), written by hand as the inputs a
mapper should produce from each Bundle, checked against the facts in p0*.expected.json.

Symptoms, functional status and adjuvant therapy have no record in any Bundle: unknown.
The diagnosis is ICD-10-CM C25.4 (endocrine pancreas), so the primary site is the pancreas.
"""

from __future__ import annotations

from datetime import date

import pytest

from scoring.assess import assess
from scoring.assessment import Assessment, ScoreStatus, Tier
from scoring.inputs import ClinicalInputs, Fact, Grade, PrimarySite, Resection, Sex

TODAY = date(2025, 1, 15)


def _case(patient: str, obs: dict[str, str], sex: Sex, **facts: object) -> ClinicalInputs:
    """`obs` maps an input to its Observation id; `facts` gives the values read from them."""
    kwargs = {name: Fact(value, (f"Observation/{obs[name]}",)) for name, value in facts.items()}
    return ClinicalInputs(
        patient=f"Patient/{patient}",
        sex=Fact(sex, (f"Patient/{patient}",)),
        primary_site=Fact(PrimarySite.PANCREAS, (f"Condition/{patient}-dx",)),
        diagnosis=f"Condition/{patient}-dx",
        resection=Resection(date(2024, 3, 4), f"Procedure/{patient}-surgery"),
        **kwargs,
    )


P01 = _case(
    "p01",
    {
        "tumor_size_cm": "bc97292d-0f9c-45c4-b97e-27d88dcf0330",
        "grade_reported": "f8416703-83fd-4414-8736-8f4fef2fdf04",
        "ki67_percent": "d1ea1a2f-dcea-4dbe-a47f-f55faff05d33",
        "lymphovascular_invasion": "b8140b23-83b0-491a-8aa9-8807d15c3924",
        "nodes_examined": "2661db21-38d2-4db9-a8ef-e6370bf3267d",
        "nodes_positive": "8f4048d5-5e08-42e3-92b1-819e7b66d7fe",
    },
    Sex.MALE,
    tumor_size_cm=2.6,
    grade_reported=Grade.G2,  # SNOMED 1286893008 intermediate
    ki67_percent=6.0,
    lymphovascular_invasion=False,  # SNOMED 47492008 not seen
    nodes_examined=14,
    nodes_positive=0,
)
P02 = _case(
    "p02",
    {
        "tumor_size_cm": "6365f1f1-d78c-45d6-a519-0a44738ee3c8",
        "grade_reported": "559ada9d-668f-4ef5-97ba-56f7b093c87c",
        "ki67_percent": "0417a994-64ac-4ced-8411-8a115d93a6e6",
        "lymphovascular_invasion": "1f9499a0-7324-4e9e-9aaa-94e838f8076e",
        "nodes_examined": "f6a3d5cd-f82b-4c8f-bb6c-2bbb8e47181c",
        "nodes_positive": "4f3b10b6-dbf0-4727-bafc-d1cb50f09248",
    },
    Sex.FEMALE,
    tumor_size_cm=1.2,  # 12 mm
    grade_reported=Grade.G1,  # SNOMED 1155708003 low
    ki67_percent=1.0,
    lymphovascular_invasion=False,
    nodes_examined=9,
    nodes_positive=0,
)
P03 = _case(
    "p03",
    {
        "tumor_size_cm": "cbfc31d1-4278-47e4-9cf6-13f57bfcc102",
        "ki67_percent": "39a1e4e3-9b3c-434e-83fc-78d7acc350dc",
        "lymphovascular_invasion": "a27055ff-c857-40bc-b4c1-97654d58b1aa",
        "nodes_examined": "370ff1a6-3bdd-437c-9a5d-604f2512bbe7",
        "nodes_positive": "196245a9-dee6-49cd-b591-26b1b2075930",
    },
    Sex.FEMALE,
    tumor_size_cm=5.0,
    ki67_percent=35.0,
    lymphovascular_invasion=True,  # SNOMED 52101004 present
    nodes_examined=18,
    nodes_positive=4,
)
P04 = _case(
    "p04",
    {
        "tumor_size_cm": "f5d8efa2-8632-45fd-aae4-b9630f6f04ae",
        "lymphovascular_invasion": "c8c0afb7-0b2f-4679-b778-1450dcd74d0c",
        "nodes_examined": "c3418be2-370f-47d6-8048-fa4aa9d2472f",
        "nodes_positive": "41f8dab0-6e87-4a9f-aa50-c87014e35e1f",
    },
    Sex.MALE,
    tumor_size_cm=2.4,
    lymphovascular_invasion=True,
    nodes_examined=10,
    nodes_positive=0,
)


def _score(assessment: Assessment, score_id: str):
    return next(s for s in assessment.scores if s.id == score_id)


def test_p01_intermediate_with_two_ventin_factors():
    assessment = assess(P01, today=TODAY)
    zaidi = _score(assessment, "zaidi-rrs-2019")
    assert (zaidi.points_range, zaidi.tier) == ([3, 4], Tier.INTERMEDIATE)
    ventin = _score(assessment, "ventin-2025")
    assert (ventin.status, ventin.present, ventin.unknown) == (ScoreStatus.FACTORS_ONLY, 2, 0)
    assert {f.id for f in ventin.factors if f.value} == {"male_sex", "who_grade_ge_2"}
    assert assessment.overall_tier is Tier.INTERMEDIATE
    assert assessment.surveillance is not None
    assert assessment.surveillance.tier is Tier.INTERMEDIATE


def test_p02_low_and_very_low_surveillance():
    assessment = assess(P02, today=TODAY)
    zaidi = _score(assessment, "zaidi-rrs-2019")
    assert (zaidi.points_range, zaidi.tier) == ([0, 1], Tier.LOW)
    assert assessment.overall_tier is Tier.LOW
    assert assessment.surveillance is not None
    assert assessment.surveillance.tier is Tier.VERY_LOW


def test_p03_high_and_ventin_not_applicable():
    assessment = assess(P03, today=TODAY)
    zaidi = _score(assessment, "zaidi-rrs-2019")
    assert (zaidi.points_range, zaidi.tier) == ([9, 10], Tier.HIGH)
    assert _score(assessment, "ventin-2025").status is ScoreStatus.NOT_APPLICABLE
    assert assessment.overall_tier is Tier.HIGH


def test_p04_undetermined_without_ki67():
    assessment = assess(P04, today=TODAY)
    zaidi = _score(assessment, "zaidi-rrs-2019")
    assert (zaidi.points_range, zaidi.tier) == ([2, 9], None)
    assert set(zaidi.possible_tiers) == {Tier.HIGH, Tier.INTERMEDIATE, Tier.LOW}
    assert assessment.overall_tier is None
    assert assessment.surveillance is not None
    assert assessment.surveillance.tier is Tier.HIGH
    assert "Ki-67 index (LOINC 29593-1)" in assessment.surveillance.lighter_if_known


@pytest.mark.parametrize("case", [P01, P02, P03, P04], ids=["p01", "p02", "p03", "p04"])
def test_every_known_factor_cites_its_resource(case):
    assessment = assess(case, today=TODAY)
    for result in assessment.scores:
        for factor in result.factors:
            if factor.value is not None and factor.id != "no_adjuvant_therapy":
                assert factor.source is not None, (result.id, factor.id)
                assert factor.source.split("/")[0] in {"Observation", "Patient"}
    assessment.model_dump_json()
