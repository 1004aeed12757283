"""How fast a real FHIR server answers the prefetch templates for a patient with years of data.

A synthetic patient with `--years` of history (each month: a metabolic-panel DiagnosticReport with
8 results and 4 vital signs; each year: an abdominal CT report; plus one resection with its
pathology report modelled on tests/data/realworld/rw04) is loaded into a local sekmet-fhir. Each
template of the discovery document is then run the way the service runs it (`FhirFetcher`: page
size 100, `next` links followed, all keys in parallel within the default 1.5 s budget), and the
assessment from what came back is compared with the assessment of the whole record.

    PYTHONPATH=. .venv/bin/python -m bench.prefetch_years --years 10
"""

from __future__ import annotations

import argparse
import copy
import json
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import requests

from cds_service.hooks.fhir_client import DEFAULT_BUDGET_S, FhirFetcher
from cds_service.hooks.prefetch import render_prefetch
from cds_service.hooks.services import service_definitions
from cds_service.scoring_pipeline import assess_resources
from tests.support.fhir_load import load_bundle
from tests.support.fhir_server import FhirServerProcess

PATIENT = "years-1"
PATHOLOGY_CASE = Path(__file__).resolve().parents[1] / "tests/data/realworld/rw04.bundle.json"
PANEL = [
    ("2823-3", "Potassium", "mmol/L", 4.1),
    ("2951-2", "Sodium", "mmol/L", 140),
    ("2075-0", "Chloride", "mmol/L", 102),
    ("2028-9", "CO2", "mmol/L", 25),
    ("3094-0", "BUN", "mg/dL", 14),
    ("2160-0", "Creatinine", "mg/dL", 0.9),
    ("2345-7", "Glucose", "mg/dL", 96),
    ("17861-6", "Calcium", "mg/dL", 9.4),
]
VITALS = [
    ("8867-4", "Heart rate", "/min", 72),
    ("8480-6", "Systolic blood pressure", "mm[Hg]", 124),
    ("29463-7", "Body weight", "kg", 78),
    ("8310-5", "Body temperature", "Cel", 36.8),
]


def _obs(
    rid: str, code: str, name: str, unit: str, value: float, when: str, cat: str
) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": cat,
                    }
                ]
            }
        ],
        "code": {"coding": [{"system": "http://loinc.org", "code": code, "display": name}]},
        "subject": {"reference": f"Patient/{PATIENT}"},
        "effectiveDateTime": when,
        "valueQuantity": {
            "value": value,
            "unit": unit,
            "system": "http://unitsofmeasure.org",
            "code": unit,
        },
    }


def history(years: int, today: date) -> list[dict[str, Any]]:
    """The patient's record: years of routine data around one resected PanNET."""
    rw04 = json.loads(PATHOLOGY_CASE.read_text())
    text = json.dumps([e["resource"] for e in rw04["entry"]]).replace("rw04", PATIENT)
    resources: list[dict[str, Any]] = json.loads(text)
    for month in range(years * 12):
        when = (today - timedelta(days=30 * month)).isoformat()
        results = []
        for code, name, unit, value in PANEL:
            rid = f"{PATIENT}-lab-{month}-{code}"
            resources.append(_obs(rid, code, name, unit, value, when, "laboratory"))
            results.append({"reference": f"Observation/{rid}"})
        resources.append(
            {
                "resourceType": "DiagnosticReport",
                "id": f"{PATIENT}-cmp-{month}",
                "status": "final",
                "code": {
                    "coding": [
                        {
                            "system": "http://loinc.org",
                            "code": "24323-8",
                            "display": "Comprehensive metabolic 2000 panel",
                        }
                    ]
                },
                "subject": {"reference": f"Patient/{PATIENT}"},
                "effectiveDateTime": when,
                "result": results,
            }
        )
        for code, name, unit, value in VITALS:
            resources.append(
                _obs(f"{PATIENT}-vs-{month}-{code}", code, name, unit, value, when, "vital-signs")
            )
        if month % 12 == 6:
            resources.append(
                {
                    "resourceType": "DiagnosticReport",
                    "id": f"{PATIENT}-ct-{month}",
                    "status": "final",
                    "code": {
                        "coding": [
                            {
                                "system": "http://loinc.org",
                                "code": "36813-4",
                                "display": "CT Abdomen and Pelvis W contrast IV",
                            }
                        ]
                    },
                    "subject": {"reference": f"Patient/{PATIENT}"},
                    "effectiveDateTime": when,
                    "conclusion": "No evidence of disease.",
                }
            )
    return resources


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=10)
    args = parser.parse_args()
    today = date.today()
    resources = history(args.years, today)
    service = service_definitions()["pannet-cds-patient-view"]
    queries = render_prefetch(service, {"context.patientId": PATIENT})
    with tempfile.TemporaryDirectory() as work, FhirServerProcess(Path(work)) as fhir:
        for start in range(0, len(resources), 500):
            chunk = resources[start : start + 500]
            load_bundle(
                fhir.base_url,
                {
                    "resourceType": "Bundle",
                    "type": "collection",
                    "entry": [{"resource": copy.deepcopy(r)} for r in chunk],
                },
            )
        session = requests.Session()
        fetcher = FhirFetcher(fhir.base_url, None, session)
        fetcher.fetch_many(queries)  # warm-up
        print(
            f"{len(resources)} resources, {args.years} years; "
            "per template (alone, then all in parallel):"
        )
        for key, query in queries.items():
            began = time.perf_counter()
            outcome = fetcher.fetch_many({key: query})[key]
            took = (time.perf_counter() - began) * 1000
            state = (
                f"{len(outcome.resources)} resources" if outcome.ok else f"FAILED: {outcome.error}"
            )
            print(f"  {key:22s} {took:7.1f} ms  {state}")
        began = time.perf_counter()
        outcomes = fetcher.fetch_many(queries, DEFAULT_BUDGET_S)
        took = (time.perf_counter() - began) * 1000
        failed = [k for k, o in outcomes.items() if not o.ok]
        print(
            f"  all {len(queries)} in parallel: {took:.1f} ms "
            f"(budget {DEFAULT_BUDGET_S * 1000:.0f} ms); failed: {failed or 'none'}"
        )
        fetched: dict[str, dict[str, Any]] = {}
        for outcome in outcomes.values():
            for r in outcome.resources:
                fetched.setdefault(f"{r['resourceType']}/{r['id']}", r)
        whole = assess_resources(resources, today=today)
        from_templates = assess_resources(list(fetched.values()), today=today)
        same = whole.model_dump(exclude={"warnings"}) == from_templates.model_dump(
            exclude={"warnings"}
        )
        print(f"  assessment from the templates equals the whole record's: {same}")


if __name__ == "__main__":
    main()
