"""`pannet-cds score` throughput: the CLI's pipeline (`assess_payload`) over a generated cohort,
per CPU-second of one core (wall time too: on a shared machine it also counts other processes),
beside the cohort's work floor (R4 validation of every resource alone), plus the wall time of
one `pannet-cds score` process (start-up included).

    PYTHONPATH=. .venv/bin/python -m bench.cohort [SIZE]
"""

from __future__ import annotations

import copy
import json
import random
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from fhir.resources.R4B import get_fhir_model_class

from cds_service.sandbox.patients import demo_patients
from cds_service.scoring_pipeline import assess_payload

ROOT = Path(__file__).resolve().parents[1]


def generate_cohort(size: int, seed: int = 20260301) -> list[dict]:
    """`size` Bundles: the demo patients with new ids and a varied tumour size / Ki-67, so
    tiers differ across the cohort (synthetic data only)."""
    rng = random.Random(seed)
    templates = [p.bundle for p in demo_patients()]
    cohort = []
    for n in range(size):
        bundle = copy.deepcopy(templates[n % len(templates)])
        text = json.dumps(bundle).replace("pannet-demo-", f"cohort-{n}-")
        bundle = json.loads(text)
        for entry in bundle["entry"]:
            quantity = entry["resource"].get("valueQuantity")
            if quantity and quantity.get("code") in ("mm", "cm", "%"):
                quantity["value"] = round(quantity["value"] * rng.uniform(0.5, 2.0), 1)
        cohort.append(bundle)
    return cohort


def score_throughput(size: int) -> str:
    cohort = generate_cohort(size)
    today = date(2026, 3, 1)
    tiers: dict[str, int] = {}
    for bundle in cohort[:50]:
        # As a server worker does before its first call: the FHIR model classes load lazily.
        assess_payload(bundle, today=today)
    start = time.perf_counter()
    cpu_start = time.process_time()
    for bundle in cohort:
        tier = assess_payload(bundle, today=today).overall_tier
        key = tier.value if tier else "undecided"
        tiers[key] = tiers.get(key, 0) + 1
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    floor_cpu = validation_floor_cpu_seconds(cohort)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(cohort[0], handle)
    runs = []
    for _ in range(3):
        t = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "cds_service.cli", "score", handle.name],
            check=True,
            capture_output=True,
            cwd=ROOT,
        )
        runs.append(time.perf_counter() - t)
    Path(handle.name).unlink()
    spread = ", ".join(f"{k} {v}" for k, v in sorted(tiers.items()))
    return (
        f"`pannet-cds score` pipeline: {size} generated patients in {seconds:.1f} s wall, "
        f"{cpu:.1f} s CPU = **{size / cpu:.0f} patients per CPU-second** on one core "
        f"({size / seconds:.0f}/s wall; {spread}). Validating every resource of the same cohort "
        f"with its `fhir.resources.R4B` model alone (the cohort's work floor) takes "
        f"{floor_cpu:.1f} s CPU = {size / floor_cpu:.0f} patients per CPU-second. One "
        f"`pannet-cds score FILE` process, start-up included: {min(runs) * 1000:.0f} ms."
    )


def validation_floor_cpu_seconds(cohort: list[dict]) -> float:
    """CPU seconds to validate every resource of every Bundle with its R4B model."""
    start = time.process_time()
    for bundle in cohort:
        for entry in bundle["entry"]:
            resource = entry["resource"]
            get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return time.process_time() - start


if __name__ == "__main__":
    print(score_throughput(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000))
