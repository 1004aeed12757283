"""CPU per patient of the scoring layer alone (`scoring.assess.assess`, surveillance plan
included), on inputs mapped beforehand (not part of CI):

    PYTHONPATH=. .venv/bin/python -m bench.scoring_phases [--patients 300] [--runs 7]
    PYTHONPATH=. .venv/bin/python -m bench.scoring_phases --against /work/main [--pipeline]
    PYTHONPATH=. .venv/bin/python -m bench.scoring_phases --callgrind [--against /work/main]

The inputs are the demo patients and a generated cohort, mapped once; each run assesses every
one of them (`today` fixed), timed with `time.process_time`; the best run is reported. With
`--against TREE` the measurement runs in subprocesses, alternating between TREE and this tree
(the machine is shared: alternating keeps a load change from favouring one side).

`--callgrind` counts instructions instead (valgrind, independent of the load; ~3 min a tree):
per cohort patient, unpacking the Bundle, `assess`, the whole `assess_payload`, and per resource
the R4B validation (`model_validate`, speedups installed), each as the difference between a
child process doing the work three times and one doing it once, halved (start-up, imports and
the set-up they share cancel out).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
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


_CALLGRIND_CHILD = """
import json, sys
from datetime import date
from cds_service.scoring_pipeline import assess_payload
from fhir.resources.R4B import get_fhir_model_class
from fhir_mappers.payload import resources_from_payload
from fhir_mappers.record import inputs_from_resources
from scoring.assess import assess
part, repeat, bundles = sys.argv[1], int(sys.argv[2]), json.load(open(sys.argv[3]))
today = date(2026, 3, 1)
if part == "validate":
    pairs = [(get_fhir_model_class(e["resource"]["resourceType"]), e["resource"])
             for b in bundles for e in b["entry"]]
    work = lambda: [cls.model_validate(r) for cls, r in pairs]
elif part == "assess":
    inputs = [inputs_from_resources(resources_from_payload(b)) for b in bundles]
    work = lambda: [assess(i, today=today) for i in inputs]
elif part == "unpack":
    work = lambda: [resources_from_payload(b) for b in bundles]
else:
    work = lambda: [assess_payload(b, today=today) for b in bundles]
work()  # the first of each kind builds validators and loads models: not counted
for _ in range(repeat):
    work()
"""
_CALLGRIND_PARTS = ("unpack", "validate", "assess", "assess_payload")


def _instructions(tree: str, part: str, repeat: int, cohort_file: str) -> int:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "callgrind.out"
        valgrind = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]
        subprocess.run(
            [*valgrind, sys.executable, "-c", _CALLGRIND_CHILD, part, str(repeat), cohort_file],
            # one hash seed: set and dict layouts (and so the counts) then repeat run to run
            env={**os.environ, "PYTHONPATH": tree, "PYTHONHASHSEED": "0"},
            cwd=tree,
            check=True,
            capture_output=True,
        )
        totals = [line for line in out.read_text().splitlines() if line.startswith("totals:")]
        return int(totals[0].split()[1])


def callgrind(trees: dict[str, str], patients: int) -> None:
    """Instructions per patient (per resource for validation) of each part, in each tree."""
    from bench.cohort import generate_cohort

    bundles = generate_cohort(patients)
    units = {part: len(bundles) for part in _CALLGRIND_PARTS}
    units["validate"] = sum(len(b["entry"]) for b in bundles)
    with tempfile.NamedTemporaryFile("w", suffix=".json") as cohort_file:
        json.dump(bundles, cohort_file)
        cohort_file.flush()
        for part in _CALLGRIND_PARTS:
            figures = []
            for side, tree in trees.items():
                # the two runs side by side: instruction counts do not depend on the load
                with ThreadPoolExecutor(2) as pool:
                    once, thrice = pool.map(
                        lambda n, t=tree, p=part: _instructions(t, p, n, cohort_file.name), (1, 3)
                    )
                figures.append(f"{side} {(thrice - once) / 2 / units[part]:,.0f}")
            unit = "resource" if part == "validate" else "patient"
            print(f"{part}: instructions per {unit}: {', '.join(figures)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=300)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--against", help="another source tree to alternate with")
    parser.add_argument("--rounds", type=int, default=3, help="alternations with --against")
    parser.add_argument("--pipeline", action="store_true", help="also time assess_payload")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--callgrind", action="store_true", help="count instructions instead")
    args = parser.parse_args()
    if args.callgrind:
        trees = {"against": args.against, "this": str(ROOT)} if args.against else {"this": "."}
        callgrind({side: str(Path(tree).resolve()) for side, tree in trees.items()}, 100)
        return
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
