"""Draft orders are accepted by a real FHIR R4 server and come back as sent."""

from __future__ import annotations

from datetime import date

import pytest
import requests

from fhir_mappers.orders import ImagingModality, surveillance_orders
from scoring.assessment import SurveillancePlan, Tier
from tests.support.fhir_load import HEADERS, load_bundle, search_all

pytestmark = pytest.mark.e2e

PATIENT_ID = "orders-e2e-p1"
CONDITION_ID = "orders-e2e-dx"


@pytest.fixture(scope="module")
def record(fhir_server) -> str:
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"resource": {"resourceType": "Patient", "id": PATIENT_ID, "gender": "male"}},
            {
                "resource": {
                    "resourceType": "Condition",
                    "id": CONDITION_ID,
                    "code": {
                        "coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "C25.4"}]
                    },
                    "subject": {"reference": f"Patient/{PATIENT_ID}"},
                }
            },
        ],
    }
    load_bundle(fhir_server.base_url, bundle)
    return fhir_server.base_url


PLAN = SurveillancePlan(
    tier=Tier.HIGH,
    basis="zaidi-rrs-2019: high",
    anchor_date="2024-03-04",
    schedule_months=[6, 12, 18, 24, 30, 36],
    schedule_dates=[
        "2024-09-04",
        "2025-03-04",
        "2025-09-04",
        "2026-03-04",
        "2026-09-04",
        "2027-03-04",
    ],
    next_due="2025-09-04",
    overdue=True,
    suggest_chromogranin=True,
)


def created_ref(response: requests.Response) -> str:
    """Type/id from a create's Location header ({base}/Type/id/_history/n)."""
    return "/".join(response.headers["Location"].split("/_history")[0].split("/")[-2:])


@pytest.fixture(scope="module")
def posted(record) -> list[tuple[dict, requests.Response]]:
    """Each modality's drafts POSTed once, as a CDS client would create them."""
    results = []
    for modality in ImagingModality:
        drafts = surveillance_orders(
            PLAN,
            patient_ref=f"Patient/{PATIENT_ID}",
            reason_ref=f"Condition/{CONDITION_ID}",
            modality=modality,
            today=date(2025, 11, 21),
        )
        kinds = [d["resourceType"] for d in drafts]
        assert kinds == ["ServiceRequest", "ServiceRequest", "CarePlan"]
        for draft in drafts:
            url = f"{record}/{draft['resourceType']}"
            results.append((draft, requests.post(url, json=draft, headers=HEADERS, timeout=30)))
    return results


def test_every_draft_is_created(posted):
    assert [response.status_code for _, response in posted] == [201] * 6, [
        response.text for _, response in posted
    ]


def test_created_drafts_read_back_as_sent(record, posted):
    for draft, response in posted:
        stored = requests.get(f"{record}/{created_ref(response)}", headers=HEADERS, timeout=30)
        stored = stored.json()
        for key, value in draft.items():
            assert stored[key] == value, (draft["resourceType"], key)


def test_server_validation_finds_no_errors(record, posted):
    # the test server runs with lenient inbound validation; ask it explicitly
    for draft, _ in posted:
        url = f"{record}/{draft['resourceType']}/$validate"
        outcome = requests.post(url, json=draft, headers=HEADERS, timeout=30).json()
        errors = [i for i in outcome.get("issue", []) if i["severity"] in ("error", "fatal")]
        assert errors == [], (draft["resourceType"], errors)


def test_drafts_are_found_by_patient_search(record, posted):
    found = {
        f"ServiceRequest/{r['id']}"
        for r in search_all(record, f"ServiceRequest?patient={PATIENT_ID}")
    }
    created = {
        created_ref(response)
        for draft, response in posted
        if draft["resourceType"] == "ServiceRequest"
    }
    assert len(created) == 4
    assert created <= found
