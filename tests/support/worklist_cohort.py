"""The worklist tests' cohort on a real FHIR server: the real-world corpus, the demo patients,
one patient without a NET diagnosis and a generated cohort, each patient's resources as the
server holds them (so the expected row is computed from exactly what was loaded), and a Group
naming them all (a Group-level export sees only these, whatever other tests loaded)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import requests

from bench.cohort import generate_cohort
from cds_service.sandbox.patients import demo_patients
from cds_service.worklist.models import Worklist, WorklistRow
from cds_service.worklist.rows import row_for
from cds_service.worklist.scoring import assess_record
from scoring.site_config import DEFAULT_SITE_CONFIG
from tests.support.fhir_load import HEADERS, TIMEOUT_S, _resources, load_bundle
from tests.support.loopback import process_timeout
from tests.support.realworld import CASES, load_bundle_of

REPO_ROOT = Path(__file__).resolve().parents[2]
NO_NET_PATIENT = "worklist-no-net"


def no_net_bundle() -> dict[str, Any]:
    """A patient with a lab result and no NET diagnosis: counted, never listed."""
    patient = {"resourceType": "Patient", "id": NO_NET_PATIENT, "gender": "male"}
    glucose = {
        "resourceType": "Observation",
        "id": f"{NO_NET_PATIENT}-glucose",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "2345-7"}]},
        "subject": {"reference": f"Patient/{NO_NET_PATIENT}"},
        "effectiveDateTime": "2026-01-05",
        "valueQuantity": {"value": 5.4, "unit": "mmol/L"},
    }
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": patient}, {"resource": glucose}],
    }


def cohort_bundles(generated: int) -> dict[str, dict[str, Any]]:
    """Patient id → Bundle for every patient of the cohort."""
    bundles = [load_bundle_of(case) for case in CASES]
    bundles += [p.bundle for p in demo_patients()]
    bundles += [no_net_bundle()]
    bundles += generate_cohort(generated, seed=15)
    return {_patient_id(b): b for b in bundles}


def _patient_id(bundle: dict[str, Any]) -> str:
    return next(
        e["resource"]["id"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"
    )


def load_cohort(base_url: str, bundles: dict[str, dict[str, Any]], group_id: str) -> None:
    session = requests.Session()
    for bundle in bundles.values():
        load_bundle(base_url, bundle, session=session)
    put_group(base_url, group_id, list(bundles), session)


def put_group(
    base_url: str, group_id: str, patient_ids: list[str], session: requests.Session
) -> None:
    group = {
        "resourceType": "Group",
        "id": group_id,
        "type": "person",
        "actual": True,
        "member": [{"entity": {"reference": f"Patient/{pid}"}} for pid in patient_ids],
    }
    response = session.put(
        f"{base_url}/Group/{group_id}", json=group, headers=HEADERS, timeout=TIMEOUT_S
    )
    assert response.status_code in (200, 201), response.text[:500]


def expected_row(
    bundle: dict[str, Any], today: date, base_url: str, due_within: int = 30
) -> WorklistRow | None:
    """The row the same pipeline gives the loaded record (references as the server holds them)."""
    resources = _resources(bundle)
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    inputs, assessment = assess_record(
        resources, today=today, site=DEFAULT_SITE_CONFIG, fhir_base=base_url
    )
    return row_for(
        patient, patient["id"], inputs, assessment, today=today, due_within_days=due_within
    )


def run_worklist(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cds_service.cli", "worklist", *args],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=process_timeout(),
        env=env,
    )


def read_worklist(path: Path) -> Worklist:
    return Worklist.model_validate(json.loads(path.read_text()))
