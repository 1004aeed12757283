"""Benchmark harness: `PYTHONPATH=. python -m bench.run [--duration S] [--databases ...]`.

Starts, one after the other and each alone on the machine, on 127.0.0.1:
- pannet-cds under its production server (`pannet-cds serve`: gunicorn gthread, one worker per
  core, JWT verification on: every call carries a fresh ES384 token), once per database
  (`--databases sqlite,postgresql`: a fresh SQLite file; a fresh schema of PostgreSQL at
  127.0.0.1:5432, trust auth, database `test`), measuring patient-view calls with full
  prefetch, pathology sign-off calls with and without a synoptic report + PDF (only when the
  report reader `fhir_mappers.report_text` exists), and once calls without prefetch, so the
  service reads a local FHIR server (sekmet-fhir);
- the work floor per database (bench/work_floor_app.py: the mandatory work of a call with
  pannet-cds's own verifier, R4 models and tables, then a fixed card);
- the framework floor (bench/floor_app.py: Flask, same gunicorn configuration, fixed card);
- healthchain's CDS Hooks service returning one card (bench/healthchain_app.py, uvicorn with the
  same number of worker processes; healthchain from the test dependencies, else from a
  virtualenv bench/.venv-healthchain created on first use from PyPI),
at concurrency 1, 8 and 32, then `pannet-cds score`'s pipeline on a generated cohort. Prints a
Markdown table (and writes it to --output, default bench/results.md) with p50/p95/p99,
throughput, the servers' CPU time per call, and pannet-cds's ratios to each floor.
`--service-root DIR` measures another source tree of pannet-cds (e.g. `git archive` of an
older commit) against the same floors, for before/after figures.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.cohort import score_throughput
from bench.load import LevelResult, run_level
from bench.pathology_calls import SERVICE_PATH as PATHOLOGY_PATH
from bench.pathology_calls import pathology_bodies, reader_available
from cds_service.sandbox.patients import demo_patients
from tests.support.cds_calls import prefetch_for, request_body
from tests.support.fhir_load import load_bundle
from tests.support.fhir_server import FhirServerProcess
from tests.support.jwt_issuer import JwtIssuer
from tests.support.loopback import (
    free_loopback_port,
    read_log,
    spawn_logged,
    stop_process,
    url_answers,
    wait_until_ready,
)
from tests.support.postgres import DATABASES as DATABASE_KINDS
from tests.support.postgres import postgres_schema_url

ROOT = Path(__file__).resolve().parents[1]
HC_VENV = Path(os.environ.get("BENCH_HEALTHCHAIN_VENV") or ROOT / "bench" / ".venv-healthchain")
LEVELS = (1, 8, 32)
SERVICE_PATH = "/cds-services/pannet-cds-patient-view"
HC_PATH = "/cds/cds-services/bench-patient-view"
WORKERS = os.cpu_count() or 1
# base URL -> pid of the server answering there, for its CPU time per call
SERVER_PIDS: dict[str, int] = {}


@contextmanager
def server(
    cmd: list[str],
    health: str,
    port: int,
    env: dict[str, str],
    workdir: Path,
    cwd: Path | None = None,
) -> Iterator[str]:
    log = workdir / f"server-{port}.log"
    process = spawn_logged(cmd, cwd=cwd or workdir, env=env, log_path=log)
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        return url_answers(base + health, accept=lambda status: status < 500)

    try:
        ready = wait_until_ready(process, up, timeout=90, poll_s=0.2)
        if not ready:
            state = "did not come up" if ready is None else "exited"
            raise RuntimeError(f"{base + health} {state}:\n{read_log(log, 3000)}")
        SERVER_PIDS[base] = process.pid
        yield base
    finally:
        SERVER_PIDS.pop(base, None)
        stop_process(process, timeout=30)


def bodies(fhir_server: str | None) -> list[bytes]:
    """One patient-view request per demo patient: full prefetch, or none plus `fhirServer`."""
    out = []
    for patient in demo_patients():
        resources = [e["resource"] for e in patient.bundle["entry"]]
        if fhir_server is None:
            body = request_body(
                "patient-view", patient.patient_id, prefetch=prefetch_for(resources)
            )
        else:
            body = request_body("patient-view", patient.patient_id, fhir_server=fhir_server)
        out.append(json.dumps(body).encode())
    return out


def in_process_caller(
    client: Any, path: str, payloads: list[bytes], tokens: list[str]
) -> Callable[[int], None]:
    """Call n of a Flask test client (the in-process benches): payload n round-robin, token n;
    stops the bench on any answer but 200."""

    def call(n: int) -> None:
        response = client.post(
            path,
            data=payloads[n % len(payloads)],
            headers={"Authorization": f"Bearer {tokens[n]}", "Content-Type": "application/json"},
        )
        if response.status_code != 200:
            raise SystemExit(f"call {n}: HTTP {response.status_code} {response.get_data()[:300]}")

    return call


def measure(
    base: str,
    path: str,
    payloads: list[bytes],
    duration: float,
    cap: int,
    *,
    tokens: list[str] | None = None,
) -> list[LevelResult]:
    results = []
    offset = [0]
    for level in LEVELS:

        def make(n: int, _offset: int = offset[0]) -> tuple[str, bytes, dict[str, str]]:
            headers = {"Content-Type": "application/json"}
            if tokens is not None:
                headers["Authorization"] = f"Bearer {tokens[_offset + n]}"
            return path, payloads[n % len(payloads)], headers

        if tokens is not None:
            cap = min(cap, len(tokens) - offset[0] - 50)
        result = run_level(
            base,
            make,
            concurrency=level,
            duration_s=duration,
            max_requests=cap,
            warmup=20,
            server_pid=SERVER_PIDS.get(base),
        )
        offset[0] += result.requests + result.errors + 20 + level
        results.append(result)
        print(
            f"  {base}{path} c={level}: {result.throughput:.0f} req/s, "
            f"p99 {result.percentile(99):.1f} ms, server CPU {result.cpu_ms_per_call or 0:.1f} "
            f"ms/call, errors {result.errors}",
            flush=True,
        )
    return results


def ensure_healthchain_venv() -> Path:
    """healthchain is a test dependency: use this interpreter when it has it, else a venv."""
    probe = subprocess.run(
        [sys.executable, "-c", "import healthchain.gateway"], check=False, capture_output=True
    )
    if probe.returncode == 0:
        return Path(sys.executable)
    python = HC_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(HC_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "healthchain"], check=True)
    return python


def row(
    name: str,
    database: str,
    result: LevelResult,
    work: LevelResult | None,
    others: list[LevelResult | None],
) -> str:
    def times(mine: float | None, theirs: float | None) -> str:
        if not mine or not theirs:
            return "–"
        return f"{mine / theirs:.2f}x"

    cpu = result.cpu_ms_per_call
    by_cpu = times(cpu, work.cpu_ms_per_call if work else None)
    # the other server's req/s over this one's: how many times its time per call this takes
    by_rate = [times(o.throughput if o else None, result.throughput) for o in [work, *others]]
    # Answers other than 200 (e.g. 429s) are cheap and would lower the CPU per call: shown.
    requests = f"{result.requests}" + (f" (+{result.errors} errors)" if result.errors else "")
    return (
        f"| {name} | {database} | {result.concurrency} | {requests} | "
        f"{result.throughput:.0f} | {result.percentile(50):.1f} | {result.percentile(95):.1f} | "
        f"{result.percentile(99):.1f} | {'–' if cpu is None else f'{cpu:.1f}'} | "
        f"{by_rate[0]} | {by_cpu} | {' | '.join(by_rate[1:])} |"
    )


@contextmanager
def database(kind: str, work: Path, label: str) -> Iterator[str]:
    """A fresh database for one server: a new SQLite file, or a new PostgreSQL schema (at
    127.0.0.1:5432, trust auth, database `test`), dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{work / f'{label}.sqlite3'}"
        return
    with postgres_schema_url() as url:
        yield url


def signed_env(
    env: dict[str, str], issuer: JwtIssuer, jwks: Path, url: str, port: int
) -> dict[str, str]:
    return {
        **env,
        # the JWT aud is checked against the configured base URL, never the Host header
        "PANNET_CDS_BASE_URL": f"http://127.0.0.1:{port}",
        "PANNET_CDS_TRUSTED_ISSUERS": json.dumps({issuer.iss: str(jwks)}),
        "PANNET_CDS_DATABASE_URL": url,
        # the per-client limit (100 calls/s per worker by default) would answer most of a
        # closed-loop client's calls with a cheap 429; far above any level's rate, it is still
        # checked on every call, as in production
        "PANNET_CDS_RATE_LIMIT": "1000000",
        # the "FHIR server reads" rows name the local sekmet-fhir as fhirServer: loopback is
        # refused unless allowlisted for the caller (issue 11)
        "PANNET_CDS_FHIR_SERVERS": json.dumps({issuer.iss: ["http://127.0.0.1:*"]}),
    }


def tokens_for(issuer: JwtIssuer, audience: str, count: int) -> list[str]:
    return [issuer.mint(aud=audience) for _ in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per level")
    parser.add_argument("--fetch-duration", type=float, default=6.0)
    parser.add_argument("--max-requests", type=int, default=4000, help="cap per level")
    parser.add_argument("--cohort", type=int, default=10_000, help="0: skip the cohort")
    parser.add_argument("--skip-healthchain", action="store_true")
    parser.add_argument(
        "--databases",
        default="sqlite,postgresql",
        help="comma-separated: sqlite (a fresh file), postgresql (a fresh schema per server)",
    )
    parser.add_argument(
        "--service-root",
        type=Path,
        default=ROOT,
        help="the pannet-cds source tree to measure (e.g. an exported older commit)",
    )
    parser.add_argument(
        "--only",
        choices=["prefetch"],
        default=None,
        help="measure only pannet-cds with prefetch and the work floor (profiling rounds)",
    )
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results.md")
    args = parser.parse_args()
    kinds = [k.strip() for k in args.databases.split(",") if k.strip()]
    if not set(kinds) <= set(DATABASE_KINDS):
        parser.error(f"--databases: choose from {', '.join(DATABASE_KINDS)}")

    work = Path(tempfile.mkdtemp(prefix="pannet-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PANNET_CDS_", "PROMETHEUS"))}
    env["PYTHONPATH"] = str(ROOT)
    service_env = {**env, "PYTHONPATH": str(args.service_root.resolve())}
    issuer = JwtIssuer()
    jwks = issuer.write_jwks(work / "jwks.json")
    tables: dict[str, list[LevelResult]] = {}
    per_server = (args.max_requests + 100) * len(LEVELS)
    notes: list[str] = []
    text_rows = reader_available(args.service_root.resolve())
    if not text_rows:
        notes.append(
            "Pathology sign-off with a synoptic report and a PDF: not measured "
            "(the measured tree has no `fhir_mappers/report_text`)."
        )

    with FhirServerProcess(work / "fhir") as fhir:
        for patient in demo_patients():
            load_bundle(fhir.base_url, patient.bundle)
        for number, kind in enumerate(kinds):
            with database(kind, work, f"cds-{kind}") as url:
                port = free_loopback_port()
                cmd = [sys.executable, "-m", "cds_service.cli", "serve", "--port", str(port)]
                with server(
                    cmd, "/healthz", port, signed_env(service_env, issuer, jwks, url, port), work
                ) as base:
                    audience = f"{base}{SERVICE_PATH}"
                    print(f"pannet-cds, full prefetch, {kind}", flush=True)
                    tables[f"prefetch/{kind}"] = measure(
                        base,
                        SERVICE_PATH,
                        bodies(None),
                        args.duration,
                        args.max_requests,
                        tokens=tokens_for(issuer, audience, per_server),
                    )
                    if args.only is None and text_rows:
                        pathology = f"{base}{PATHOLOGY_PATH}"
                        for with_text in (False, True):
                            key = f"pathology-{'text' if with_text else 'obs'}/{kind}"
                            print(f"pannet-cds, {key}", flush=True)
                            tables[key] = measure(
                                base,
                                PATHOLOGY_PATH,
                                pathology_bodies(with_text=with_text),
                                args.duration,
                                args.max_requests,
                                tokens=tokens_for(issuer, pathology, per_server),
                            )
                    if args.only is None and number == 0:
                        print("pannet-cds, reading the local FHIR server", flush=True)
                        tables["fetch"] = measure(
                            base,
                            SERVICE_PATH,
                            bodies(fhir.base_url),
                            args.fetch_duration,
                            args.max_requests,
                            tokens=tokens_for(issuer, audience, int(args.fetch_duration * 300)),
                        )
            with database(kind, work, f"work-floor-{kind}") as url:
                port = free_loopback_port()
                cmd = [sys.executable, "-m", "bench.work_floor_app", str(port), str(WORKERS)]
                with server(
                    cmd, "/healthz", port, signed_env(env, issuer, jwks, url, port), work, cwd=ROOT
                ) as base:
                    print(f"work floor, {kind}", flush=True)
                    tables[f"work/{kind}"] = measure(
                        base,
                        SERVICE_PATH,
                        bodies(None),
                        args.duration,
                        args.max_requests,
                        tokens=tokens_for(issuer, f"{base}{SERVICE_PATH}", per_server),
                    )

    if args.only is None:
        port = free_loopback_port()
        with server(
            [sys.executable, "-m", "bench.floor_app", str(port), str(WORKERS)],
            "/healthz",
            port,
            env,
            work,
            cwd=ROOT,
        ) as base:
            print("framework floor (Flask, same gunicorn configuration)", flush=True)
            tables["floor"] = measure(
                base, "/cds-services/floor", bodies(None), args.duration, args.max_requests
            )

    if args.only is None and not args.skip_healthchain:
        python = ensure_healthchain_venv()
        port = free_loopback_port()
        cmd = [
            str(python),
            "-m",
            "uvicorn",
            "healthchain_app:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(WORKERS),
            "--log-level",
            "warning",
        ]
        with server(cmd, "/cds/cds-discovery", port, dict(env), work, cwd=ROOT / "bench") as base:
            print("healthchain CDSHooksService (uvicorn)", flush=True)
            tables["healthchain"] = measure(
                base, HC_PATH, bodies(None), args.duration, args.max_requests
            )

    if args.only is None and args.cohort:
        print(f"scoring a generated cohort of {args.cohort} patients", flush=True)
        notes.append(score_throughput(args.cohort))

    table = "\n".join([*results_table(tables, kinds), "", *notes])
    print(table)
    args.output.write_text(table + "\n")


def results_table(tables: dict[str, list[LevelResult]], kinds: list[str]) -> list[str]:
    """Rows per target and concurrency. "÷ X (req/s)": X's throughput over this row's, i.e. how
    many times X's time per call this row takes; "÷ work floor (CPU/call)": this row's server CPU
    per call over the work floor's, the ratio least disturbed by other load on the machine."""
    lines = [
        "| target | database | concurrency | requests | req/s | p50 ms | p95 ms | p99 ms "
        "| server CPU ms/call | ÷ work floor (req/s) | ÷ work floor (CPU/call) "
        "| ÷ framework floor (req/s) | ÷ healthchain (req/s) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    names = {
        "prefetch": "pannet-cds, full prefetch",
        "pathology-obs": "pannet-cds, pathology sign-off, Observations only",
        "pathology-text": "pannet-cds, pathology sign-off + synoptic text + PDF",
        "fetch": "pannet-cds, FHIR server reads",
        "work": "work floor (JWT, jti, R4 validation, audit)",
        "floor": "framework floor (Flask)",
        "healthchain": "healthchain (FastAPI)",
    }
    order = [
        *(f"{name}/{kind}" for kind in kinds for name in ("prefetch", "pathology-obs")),
        *(f"pathology-text/{kind}" for kind in kinds),
        "fetch",
        *(f"work/{kind}" for kind in kinds),
        "floor",
        "healthchain",
    ]
    first = kinds[0] if kinds else "sqlite"
    for key in order:
        name, _, kind = key.partition("/")
        for index, result in enumerate(tables.get(key, [])):
            compared = name not in ("work", "floor", "healthchain")
            work = tables.get(f"work/{kind or first}") if compared else None
            others = [
                tables["floor"][index] if compared and "floor" in tables else None,
                tables["healthchain"][index] if compared and "healthchain" in tables else None,
            ]
            database = kind or (first if compared else "–")
            lines.append(row(names[name], database, result, work[index] if work else None, others))
    return lines


if __name__ == "__main__":
    main()
