"""Benchmark harness: `PYTHONPATH=. python -m bench.run [--duration S] [--skip-healthchain]`.

Starts, one after the other and each alone on the machine, on 127.0.0.1:
- pannet-cds under its production server (`pannet-cds serve`: gunicorn gthread, one worker per
  core, JWT verification on, a fresh SQLite file or --database-url) and measures patient-view
  calls with full prefetch, then with no prefetch so the service reads a local FHIR server
  (sekmet-fhir);
- the framework floor (bench/floor_app.py: Flask, same gunicorn configuration, fixed card);
- healthchain's CDS Hooks service returning one card (bench/healthchain_app.py, uvicorn with the
  same number of worker processes; healthchain from the test dependencies, else from a
  virtualenv bench/.venv-healthchain created on first use from PyPI),
at concurrency 1, 8 and 32, then `pannet-cds score`'s pipeline on a generated cohort. Prints a
Markdown table (and writes it to bench/results.md) with p50/p95/p99 and throughput, and the
ratios of pannet-cds to the floor and to healthchain.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.cohort import score_throughput
from bench.load import LevelResult, run_level
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

ROOT = Path(__file__).resolve().parents[1]
HC_VENV = Path(os.environ.get("BENCH_HEALTHCHAIN_VENV") or ROOT / "bench" / ".venv-healthchain")
LEVELS = (1, 8, 32)
SERVICE_PATH = "/cds-services/pannet-cds-patient-view"
HC_PATH = "/cds/cds-services/bench-patient-view"
WORKERS = os.cpu_count() or 1


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
        yield base
    finally:
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
            base, make, concurrency=level, duration_s=duration, max_requests=cap, warmup=20
        )
        offset[0] += result.requests + result.errors + 20 + level
        results.append(result)
        print(
            f"  {base}{path} c={level}: {result.throughput:.0f} req/s, "
            f"p99 {result.percentile(99):.1f} ms, errors {result.errors}",
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


def row(name: str, result: LevelResult, floor: LevelResult | None, hc: LevelResult | None) -> str:
    def ratio(other: LevelResult | None) -> str:
        if other is None or not other.throughput:
            return "–"
        return f"{other.throughput / result.throughput:.1f}x"

    return (
        f"| {name} | {result.concurrency} | {result.requests} | {result.throughput:.0f} | "
        f"{result.percentile(50):.1f} | {result.percentile(95):.1f} | "
        f"{result.percentile(99):.1f} | {ratio(floor)} | {ratio(hc)} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per level")
    parser.add_argument("--fetch-duration", type=float, default=6.0)
    parser.add_argument("--max-requests", type=int, default=4000, help="cap per level")
    parser.add_argument("--cohort", type=int, default=10_000)
    parser.add_argument("--skip-healthchain", action="store_true")
    parser.add_argument(
        "--database-url",
        default=None,
        help="the service's database (default: a fresh SQLite file), e.g. a PostgreSQL URL",
    )
    parser.add_argument(
        "--only",
        choices=["prefetch"],
        default=None,
        help="measure only pannet-cds with prefetch (for profiling rounds)",
    )
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="pannet-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PANNET_CDS_", "PROMETHEUS"))}
    env["PYTHONPATH"] = str(ROOT)
    issuer = JwtIssuer()
    jwks = issuer.write_jwks(work / "jwks.json")
    tables: dict[str, list[LevelResult]] = {}

    port = free_loopback_port()
    service_env = {
        **env,
        "PANNET_CDS_TRUSTED_ISSUERS": json.dumps({issuer.iss: str(jwks)}),
        "PANNET_CDS_DATABASE_URL": args.database_url or f"sqlite:///{work / 'cds.sqlite3'}",
    }
    audience = f"http://127.0.0.1:{port}{SERVICE_PATH}"
    expected = (args.max_requests + 100) * len(LEVELS)
    print(f"minting {expected} client JWTs (one per call: each jti is accepted once)", flush=True)
    tokens = [issuer.mint(aud=audience) for _ in range(expected)]
    with FhirServerProcess(work / "fhir") as fhir:
        for patient in demo_patients():
            load_bundle(fhir.base_url, patient.bundle)
        with server(
            [sys.executable, "-m", "cds_service.cli", "serve", "--port", str(port)],
            "/healthz",
            port,
            service_env,
            work,
        ) as base:
            print("pannet-cds, full prefetch", flush=True)
            tables["prefetch"] = measure(
                base, SERVICE_PATH, bodies(None), args.duration, args.max_requests, tokens=tokens
            )
            if args.only == "prefetch":
                return
            print("pannet-cds, reading the local FHIR server", flush=True)
            fetch_tokens = [
                issuer.mint(aud=audience) for _ in range(int(args.fetch_duration * 300))
            ]
            tables["fetch"] = measure(
                base,
                SERVICE_PATH,
                bodies(fhir.base_url),
                args.fetch_duration,
                args.max_requests,
                tokens=fetch_tokens,
            )

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

    if not args.skip_healthchain:
        python = ensure_healthchain_venv()
        port = free_loopback_port()
        hc_env = dict(env)
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
        with server(cmd, "/cds/cds-discovery", port, hc_env, work, cwd=ROOT / "bench") as base:
            print("healthchain CDSHooksService (uvicorn)", flush=True)
            tables["healthchain"] = measure(
                base, HC_PATH, bodies(None), args.duration, args.max_requests
            )

    print(f"scoring a generated cohort of {args.cohort} patients", flush=True)
    cohort = score_throughput(args.cohort)

    lines = [
        "| target | concurrency | requests | req/s | p50 ms | p95 ms | p99 ms "
        "| floor ÷ this (req/s) | healthchain ÷ this (req/s) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    names = {
        "prefetch": "pannet-cds, full prefetch",
        "fetch": "pannet-cds, FHIR server reads",
        "floor": "framework floor (Flask)",
        "healthchain": "healthchain (FastAPI)",
    }
    for key in ("prefetch", "fetch", "floor", "healthchain"):
        for index, result in enumerate(tables.get(key, [])):
            floor = tables["floor"][index] if key in ("prefetch", "fetch") else None
            hc = (
                tables["healthchain"][index]
                if key in ("prefetch", "fetch") and "healthchain" in tables
                else None
            )
            lines.append(row(names[key], result, floor, hc))
    lines.append("")
    lines.append(cohort)
    table = "\n".join(lines)
    print(table)
    (ROOT / "bench" / "results.md").write_text(table + "\n")


if __name__ == "__main__":
    main()
