"""CPU of R4B validation, per resource (the demo patients' 50 resources) and per patient (300
cohort patients, bench.cohort.generate_cohort), in a fresh interpreter per measurement:

- shipped: `model_validate` with fhir_core as shipped (fhir_mappers never imported);
- validate: `model_validate` with fhir_mappers' speedups installed (`import fhir_mappers.index`);
- index: what `fhir_mappers.index` does per resource (`non_string_date`, then `model_validate`
  of the resource without `contained`).

Each figure is the best of --rounds rounds (time.process_time); trees given with --tree are
measured alternately (e.g. main's and this worktree's), so load on the machine hits both alike:

    PYTHONPATH=. .venv/bin/python -m bench.validation --tree /work/main --tree .
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

from bench.cohort import generate_cohort
from cds_service.sandbox.patients import demo_patients

_CHILD = """
import json, sys, time
mode, unit, repeat, cohort_file = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
if mode != "shipped":
    import fhir_mappers.index  # installs the speedups before any model class is built
    from fhir_mappers.json_dates import non_string_date
from fhir.resources.R4B import get_fhir_model_class
with open(cohort_file) as f:
    bundles = json.load(f)[unit]  # made by the parent: importing cds_service installs speedups
resources = [e["resource"] for b in bundles for e in b["entry"]]
def validate():
    for r in resources:
        get_fhir_model_class(r["resourceType"]).model_validate(r)
def index():
    for r in resources:
        cls = get_fhir_model_class(r["resourceType"])
        raw = {k: v for k, v in r.items() if k != "contained"}
        if non_string_date(cls, raw) is None:
            cls.model_validate(raw)
once = index if mode == "index" else validate
once()
start = time.process_time()
for _ in range(repeat):
    once()
elapsed = time.process_time() - start
count = len(resources) if unit == "resource" else len(bundles)
print(f"{elapsed / repeat / count * 1e6:.2f}")
"""


def _measure(tree: str, mode: str, unit: str, cohort_file: str) -> float:
    tree = os.path.abspath(tree)
    env = {**os.environ, "PYTHONPATH": tree}
    repeat = "100" if unit == "resource" else "3"
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, mode, unit, repeat, cohort_file],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=tree,  # `-c` puts the working directory first on sys.path
    )
    return float(out.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tree", action="append", help="source tree (default: .)")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    trees = args.tree or ["."]
    data = {"resource": [p.bundle for p in demo_patients()], "patient": generate_cohort(300)}
    with tempfile.NamedTemporaryFile("w", suffix=".json") as cohort_file:
        json.dump(data, cohort_file)
        cohort_file.flush()
        _report(trees, args.rounds, cohort_file.name)


def _report(trees: list[str], rounds: int, cohort_file: str) -> None:
    for unit in ("resource", "patient"):
        for mode in ("shipped", "validate", "index"):
            best = {tree: float("inf") for tree in trees}
            for _ in range(rounds):
                for tree in trees:
                    best[tree] = min(best[tree], _measure(tree, mode, unit, cohort_file))
            figures = ", ".join(f"{tree}: {best[tree]:.1f}" for tree in trees)
            print(f"{mode:>8} µs CPU per {unit}: {figures}")


if __name__ == "__main__":
    main()
