"""The prefetch templates ask for what the mappers read (issue 9, "prefetch that finds it"): every
coded Observation the mappers know, by code whatever its category, and the pathology reports with
their results and hasMember trees, so text-only and EHR-local results arrive too."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest

from cds_service.hooks import prefetch_codes
from cds_service.hooks.services import (
    REPORT_RESULTS_BY_CODE_KEY,
    REPORT_RESULTS_KEY,
    service_definitions,
)
from fhir_mappers import codes, observation_codes

SERVICES = service_definitions()
PATIENT_VIEW = SERVICES["pannet-cds-patient-view"]

# The mapper tables of Observation codes (fhir_mappers/codes.py): a code the mappers read as an
# Observation.code must be one the template asks for.
MAPPER_OBSERVATION_TABLES = (
    codes.TUMOR_SIZE,
    codes.TUMOR_SIZE_PANEL,
    codes.HISTOLOGIC_GRADE,
    codes.KI67,
    codes.LYMPHOVASCULAR_INVASION,
    codes.NODES_EXAMINED,
    codes.NODES_POSITIVE,
    codes.PN_CATEGORY,
    codes.M_CATEGORY,
    codes.PERINEURAL_INVASION,
    codes.CHROMOGRANIN_A,
)


def params(template: str) -> list[tuple[str, str]]:
    return parse_qsl(template.split("?", 1)[1])


def asked_codes(template: str) -> set[tuple[str, str]]:
    (value,) = [v for k, v in params(template) if k == "code"]
    return {tuple(token.split("|", 1)) for token in value.split(",")}  # type: ignore[misc]


def test_observation_template_asks_for_every_code_the_mappers_read():
    asked = asked_codes(PATIENT_VIEW.prefetch["observations"].template)
    for table in MAPPER_OBSERVATION_TABLES:
        assert set(table) <= asked


def test_observation_template_asks_for_every_code_of_the_mappers_registry():
    # fhir_mappers.observation_codes gathers every table read against Observation.code
    # (pathology, spread, registry diagnosis, symptoms) and the groupers whose members are read
    asked = asked_codes(PATIENT_VIEW.prefetch["observations"].template)
    assert asked >= observation_codes.ALL_READ | observation_codes.GROUPERS
    assert (prefetch_codes.SNOMED, "371469007") in asked  # SNOMED histologic grading status
    assert ("http://fhir.ch/ig/ch-crl/CodeSystem/nkrs-variables", "8.6") in asked


def test_the_registry_holds_every_mapper_table_this_file_names():
    registered = set(observation_codes.READ_BY_MAPPERS.values())
    assert all(table in registered for table in MAPPER_OBSERVATION_TABLES)


def test_observation_template_asks_for_staging_grade_and_metastasis_observables():
    asked = asked_codes(PATIENT_VIEW.prefetch["observations"].template)
    snomed, ncit = prefetch_codes.SNOMED, prefetch_codes.NCIT
    for code in ("371494008", "399387003", "395715009", "371493002", "371513001"):
        assert (snomed, code) in asked  # pN, cM, UICC L / V / Pn (MII, mCODE)
    assert (ncit, "C18000") in asked  # mCODE histologic grade
    assert ("http://loinc.org", "21906-3") in asked  # Synthea's N category


def test_each_searched_code_is_listed_once_with_its_source():
    tokens = [c.token for c in prefetch_codes.OBSERVATION_CODES]
    assert len(tokens) == len(set(tokens))
    assert all(c.source and c.meaning for c in prefetch_codes.OBSERVATION_CODES)


@pytest.mark.parametrize(
    ("key", "parameter", "codes"),
    [
        (REPORT_RESULTS_KEY, "category", prefetch_codes.PATHOLOGY_REPORT_CATEGORIES),
        (REPORT_RESULTS_BY_CODE_KEY, "code", prefetch_codes.PATHOLOGY_REPORT_CODES),
    ],
)
def test_pathology_report_templates_include_results_and_their_member_trees(key, parameter, codes):
    template = PATIENT_VIEW.prefetch[key].template
    assert template.startswith("DiagnosticReport?patient={{context.patientId}}&")
    query = params(template)
    assert ("_include", "DiagnosticReport:result") in query
    assert ("_include:iterate", "Observation:has-member") in query
    (value,) = [v for k, v in query if k == parameter]
    assert value.split(",") == [c.token for c in codes]


def test_pathology_reports_are_found_by_the_encodings_of_the_igs():
    categories = {c.token for c in prefetch_codes.PATHOLOGY_REPORT_CATEGORIES}
    report_codes = {c.token for c in prefetch_codes.PATHOLOGY_REPORT_CODES}
    assert "http://loinc.org|LP7839-6" in categories  # US Pathology (CAP eCC) reports
    assert "http://terminology.hl7.org/CodeSystem/v2-0074|SP" in categories
    for code in ("60568-3", "22637-3", "60567-5"):  # MII / CAP synoptic, mCODE, US Core
        assert f"http://loinc.org|{code}" in report_codes


def test_no_template_limits_the_result_count():
    # An EHR honouring _count without paging would send a truncated result.
    for spec in PATIENT_VIEW.prefetch.values():
        assert "_count" not in spec.template, spec.key


def test_every_service_shares_the_same_templates():
    templates = {
        tuple(sorted((k, p.template) for k, p in s.prefetch.items())) for s in SERVICES.values()
    }
    assert len(templates) == 1


def test_site_extra_codes_join_the_observation_template_once():
    local = ("http://lab.example.org/codes", "KI67-LOCAL")
    defs = service_definitions(
        extra_observation_codes=[local, local, ("http://loinc.org", "29593-1")]
    )
    template = defs["pannet-cds-patient-view"].prefetch["observations"].template
    assert template.count("http://lab.example.org/codes|KI67-LOCAL") == 1
    assert template.count("http://loinc.org|29593-1") == 1
    assert asked_codes(PATIENT_VIEW.prefetch["observations"].template) < asked_codes(template)
