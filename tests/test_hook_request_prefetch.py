"""Service definitions, discovery and prefetch templates: rendering and reading prefetch values."""

from __future__ import annotations

import dataclasses

import pytest

from cds_service.hooks.prefetch import (
    PrefetchState,
    read_prefetch,
    render_prefetch,
    render_template,
)
from cds_service.hooks.request import parse_hook_request
from cds_service.hooks.services import (
    DEFAULT_PATHOLOGY_HOOK,
    PrefetchTemplate,
    Requirement,
    discovery_document,
    service_definitions,
)

SERVICES = service_definitions()


def test_one_service_per_hook_keyed_by_id():
    hooks = {s.id: s.hook for s in SERVICES.values()}
    assert hooks == {
        "pannet-cds-patient-view": "patient-view",
        "pannet-cds-order-sign": "order-sign",
        "pannet-cds-encounter-discharge": "encounter-discharge",
        "pannet-cds-pathology-report-sign": DEFAULT_PATHOLOGY_HOOK,
    }
    assert all(key == s.id for key, s in SERVICES.items())


def test_pathology_hook_name_is_configurable_and_validated():
    services = service_definitions("org.example.path-sign")
    assert services["pannet-cds-pathology-report-sign"].hook == "org.example.path-sign"
    assert SERVICES["pannet-cds-pathology-report-sign"].hook == DEFAULT_PATHOLOGY_HOOK
    with pytest.raises(ValueError):
        service_definitions("has space")


def test_definitions_are_immutable():
    service = SERVICES["pannet-cds-patient-view"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        service.hook = "order-select"  # type: ignore[misc]
    with pytest.raises(TypeError):
        service.prefetch["extra"] = PrefetchTemplate("extra", "Encounter/1")  # type: ignore[index]


def test_discovery_document_lists_every_service_with_its_templates():
    document = discovery_document(SERVICES)
    assert [s["id"] for s in document["services"]] == list(SERVICES)
    entry = document["services"][0]
    assert set(entry) == {"hook", "title", "description", "id", "prefetch", "usageRequirements"}
    assert entry["prefetch"]["patient"] == "Patient/{{context.patientId}}"
    observations = entry["prefetch"]["observations"]
    assert observations.startswith("Observation?patient={{context.patientId}}&code=")
    for code in ("33728-7", "29593-1", "21893-3", "9811-1"):
        assert f"http://loinc.org|{code}" in observations
    assert set(entry["prefetch"]) == {
        "patient",
        "conditions",
        "observations",
        "procedures",
        "serviceRequests",
        "imagingStudies",
        "diagnosticReports",
        "reportResults",
        "reportResultsByCode",
        "medicationRequests",
        "medicationStatements",
        "specimens",
    }


def test_only_the_patient_is_required():
    prefetch = SERVICES["pannet-cds-patient-view"].prefetch
    required = [key for key, p in prefetch.items() if p.requirement is Requirement.REQUIRED]
    assert required == ["patient"]


def test_templates_use_only_patient_tokens_and_render_for_a_call():
    raw = {
        "hook": "patient-view",
        "hookInstance": "abc",
        "context": {"userId": "PractitionerRole/r1", "patientId": "p-1.2"},
    }
    service = SERVICES["pannet-cds-patient-view"]
    request = parse_hook_request(raw, service)
    rendered = render_prefetch(service, request.context.token_values())
    assert rendered["patient"] == "Patient/p-1.2"
    assert rendered["specimens"] == "Specimen?patient=p-1.2"
    assert all("{{" not in url for url in rendered.values())
    assert set(rendered) == set(service.prefetch)


def test_render_template_tokens():
    tokens = {
        "context.patientId": "123",
        "context.userId": "Practitioner/9",
        "userPractitionerId": "9",
    }
    assert render_template("Condition?patient={{context.patientId}}", tokens) == (
        "Condition?patient=123"
    )
    assert render_template("{{context.userId}}", tokens) == "Practitioner/9"
    assert render_template("Practitioner/{{ userPractitionerId }}", tokens) == "Practitioner/9"
    # A token this call has no value for: the template cannot be asked for.
    assert render_template("Encounter/{{context.encounterId}}", tokens) is None
    # Values are percent-encoded so they cannot add query parameters.
    assert render_template("X?p={{context.patientId}}", {"context.patientId": "a&b=c"}) == (
        "X?p=a%26b%3Dc"
    )


def test_user_tokens_follow_the_user_type():
    raw = {
        "hook": "patient-view",
        "hookInstance": "abc",
        "context": {"userId": "Patient/p1", "patientId": "p1", "encounterId": "e1"},
    }
    tokens = parse_hook_request(raw, SERVICES["pannet-cds-patient-view"]).context.token_values()
    assert tokens == {
        "context.userId": "Patient/p1",
        "context.patientId": "p1",
        "context.encounterId": "e1",
        "userPatientId": "p1",
    }


READ = PrefetchTemplate("patient", "Patient/{{context.patientId}}", Requirement.REQUIRED)
SEARCH = PrefetchTemplate("conditions", "Condition?patient={{context.patientId}}")
OUTCOME = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "timeout"}]}


def test_read_prefetch_omitted_null_and_outcome():
    assert read_prefetch({}, SEARCH).state is PrefetchState.MISSING
    assert read_prefetch({"conditions": None}, SEARCH).state is PrefetchState.NO_DATA
    assert read_prefetch({"conditions": OUTCOME}, SEARCH).state is PrefetchState.MISSING
    only_outcomes = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": OUTCOME}],
    }
    assert read_prefetch({"conditions": only_outcomes}, SEARCH).state is PrefetchState.MISSING
    assert read_prefetch({"patient": OUTCOME}, READ).state is PrefetchState.MISSING


def test_read_prefetch_uses_bundles_and_drops_outcome_entries():
    condition = {"resourceType": "Condition", "id": "c1"}
    mixed = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": condition}, {"resource": OUTCOME}],
    }
    reading = read_prefetch({"conditions": mixed}, SEARCH)
    assert reading.state is PrefetchState.PROVIDED and reading.resources == (condition,)
    empty = {"resourceType": "Bundle", "type": "searchset", "total": 0}
    reading = read_prefetch({"conditions": empty}, SEARCH)
    assert reading.state is PrefetchState.PROVIDED and reading.resources == ()


@pytest.mark.parametrize(
    ("spec", "value"),
    [
        (READ, {"resourceType": "Bundle", "type": "searchset"}),
        (SEARCH, {"resourceType": "Condition", "id": "c1"}),
        (SEARCH, {"resourceType": "Bundle", "entry": {"resource": {}}}),
        (SEARCH, {"resourceType": "Bundle", "entry": [{"fullUrl": "x"}]}),
    ],
)
def test_read_prefetch_refuses_the_wrong_kind_of_resource(spec, value):
    with pytest.raises(ValueError):
        read_prefetch({spec.key: value}, spec)
