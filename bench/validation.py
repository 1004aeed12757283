"""CPU per resource of R4B validation of the demo patients' resources, with fhir_core's
validators as shipped and with `fhir_mappers.fhir_core_speedups` (each in a fresh interpreter,
best of 5 rounds):

    PYTHONPATH=. .venv/bin/python -m bench.validation
"""

from __future__ import annotations

import subprocess
import sys

_CHILD = """
import sys, time
if sys.argv[1] == "speedups":
    import fhir_mappers.index  # installs them before any model class is built
from fhir.resources.R4B import get_fhir_model_class
from cds_service.sandbox.patients import demo_patients
resources = [e["resource"] for p in demo_patients() for e in p.bundle["entry"]]
def once():
    for r in resources:
        get_fhir_model_class(r["resourceType"]).model_validate(r)
once()
best = float("inf")
for _ in range(5):
    start = time.process_time()
    for _ in range(200):
        once()
    best = min(best, time.process_time() - start)
print(f"{best / 200 / len(resources) * 1e6:.1f}")
"""


def main() -> None:
    for label in ("shipped", "speedups"):
        out = subprocess.run(
            [sys.executable, "-c", _CHILD, label], capture_output=True, text=True, check=True
        )
        print(f"fhir_core validators {label}: {out.stdout.strip()} µs CPU per resource")


if __name__ == "__main__":
    main()
