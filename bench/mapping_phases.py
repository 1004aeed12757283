"""Where `assess_payload`'s CPU goes per patient, in one process (not part of CI):

    PYTHONPATH=. .venv/bin/python -m bench.mapping_phases [--rounds 100]

The six demo patients, `rounds` times; the steps of `fhir_mappers.record` and the scoring are
wrapped with CPU-time counters (`time.process_time`, no profiler). The mapper steps exclude the
validation they trigger only where noted: a resource is validated (once) by whichever step asks
for it first, most of them by "validate relevant Observations".
"""

from __future__ import annotations

import argparse
import time
from datetime import date
from typing import Any

import cds_service.scoring_pipeline as pipeline
import fhir_mappers.record as record
from bench.cpu import count_steps
from cds_service.sandbox.patients import demo_patients
from fhir_mappers.index import RecordIndex

STEPS: tuple[tuple[Any, str, str], ...] = (
    (pipeline, "resources_from_payload", "unpack the Bundle"),
    (record, "RecordIndex", "index (types, references, Patient)"),
    (RecordIndex, "validate_where", "validate relevant Observations"),
    (record, "resection_procedures", "resection procedures"),
    (record.report_text, "read_reports", "report text"),
    (record.conditions, "usable_conditions", "conditions"),
    (record.conditions, "diagnoses", "diagnoses"),
    (record, "all_events", "spread events"),
    (record, "pathology_facts", "pathology Observations"),
    (record.presentation, "symptomatic", "presentation"),
    (record, "adjuvant_therapy", "adjuvant therapy"),
    (record, "preop_chromogranin_elevated", "chromogranin A"),
    (record, "imaging_events", "imaging"),
    (pipeline, "inputs_from_resources", "record → inputs (all of the above but unpacking)"),
    (pipeline, "assess", "scoring and surveillance plan"),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=100)
    args = parser.parse_args()
    spent = count_steps(STEPS)
    bundles = [p.bundle for p in demo_patients()]
    today = date(2026, 3, 1)
    for bundle in bundles:
        pipeline.assess_payload(bundle, today=today)
    spent.clear()
    start = time.process_time()
    for _ in range(args.rounds):
        for bundle in bundles:
            pipeline.assess_payload(bundle, today=today)
    patients = args.rounds * len(bundles)
    total = time.process_time() - start
    print(f"assess_payload: {total / patients * 1000:.3f} ms CPU per patient, of which:")
    for _owner, _name, label in STEPS:
        print(f"  {label:50s} {spent[label] / patients * 1000:6.3f} ms")


if __name__ == "__main__":
    main()
