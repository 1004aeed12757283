"""Gathering from context and prefetch alone (no fhirServer): the omitted / null /
OperationOutcome policy, required versus optional data, and context resources winning."""

from __future__ import annotations

import pytest

from cds_service.hooks.errors import BadHookRequest, RequiredDataUnavailable, TooMuchData
from cds_service.hooks.fhir_client import MAX_RESOURCES_PER_KEY
from cds_service.hooks.gather import MAX_RESOURCES_PER_CALL, gather_resources, make_fetcher
from cds_service.hooks.request import parse_hook_request
from cds_service.hooks.services import service_definitions

SERVICES = service_definitions()
PATIENT_VIEW = SERVICES["pannet-cds-patient-view"]
ORDER_SIGN = SERVICES["pannet-cds-order-sign"]
PATHOLOGY = SERVICES["pannet-cds-pathology-report-sign"]
OPTIONAL_KEYS = [key for key in PATIENT_VIEW.prefetch if key != "patient"]
PATIENT = {"resourceType": "Patient", "id": "p1", "gender": "male"}
OUTCOME = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "timeout"}]}


def searchset(*resources):
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": r} for r in resources],
    }


def observation(oid, patient="p1", value=2.5):
    return {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "33728-7"}]},
        "subject": {"reference": f"Patient/{patient}"},
        "valueQuantity": {"value": value, "unit": "cm", "system": "http://unitsofmeasure.org"},
    }


def full_prefetch(**overrides):
    prefetch = {"patient": PATIENT, **{key: searchset() for key in OPTIONAL_KEYS}}
    prefetch.update(overrides)
    return prefetch


def request_for(service, prefetch=None, **context):
    raw = {
        "hook": service.hook,
        "hookInstance": "5b0f3e1c-0d7a-4a43-9a0c-2d3b0b0e8b11",
        "context": {"userId": "Practitioner/pr1", "patientId": "p1", **context},
    }
    if prefetch is not None:
        raw["prefetch"] = prefetch
    return parse_hook_request(raw, service)


def gather(request, service=PATIENT_VIEW):
    return gather_resources(request, service, make_fetcher(request, session=None), budget_s=1.0)


def test_complete_prefetch_is_used_as_sent():
    size = observation("o1")
    result = gather(request_for(PATIENT_VIEW, full_prefetch(observations=searchset(size))))
    assert result.resources == [PATIENT, size]
    assert result.from_prefetch == list(PATIENT_VIEW.prefetch)
    assert result.fetched == [] and result.failed == {} and not result.degraded


def test_null_means_no_data_and_is_not_a_failure():
    prefetch = full_prefetch(**{key: None for key in OPTIONAL_KEYS})
    result = gather(request_for(PATIENT_VIEW, prefetch))
    assert result.resources == [PATIENT]
    assert not result.degraded and result.failed == {}
    assert "conditions" in result.from_prefetch


@pytest.mark.parametrize("patient_value", ["omitted", None, OUTCOME])
def test_patient_unavailable_without_a_server_is_412(patient_value):
    prefetch = full_prefetch()
    if patient_value == "omitted":
        del prefetch["patient"]
    else:
        prefetch["patient"] = patient_value
    with pytest.raises(RequiredDataUnavailable) as caught:
        gather(request_for(PATIENT_VIEW, prefetch))
    assert len(caught.value.missing) == 1
    # The data in words with the call's own patient id, not the prefetch template (issue 12).
    assert caught.value.missing[0].startswith("Patient (Patient/p1):")
    assert "{{" not in str(caught.value)
    assert "no fhirServer" in caught.value.missing[0]


def test_no_prefetch_and_no_server_is_412():
    with pytest.raises(RequiredDataUnavailable):
        gather(request_for(PATIENT_VIEW))


@pytest.mark.parametrize("value", ["omitted", OUTCOME, searchset(OUTCOME)])
def test_optional_data_missing_without_a_server_degrades(value):
    prefetch = full_prefetch()
    if value == "omitted":
        del prefetch["observations"]
    else:
        prefetch["observations"] = value
    result = gather(request_for(PATIENT_VIEW, prefetch))
    assert result.degraded
    assert list(result.failed) == ["observations"]
    assert "no fhirServer" in result.failed["observations"]
    assert "observations" not in result.from_prefetch
    assert result.resources == [PATIENT]


def test_prefetched_patient_must_be_the_context_patient():
    with pytest.raises(BadHookRequest, match=r"^prefetch\.patient: Patient id does not match"):
        gather(request_for(PATIENT_VIEW, full_prefetch(patient={**PATIENT, "id": "p2"})))


def test_prefetched_search_must_not_hold_another_patients_data():
    prefetch = full_prefetch(observations=searchset(observation("o1"), observation("o2", "p2")))
    with pytest.raises(BadHookRequest, match=r"^prefetch\.observations: .*another patient"):
        gather(request_for(PATIENT_VIEW, prefetch))


def test_prefetch_of_the_wrong_type_is_a_bad_request():
    with pytest.raises(BadHookRequest, match=r"^prefetch\.conditions: must be a searchset Bundle"):
        gather(request_for(PATIENT_VIEW, full_prefetch(conditions=PATIENT)))


def test_unrequested_prefetch_keys_are_ignored():
    result = gather(request_for(PATIENT_VIEW, full_prefetch(other={"resourceType": "Basic"})))
    assert result.resources == [PATIENT]


def pathology_report(contained=()):
    report = {
        "resourceType": "DiagnosticReport",
        "id": "dr1",
        "status": "final",
        "code": {"text": "Surgical pathology"},
        "subject": {"reference": "Patient/p1"},
        "result": [{"reference": "#ki67"}, {"reference": "Observation/o1"}],
    }
    if contained:
        report["contained"] = list(contained)
    return report


def test_pathology_context_comes_first_and_wins_over_server_copies():
    contained_ki67 = observation("ki67")
    report = pathology_report([contained_ki67])
    new_size = observation("o1", value=3.1)
    old_report = {**pathology_report(), "status": "preliminary"}
    old_size = observation("o1", value=1.0)
    other = observation("o2")
    prefetch = full_prefetch(
        diagnosticReports=searchset(old_report), observations=searchset(old_size, other)
    )
    request = request_for(
        PATHOLOGY,
        prefetch,
        diagnosticReport=report,
        results={"resourceType": "Bundle", "type": "collection", "entry": [{"resource": new_size}]},
    )
    result = gather(request, PATHOLOGY)
    assert result.resources == [report, new_size, PATIENT, other]
    assert result.resources[0]["contained"] == [contained_ki67]
    assert result.context_references == ["DiagnosticReport/dr1", "Observation/o1"]


def test_pathology_without_results_bundle():
    request = request_for(PATHOLOGY, full_prefetch(), diagnosticReport=pathology_report())
    result = gather(request, PATHOLOGY)
    assert result.resources[0]["id"] == "dr1"
    assert result.context_references == ["DiagnosticReport/dr1"]


def test_order_sign_draft_orders_are_included_first():
    draft = {
        "resourceType": "ServiceRequest",
        "id": "draft-ct",
        "status": "draft",
        "intent": "order",
        "code": {"coding": [{"system": "http://loinc.org", "code": "79103-8"}]},
        "subject": {"reference": "Patient/p1"},
    }
    orders = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": draft}]}
    request = request_for(ORDER_SIGN, full_prefetch(), draftOrders=orders)
    result = gather(request, ORDER_SIGN)
    assert result.resources == [draft, PATIENT]
    assert result.context_references == ["ServiceRequest/draft-ct"]


def test_a_prefetch_key_past_the_per_key_cap_is_refused_stating_the_limit():
    """Issue 11.9: the work one call can ask for is bounded (20,000 Observations cost 3.7 s)."""
    many = searchset(*(observation(f"o{i}") for i in range(MAX_RESOURCES_PER_KEY + 1)))
    with pytest.raises(TooMuchData, match=f"the limit is {MAX_RESOURCES_PER_KEY} per prefetch"):
        gather(request_for(PATIENT_VIEW, full_prefetch(observations=many)))


def test_a_call_past_the_per_call_cap_is_refused_stating_the_limit():
    per_key = MAX_RESOURCES_PER_KEY
    keys = OPTIONAL_KEYS[: MAX_RESOURCES_PER_CALL // per_key + 1]
    filled = {key: searchset(*(observation(f"{key}-{i}") for i in range(per_key))) for key in keys}
    with pytest.raises(TooMuchData, match=f"the limit is {MAX_RESOURCES_PER_CALL} per call"):
        gather(request_for(PATIENT_VIEW, full_prefetch(**filled)))
