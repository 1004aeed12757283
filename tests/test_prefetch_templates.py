"""The prefetch templates ask for what the mappers read (issue 9, "prefetch that finds it"): every
coded Observation the mappers know, by code whatever its category, and every report with its
results and their hasMember trees, so text-only and EHR-local results arrive too."""

from __future__ import annotations

from urllib.parse import parse_qsl

from cds_service.hooks import prefetch_codes
from cds_service.hooks.services import REPORT_RESULTS_KEY, service_definitions
from fhir_mappers import codes

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


def test_report_results_template_includes_results_and_their_member_trees():
    template = PATIENT_VIEW.prefetch[REPORT_RESULTS_KEY].template
    assert template.startswith("DiagnosticReport?patient={{context.patientId}}&")
    assert ("_include", "DiagnosticReport:result") in params(template)
    assert ("_include:iterate", "Observation:has-member") in params(template)


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
