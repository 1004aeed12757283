"""The test FHIR server really stores, returns, searches and pages what we load into it."""

from __future__ import annotations

import pytest
import requests

from tests.support.fhir_load import FhirLoadError, load_bundle, search_all, to_transaction
from tests.support.fhir_server import FhirServerError, FhirServerProcess

pytestmark = pytest.mark.e2e

PATIENT = "fixture-p1"
OBSERVATION_COUNT = 25  # above the usual default page size (20 on sekmet-fhir)
LOINC = "http://loinc.org"


def _observation(i: int) -> dict:
    code = "33728-7" if i == 0 else "29593-1"
    return {
        "resourceType": "Observation",
        "id": f"{PATIENT}-obs-{i}",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "subject": {"reference": f"Patient/{PATIENT}"},
        "effectiveDateTime": "2024-03-08",
        "valueQuantity": {
            "value": i,
            "unit": "%",
            "system": "http://unitsofmeasure.org",
            "code": "%",
        },
    }


def _collection() -> dict:
    resources = [
        {"resourceType": "Patient", "id": PATIENT, "gender": "female"},
        {
            "resourceType": "Condition",
            "id": f"{PATIENT}-dx",
            "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "C25.4"}]},
            # by fullUrl, as collection Bundles often do: the loader must rewrite it
            "subject": {"reference": f"urn:uuid:{PATIENT}"},
        },
        {
            "resourceType": "Procedure",
            "id": f"{PATIENT}-surgery",
            "status": "completed",
            "code": {"text": "Pancreatectomy, distal subtotal"},
            "subject": {"reference": f"Patient/{PATIENT}"},
            "performedDateTime": "2024-03-04",
        },
        *(_observation(i) for i in range(OBSERVATION_COUNT)),
    ]
    entries = [{"fullUrl": f"urn:uuid:{PATIENT}", "resource": resources[0]}]
    entries += [{"resource": r} for r in resources[1:]]
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


@pytest.fixture(scope="module")
def loaded(fhir_server) -> str:
    load_bundle(fhir_server.base_url, _collection())
    return fhir_server.base_url


def test_metadata_is_a_capability_statement(fhir_server):
    response = requests.get(f"{fhir_server.base_url}/metadata", timeout=10)
    assert response.status_code == 200
    assert response.json()["resourceType"] == "CapabilityStatement"


def test_loaded_resources_read_back_with_their_ids(loaded):
    patient = requests.get(f"{loaded}/Patient/{PATIENT}", timeout=10).json()
    assert patient["gender"] == "female"
    condition = requests.get(f"{loaded}/Condition/{PATIENT}-dx", timeout=10).json()
    assert condition["subject"]["reference"] == f"Patient/{PATIENT}"


def test_loading_twice_is_idempotent(loaded):
    load_bundle(loaded, _collection())
    assert len(search_all(loaded, f"Procedure?patient={PATIENT}")) == 1


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (f"Observation?patient={PATIENT}", OBSERVATION_COUNT),
        (f"Observation?patient=Patient/{PATIENT}&code={LOINC}|33728-7", 1),
        (f"Observation?patient={PATIENT}&code=29593-1", OBSERVATION_COUNT - 1),
        (f"Condition?patient={PATIENT}", 1),
        (f"Procedure?patient={PATIENT}", 1),
        (f"ServiceRequest?patient={PATIENT}", 0),
    ],
)
def test_searches_follow_paging_to_every_match(loaded, query, expected):
    assert len(search_all(loaded, query)) == expected


def test_count_limits_a_page_and_next_link_continues(loaded):
    page = requests.get(
        f"{loaded}/Observation", params={"patient": PATIENT, "_count": 10}, timeout=10
    ).json()
    assert len(page["entry"]) == 10
    assert page["total"] == OBSERVATION_COUNT
    assert any(link["relation"] == "next" for link in page["link"])


def test_transaction_is_puts_to_type_and_id():
    transaction = to_transaction(_collection())
    assert transaction["type"] == "transaction"
    first = transaction["entry"][0]
    assert first["request"] == {"method": "PUT", "url": f"Patient/{PATIENT}"}
    condition = transaction["entry"][1]["resource"]
    assert condition["subject"]["reference"] == f"Patient/{PATIENT}"


def test_entry_without_id_is_refused():
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": {"resourceType": "Patient"}}],
    }
    with pytest.raises(FhirLoadError, match=r"entry\[0\].*Patient.*no id"):
        to_transaction(bundle)


def test_start_failure_names_the_cause(tmp_path):
    # a data_dir that is a file makes sekmet-fhir fail at start-up
    (tmp_path / "data").write_text("not a directory")
    server = FhirServerProcess(tmp_path, startup_timeout=30)
    with pytest.raises(FhirServerError, match="server log tail"):
        server.start()
    assert server.log_tail()
