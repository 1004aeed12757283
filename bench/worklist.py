"""The surveillance worklist's speed (issue 15):

- `ndjson`: generated cohorts written as Bulk Data NDJSON (one file per resource type, as a
  server exports them), then, in a fresh process per size, indexed per patient and scored into
  worklist rows: patients per CPU-second on one core, beside the `pannet-cds score` pipeline's
  rate on the same patients, and the process's peak memory (ru_maxrss) at each size.
- `sekmet`: a generated cohort loaded into a local sekmet-fhir, then `pannet-cds worklist`
  timed from kick-off to the written worklist (wall time, as a navigator waits for it).

    PYTHONPATH=. .venv/bin/python -m bench.worklist ndjson 10000 100000
    PYTHONPATH=. .venv/bin/python -m bench.worklist sekmet 10000
"""

from __future__ import annotations

import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import requests

from cds_service.sandbox.patients import demo_patients, transaction_bundle

ROOT = Path(__file__).resolve().parents[1]
TODAY = date(2026, 3, 1)


def generated_records(size: int, seed: int = 20260301) -> Iterator[list[dict]]:
    """One patient's resources at a time (Type/id references): the demo patients with new ids
    and a varied tumour size / Ki-67, as `bench.cohort.generate_cohort` makes them, but
    streamed, so a 100,000-patient cohort never sits in memory."""
    rng = random.Random(seed)
    templates = [json.dumps(transaction_bundle(p.bundle)) for p in demo_patients()]
    for n in range(size):
        bundle = json.loads(templates[n % len(templates)].replace("pannet-demo-", f"cohort-{n}-"))
        resources = [entry["resource"] for entry in bundle["entry"]]
        for item in resources:
            quantity = item.get("valueQuantity")
            if quantity and quantity.get("code") in ("mm", "cm", "%"):
                quantity["value"] = round(quantity["value"] * rng.uniform(0.5, 2.0), 1)
        yield resources


def write_ndjson(size: int, folder: Path) -> list[Path]:
    handles: dict[str, object] = {}
    try:
        for resources in generated_records(size):
            for item in resources:
                rtype = item["resourceType"]
                if rtype not in handles:
                    handles[rtype] = (folder / f"{rtype}.ndjson").open("w")
                handles[rtype].write(json.dumps(item, separators=(",", ":")) + "\n")
    finally:
        for handle in handles.values():
            handle.close()
    return sorted(folder.glob("*.ndjson"))


def _score_files(folder: str) -> None:
    """Child process: index the NDJSON files, score every patient, print figures as JSON."""
    from cds_service.bulk.ndjson import SkipLog, read_resources
    from cds_service.bulk.patient_index import PatientIndex
    from cds_service.worklist.build import score_index
    from cds_service.worklist.row_store import RowStore
    from cds_service.worklist.writers import write_json
    from scoring.site_config import DEFAULT_SITE_CONFIG

    skips = SkipLog()
    start = time.perf_counter()
    index = PatientIndex(Path(folder) / "index.sqlite3")
    for path in sorted(Path(folder).glob("*.ndjson")):
        index.add_all(read_resources(path, skips), skips, path.name)
    index.finish()
    indexed = time.perf_counter() - start
    # As `score_pipeline_rate` and a server worker do: the FHIR model classes and the mappers'
    # patterns load lazily, on the first patients; warm them up before the clock starts.
    warm = RowStore(Path(folder) / "warm.sqlite3")
    first = set(index.patient_ids(limit=50))
    score_index(
        index,
        SkipLog(),
        warm,
        today=TODAY,
        site=DEFAULT_SITE_CONFIG,
        fhir_base=None,
        due_within_days=30,
        only=first,
    )
    warm.close()
    store = RowStore(Path(folder) / "rows.sqlite3")
    cpu, wall = time.process_time(), time.perf_counter()
    score_index(
        index,
        skips,
        store,
        today=TODAY,
        site=DEFAULT_SITE_CONFIG,
        fhir_base=None,
        due_within_days=30,
    )
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    index.close()
    # ranked and written as the command writes a JSON worklist
    from cds_service.worklist.models import Worklist

    header = Worklist(
        generated_at="-",
        today=TODAY.isoformat(),
        due_within_days=30,
        rows=[],
        counts=store.counts(patients_exported=0, lines_skipped=skips.count),
    )
    write_start = time.perf_counter()
    with (Path(folder) / "worklist.json").open("w") as out:
        write_json(header, store.ranked_rows(), store.without_net_ids(), out)
    written = time.perf_counter() - write_start
    patients, rows = store.scored_count(), store.row_count()
    store.close()
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "patients": patients,
                "rows": rows,
                "write_s": written,
                "index_s": indexed,
                "score_cpu_s": cpu,
                "score_wall_s": wall,
                "peak_mib": peak_kib / 1024,
                "skipped": skips.count,
            }
        )
    )


def score_pipeline_rate(patients: int = 2000) -> float:
    """`pannet-cds score`'s pipeline (`assess_resources`) on the same generated patients."""
    from cds_service.scoring_pipeline import assess_resources

    records = list(generated_records(patients))
    for record in records[:50]:
        assess_resources(record, today=TODAY)
    cpu = time.process_time()
    for record in records:
        assess_resources(record, today=TODAY)
    return patients / (time.process_time() - cpu)


def ndjson_bench(sizes: list[int]) -> str:
    lines = []
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="bench-worklist-") as folder:
            files = write_ndjson(size, Path(folder))
            megabytes = sum(f.stat().st_size for f in files) / 1e6
            child = subprocess.run(
                [sys.executable, "-m", "bench.worklist", "_score", folder],
                check=True,
                capture_output=True,
                text=True,
                cwd=ROOT,
            )
            figures = json.loads(child.stdout.strip().splitlines()[-1])
        rate = figures["patients"] / figures["score_cpu_s"]
        lines.append(
            f"{size} patients ({megabytes:.0f} MB NDJSON): indexed in {figures['index_s']:.1f} s,"
            f" scored in {figures['score_cpu_s']:.1f} s CPU ({figures['score_wall_s']:.1f} s wall)"
            f" = **{rate:.0f} patients per CPU-second**, ranked and written in"
            f" {figures['write_s']:.1f} s; peak memory"
            f" **{figures['peak_mib']:.0f} MiB**; {figures['rows']} rows,"
            f" {figures['skipped']} skipped"
        )
    lines.append(
        f"`pannet-cds score` pipeline on the same generated patients: **{score_pipeline_rate():.0f}"
        " patients per CPU-second**"
    )
    return "\n".join(f"- {line}" for line in lines)


def sekmet_bench(size: int, batch: int = 50) -> str:
    from cds_service.demo.fhir_server import FhirServerProcess

    with (
        tempfile.TemporaryDirectory(prefix="bench-worklist-sekmet-") as folder,
        FhirServerProcess(Path(folder) / "fhir", startup_timeout=300) as server,
    ):
        if True:
            base = server.base_url
            session = requests.Session()
            start = time.perf_counter()
            entries: list[dict] = []
            for resources in generated_records(size):
                entries += [
                    {
                        "resource": r,
                        "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"},
                    }
                    for r in resources
                ]
                if len(entries) >= batch * 8:
                    _post(session, base, entries)
                    entries = []
            if entries:
                _post(session, base, entries)
            loaded = time.perf_counter() - start
            out = Path(folder) / "worklist.json"
            start = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "cds_service.cli",
                    "worklist",
                    "--fhir-server",
                    base,
                    "--today",
                    TODAY.isoformat(),
                    "-o",
                    str(out),
                    "--database-url",
                    f"sqlite:///{Path(folder) / 'audit.sqlite3'}",
                ],
                check=True,
                capture_output=True,
                cwd=ROOT,
            )
            elapsed = time.perf_counter() - start
            rows = len(json.loads(out.read_text())["rows"])
    return (
        f"- export to worklist against a local sekmet-fhir, {size} patients ({rows} rows):"
        f" **{elapsed:.0f} s** wall for `pannet-cds worklist` (kick-off, the server's export,"
        f" download, index, scoring, writing), after loading them in {loaded:.0f} s"
    )


def _post(session: requests.Session, base: str, entries: list[dict]) -> None:
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": entries}
    response = session.post(
        base, json=bundle, headers={"Content-Type": "application/fhir+json"}, timeout=600
    )
    response.raise_for_status()


if __name__ == "__main__":
    command, *rest = sys.argv[1:] or ["ndjson"]
    if command == "_score":
        _score_files(rest[0])
    elif command == "sekmet":
        print(sekmet_bench(int(rest[0]) if rest else 10000))
    else:
        print(ndjson_bench([int(s) for s in rest] or [10000, 100000]))
