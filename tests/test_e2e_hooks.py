"""Every hook of the service process, called over HTTP like an EHR calls it, for the shared cases
and our own patients held by a real FHIR R4 server: once with full prefetch and once with only
`fhirServer` + `fhirAuthorization`. The two answers must agree, the assessments must show each
case's expected facts, and every suggested resource must be accepted by the FHIR server."""

from __future__ import annotations

import functools
from datetime import date
from typing import Any

import pytest
import requests

from tests.support.cds_calls import SERVICE_IDS, pathology_report, prefetch_for, request_body
from tests.support.e2e_patients import (
    ALL_CASES,
    OWN_CASES,
    bundle_resources,
    case_bundle,
    expected_facts,
    fact_mismatches,
)
from tests.support.fhir_load import HEADERS, load_bundle, search_all

pytestmark = pytest.mark.e2e

HOOKS = ("patient-view", "order-sign", "encounter-discharge", "pathology")
MODES = ("prefetch", "fetch")
ASSESSMENT_KEY = "org.pannet-cds.assessment"
# fhirAuthorization must be present; sekmet-fhir does not check the token
ACCESS_TOKEN = "e2e-access-token-not-checked"


@pytest.fixture(scope="module")
def records(fhir_server) -> dict[str, list[dict[str, Any]]]:
    """Every case loaded into the FHIR server; its resources as loaded, per case."""
    loaded = {}
    for case in ALL_CASES:
        bundle = case_bundle(case, date.today())
        load_bundle(fhir_server.base_url, bundle)
        loaded[case] = bundle_resources(bundle)
    return loaded


def report_being_signed(case: str, resources: list[dict[str, Any]]) -> dict[str, Any]:
    """The DiagnosticReport in the pathology hook's context: e07's own report (results contained);
    for the shared cases the results contained as `pathology_report` builds them; for our other
    cases a report that references the stored Observations."""
    own = next((r for r in resources if r["resourceType"] == "DiagnosticReport"), None)
    if own is not None:
        return own
    observations = [r for r in resources if r["resourceType"] == "Observation"]
    if case not in OWN_CASES:
        return pathology_report(case, observations)
    report = pathology_report(case, [])
    report.pop("contained")
    report["result"] = [{"reference": f"Observation/{o['id']}"} for o in observations]
    return report


@pytest.fixture(scope="module")
def call(cds_process, fhir_server, records):
    """call(case, hook, mode) -> (status, body): each distinct call made once per module."""

    @functools.cache
    def _call(case: str, hook: str, mode: str) -> tuple[int, Any]:
        resources = records[case]
        extra: dict[str, Any] = {}
        if hook == "pathology":
            extra["diagnosticReport"] = report_being_signed(case, resources)
        if mode == "prefetch":
            body = request_body(hook, case, prefetch=prefetch_for(resources), **extra)
        else:
            body = request_body(
                hook,
                case,
                fhir_server=fhir_server.base_url,
                access_token=ACCESS_TOKEN,
                **extra,
            )
        response = cds_process.post(f"/cds-services/{SERVICE_IDS[hook]}", body)
        assert response.status_code == 200, (
            response.status_code,
            response.text[:2000],
            cds_process.process.log_tail(),
        )
        return response.status_code, response.json()

    return _call


def the_card(answer: dict[str, Any]) -> dict[str, Any] | None:
    cards = answer["cards"]
    assert len(cards) <= 1, "one assessment card per call at most"
    return cards[0] if cards else None


def assessment_of(card: dict[str, Any]) -> dict[str, Any]:
    return card["extension"][ASSESSMENT_KEY]


@pytest.mark.parametrize("hook", HOOKS)
@pytest.mark.parametrize("case", ALL_CASES)
def test_prefetch_and_fetch_from_the_fhir_server_agree(call, case, hook):
    _, with_prefetch = call(case, hook, "prefetch")
    _, fetched = call(case, hook, "fetch")
    first, second = the_card(with_prefetch), the_card(fetched)
    assert (first is None) == (second is None), (case, hook, first, second)
    if first is None:
        return
    assert second is not None
    assert assessment_of(second) == assessment_of(first)
    for field in ("summary", "indicator", "detail", "selectionBehavior", "source"):
        assert second[field] == first[field], field
    assert without_uuids(second.get("suggestions")) == without_uuids(first.get("suggestions"))


def without_uuids(node: Any) -> Any:
    """Suggestion uuids are per call (hookInstance), the rest must be equal."""
    if isinstance(node, dict):
        return {k: without_uuids(v) for k, v in node.items() if k != "uuid"}
    if isinstance(node, list):
        return [without_uuids(item) for item in node]
    return node


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", ALL_CASES)
def test_pathology_sign_off_shows_the_expected_assessment(call, case, mode):
    _, answer = call(case, "pathology", mode)
    card = the_card(answer)
    assert card is not None, "pathology sign-off always shows the assessment"
    assessment = assessment_of(card)
    assert fact_mismatches(assessment, expected_facts(case)) == []
    assert not [w for w in assessment["warnings"] if "Not available from the FHIR server" in w]
    assert len(card["summary"]) < 140


@pytest.mark.parametrize("hook", ["patient-view", "order-sign", "encounter-discharge"])
@pytest.mark.parametrize("case", OWN_CASES)
def test_chart_open_alerts_only_when_actionable(call, case, hook):
    _, answer = call(case, hook, "fetch")
    card = the_card(answer)
    assert (card is not None) == expected_facts(case)["patient-view card"]
    if card is not None:
        assert fact_mismatches(assessment_of(card), expected_facts(case)) == []


def test_high_tier_overdue_is_critical_and_incomplete_data_says_so(call):
    high = the_card(call("e01", "patient-view", "fetch")[1])
    assert high is not None
    assert high["indicator"] == "critical"
    assert "high" in high["summary"].lower()
    incomplete = the_card(call("e05", "patient-view", "fetch")[1])
    assert incomplete is not None
    assert "incomplete data" in incomplete["summary"]
    # neither the entered-in-error 30 % nor the preliminary 15 % may settle the tier
    assert assessment_of(incomplete)["overall_tier"] is None


def suggested_resources(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        action["resource"]
        for suggestion in card.get("suggestions") or []
        for action in suggestion.get("actions") or []
        if action.get("type") == "create"
    ]


def created_reference(response: requests.Response) -> str:
    """Type/id from a create's Location header ({base}/Type/id/_history/n)."""
    return "/".join(response.headers["Location"].split("/_history")[0].split("/")[-2:])


@pytest.mark.parametrize("case", ALL_CASES)
def test_every_suggested_resource_is_created_by_the_fhir_server(call, fhir_server, case):
    card = the_card(call(case, "pathology", "prefetch")[1])
    assert card is not None
    resources = suggested_resources(card)
    if assessment_of(card)["surveillance"] is None:
        assert resources == []
        return
    assert resources, "a card with a surveillance plan suggests orders"
    base = fhir_server.base_url
    created_refs: list[str] = []
    try:
        for resource in resources:
            created_refs.append(create_and_read_back(base, resource))
    finally:
        # the drafts would count as ordered imaging in later calls that fetch from the server
        for ref in created_refs:
            deleted = requests.delete(f"{base}/{ref}", headers=HEADERS, timeout=30)
            assert deleted.status_code in (200, 204), (ref, deleted.status_code)
    remaining = {
        f"ServiceRequest/{r['id']}" for r in search_all(base, f"ServiceRequest?patient={case}")
    }
    assert remaining.isdisjoint(created_refs)


def create_and_read_back(base: str, resource: dict[str, Any]) -> str:
    assert "id" not in resource, "a draft to create carries no id of its own"
    created = requests.post(
        f"{base}/{resource['resourceType']}", json=resource, headers=HEADERS, timeout=30
    )
    assert created.status_code == 201, (resource["resourceType"], created.text[:1000])
    ref = created_reference(created)
    stored = requests.get(f"{base}/{ref}", headers=HEADERS, timeout=30)
    assert stored.status_code == 200
    for key, value in resource.items():
        assert stored.json()[key] == value, (resource["resourceType"], key)
    # what the order points at exists on the server the EHR would write it to
    for target in (resource.get("subject"), *(resource.get("reasonReference") or [])):
        if target and "/" in target.get("reference", ""):
            found = requests.get(f"{base}/{target['reference']}", headers=HEADERS, timeout=30)
            assert found.status_code == 200, target
    return ref


def test_signing_a_suggested_order_settles_the_alert(cds_process, fhir_server, call):
    """order-sign with the CT order the card suggested among the draft orders: surveillance is
    then ordered, so nothing is left to alert about."""
    card = the_card(call("e01", "patient-view", "fetch")[1])
    assert card is not None
    ct = next(s for s in card["suggestions"] if "CT" in s["label"])
    order = {**ct["actions"][0]["resource"], "id": "e01-draft-ct"}
    assert order["resourceType"] == "ServiceRequest"
    body = request_body(
        "order-sign",
        "e01",
        fhir_server=fhir_server.base_url,
        access_token=ACCESS_TOKEN,
        draftOrders={
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{"resource": order}],
        },
    )
    response = cds_process.post(f"/cds-services/{SERVICE_IDS['order-sign']}", body)
    assert response.status_code == 200, response.text[:1000]
    assert response.json()["cards"] == []
