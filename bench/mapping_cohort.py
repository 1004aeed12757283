"""The mappers' CPU per patient beyond R4B validation (not part of CI):

    PYTHONPATH=. .venv/bin/python -m bench.mapping_cohort [--size 300] [--runs 5]

Over `size` cohort patients (bench.cohort) and the six demo patients: `resources_from_payload`,
`inputs_from_resources`, and within it the R4B validation (`RecordIndex._model`, counted only
at the outermost call), best of `runs`, in ms of CPU (`time.process_time`) per patient. Run it
with PYTHONPATH set to another tree to compare (the script itself is only read from here).
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from bench.cohort import generate_cohort
from cds_service.sandbox.patients import demo_patients
from fhir_mappers.index import RecordIndex
from fhir_mappers.payload import resources_from_payload
from fhir_mappers.record import inputs_from_resources
from scoring.site_config import DEFAULT_SITE_CONFIG

_validating = [0.0, 0]  # seconds, depth


def _count_validation() -> None:
    original = RecordIndex._model

    def counted(self: RecordIndex, entry: Any) -> Any:
        if _validating[1]:
            return original(self, entry)
        _validating[1] = 1
        start = time.process_time()
        try:
            return original(self, entry)
        finally:
            _validating[0] += time.process_time() - start
            _validating[1] = 0

    RecordIndex._model = counted  # type: ignore[method-assign]


def _one_run(bundles: list[dict]) -> tuple[float, float, float]:
    extra = DEFAULT_SITE_CONFIG.extra_code_keys()
    payloads = [resources_from_payload(b) for b in bundles]
    start = time.process_time()
    for bundle in bundles:
        resources_from_payload(bundle)
    unpack = time.process_time() - start
    _validating[0] = 0.0
    start = time.process_time()
    for resources in payloads:
        inputs_from_resources(resources, extra_codes=extra)
    mapping = time.process_time() - start
    n = len(bundles) / 1000
    return unpack / n, mapping / n, _validating[0] / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=300)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    _count_validation()
    sets = {
        "cohort": generate_cohort(args.size),
        "demo": [p.bundle for p in demo_patients()] * max(1, args.size // 6),
    }
    for name, bundles in sets.items():
        _one_run(bundles)  # warm up (model classes load lazily)
        runs = [_one_run(bundles) for _ in range(args.runs)]
        unpack = min(r[0] for r in runs)
        best = min(runs, key=lambda r: r[1] - r[2])
        print(
            f"{name:6s} ms/patient: unpack {unpack:.3f}, record→inputs {best[1]:.3f} "
            f"= validation {best[2]:.3f} + mappers {best[1] - best[2]:.3f}"
        )


if __name__ == "__main__":
    main()
