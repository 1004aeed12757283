"""Site configuration (clinical.md §6c): local Observation codes extend the published ones, in
the mapper, in the prefetch template and through the whole pipeline."""

from __future__ import annotations

from datetime import date

import pytest

from cds_service.hooks.services import service_definitions
from cds_service.scoring_pipeline import assess_resources
from fhir_mappers.record import inputs_from_resources
from scoring.site_config import SiteConfigError, parse_site_config
from tests.support.cds_calls import case_resources

LOCAL = "https://hospital.example.org/codes"
SITE = parse_site_config(
    f"extra_codes:\n  mitoses_per_2mm2:\n    - {{system: '{LOCAL}', code: 'LAB-4712'}}\n"
    f"  ki67_percent:\n    - {{system: '{LOCAL}', code: 'LAB-4711'}}\n"
)


def local_observation(code: str, value: float, unit: str) -> dict:
    return {
        "resourceType": "Observation",
        "id": f"local-{code.lower()}",
        "status": "final",
        "code": {"coding": [{"system": LOCAL, "code": code}]},
        "subject": {"reference": "Patient/p04"},
        "effectiveDateTime": "2024-03-08",
        "valueQuantity": {"value": value, "unit": unit},
    }


def test_local_code_is_not_read_without_the_site_configuration():
    resources = [*case_resources("p04"), local_observation("LAB-4711", 25, "%")]
    assert inputs_from_resources(resources).ki67_percent.value is None


def test_local_code_is_read_with_the_site_configuration():
    resources = [*case_resources("p04"), local_observation("LAB-4711", 25, "%")]
    inputs = inputs_from_resources(resources, extra_codes=SITE.extra_code_keys())
    assert inputs.ki67_percent.value == 25
    assert inputs.ki67_percent.sources == ("Observation/local-lab-4711",)


def test_local_codes_change_the_assessment_end_to_end():
    resources = [*case_resources("p04"), local_observation("LAB-4711", 25, "%")]
    assessment = assess_resources(resources, today=date(2026, 11, 21), site=SITE)
    zaidi = next(s for s in assessment.scores if s.id == "zaidi-rrs-2019")
    assert zaidi.points_range == [8, 9]  # size 2 + Ki-67 > 20 % 6 + symptoms unknown
    assert assessment.overall_tier == "high"


def test_prefetch_template_asks_for_the_local_codes():
    services = service_definitions(
        extra_observation_codes=[c for cs in SITE.extra_code_keys().values() for c in cs]
    )
    template = services["pannet-cds-patient-view"].prefetch["observations"].template
    assert f"{LOCAL}|LAB-4712" in template
    assert "http://loinc.org|29593-1" in template


def test_unknown_input_name_is_refused():
    with pytest.raises(SiteConfigError, match=r"extra_codes\.ki67: unknown input"):
        parse_site_config("extra_codes:\n  ki67:\n    - {system: s, code: c}\n")
