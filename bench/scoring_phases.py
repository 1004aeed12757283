"""CPU per patient of the scoring layer alone (`scoring.assess.assess`, surveillance plan
included), on inputs mapped beforehand (not part of CI):

    PYTHONPATH=. .venv/bin/python -m bench.scoring_phases [--patients 300] [--runs 7]
    PYTHONPATH=. .venv/bin/python -m bench.scoring_phases --against /work/main [--pipeline]

The inputs are the demo patients and a generated cohort, mapped once; each run assesses every
one of them (`today` fixed), timed with `time.process_time`; the best run is reported. With
`--against TREE` the measurement runs in subprocesses, alternating between TREE and this tree
(the machine is shared: alternating keeps a load change from favouring one side).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TODAY = date(2026, 3, 1)


def _bundles(patients: int) -> list[dict]:
    from bench.cohort import generate_cohort
    from cds_service.sandbox.patients import demo_patients

    return [p.bundle for p in demo_patients()] + generate_cohort(patients)


def measure(patients: int, runs: int, pipeline: bool = False) -> dict[str, float]:
    """Best-of-`runs` CPU ms per patient: assess, assess + the JSON dump a caller makes, and
    with `pipeline` the whole `score` path (`assess_payload`: unpacking, mapping, assess)."""
    from cds_service.scoring_pipeline import assess_payload
    from fhir_mappers.payload import resources_from_payload
    from fhir_mappers.record import inputs_from_resources
    from scoring.assess import assess

    bundles = _bundles(patients)
    inputs = [inputs_from_resources(resources_from_payload(b)) for b in bundles]
    for item in inputs:
        assess(item, today=TODAY)
    best = {"assess": float("inf"), "assess+json": float("inf")}
    if pipeline:
        best["assess_payload"] = float("inf")
    for _ in range(runs):
        start = time.process_time()
        for item in inputs:
            assess(item, today=TODAY)
        best["assess"] = min(best["assess"], time.process_time() - start)
        start = time.process_time()
        for item in inputs:
            assess(item, today=TODAY).model_dump_json()
        best["assess+json"] = min(best["assess+json"], time.process_time() - start)
        if pipeline:
            start = time.process_time()
            for bundle in bundles:
                assess_payload(bundle, today=TODAY)
            best["assess_payload"] = min(best["assess_payload"], time.process_time() - start)
    return {k: v / len(inputs) * 1000 for k, v in best.items()}


def _run_in(tree: str, patients: int, runs: int, pipeline: bool) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": tree}
    script = str(Path(__file__).resolve())
    done = subprocess.run(
        [sys.executable, script, "--patients", str(patients), "--runs", str(runs), "--json"]
        + (["--pipeline"] if pipeline else []),
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=300)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--against", help="another source tree to alternate with")
    parser.add_argument("--rounds", type=int, default=3, help="alternations with --against")
    parser.add_argument("--pipeline", action="store_true", help="also time assess_payload")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not args.against:
        result = measure(args.patients, args.runs, args.pipeline)
        if args.json:
            print(json.dumps(result))
        else:
            for name, ms in result.items():
                print(f"{name}: {ms:.4f} ms CPU per patient (best of {args.runs})")
        return
    trees = {"against": args.against, "this": str(ROOT)}
    best: dict[str, dict[str, float]] = {}
    for _ in range(args.rounds):
        for side, tree in trees.items():
            result = _run_in(tree, args.patients, args.runs, args.pipeline)
            mine = best.setdefault(side, {})
            for name, ms in result.items():
                mine[name] = min(mine.get(name, float("inf")), ms)
    for name in best["this"]:
        before, after = best["against"][name], best["this"][name]
        print(f"{name}: {before:.4f} → {after:.4f} ms CPU per patient ({before / after:.1f}×)")


if __name__ == "__main__":
    main()
