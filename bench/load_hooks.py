"""Bounded load run against the real server (not part of CI).

    PYTHONPATH=$PWD .venv/bin/python bench/load_hooks.py [--hold 60] [--workers 2]

Starts the service (gunicorn, JWT verification on, SQLite) on 127.0.0.1, finds the concurrency
with the highest throughput in short steps, then holds it for --hold seconds with signed
patient-view calls (prefetch of a shared case; every call also records its card). Prints
throughput, latency percentiles, errors and the resident memory of the server's processes
sampled through the hold. Exit status 1 if any call failed or memory grew by more than 20 %.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.cds_calls import case_resources, prefetch_for, request_body
from tests.support.jwt_issuer import JwtIssuer
from tests.support.service_process import ServiceProcess, signed_service_env

PATH = "/cds-services/pannet-cds-patient-view"
STEP_S = 8.0
CONCURRENCY_STEPS = (1, 2, 4, 8, 16)


def rss_kib(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except FileNotFoundError:
            pass
    return total


def run(service: ServiceProcess, issuer, threads: int, seconds: float, sample=None) -> dict:
    body = json.dumps(
        request_body("patient-view", "p01", prefetch=prefetch_for(case_resources("p01")))
    )
    stop = time.monotonic() + seconds
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def client() -> None:
        session = requests.Session()
        while time.monotonic() < stop:
            token = issuer.mint(aud=service.url(PATH))
            started = time.monotonic()
            try:
                response = session.post(
                    service.url(PATH),
                    data=body,
                    headers={
                        "Authorization": f"Bearer {token}",
                        "Content-Type": "application/json",
                    },
                    timeout=30,
                )
                ok = response.status_code == 200 and "cards" in response.json()
                problem = None if ok else f"HTTP {response.status_code}"
            except requests.RequestException as exc:
                problem = type(exc).__name__
            with lock:
                latencies.append(time.monotonic() - started)
                if problem:
                    errors.append(problem)

    workers = [threading.Thread(target=client) for _ in range(threads)]
    for worker in workers:
        worker.start()
    samples = []
    while any(w.is_alive() for w in workers):
        if sample is not None:
            samples.append(sample())
        time.sleep(5 if sample is not None else 0.5)
    latencies.sort()
    return {
        "threads": threads,
        "calls": len(latencies),
        "per_second": len(latencies) / seconds,
        "errors": len(errors),
        "p50_ms": 1000 * statistics.median(latencies) if latencies else None,
        "p95_ms": 1000 * latencies[int(0.95 * (len(latencies) - 1))] if latencies else None,
        "rss_kib": samples,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hold", type=float, default=60.0, help="seconds at the best concurrency")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="pannet-load-"))
    issuer = JwtIssuer()
    env = signed_service_env(issuer, workdir)
    with ServiceProcess(workdir, env, workers=args.workers) as service:
        steps = [run(service, issuer, n, STEP_S) for n in CONCURRENCY_STEPS]
        for step in steps:
            rate, errors = step["per_second"], step["errors"]
            print(f"ramp: {step['threads']:2d} clients {rate:7.1f}/s errors {errors}")
        best = max(steps, key=lambda s: s["per_second"])["threads"]
        pids = [service.pid, *service.worker_pids()]
        hold = run(service, issuer, best, args.hold, sample=lambda: rss_kib(pids))
    rss = hold["rss_kib"]
    growth = (rss[-1] - rss[1]) / rss[1] if len(rss) > 2 else 0.0
    print(
        f"hold: {best} clients for {args.hold:.0f} s: {hold['calls']} calls, "
        f"{hold['per_second']:.1f}/s, p50 {hold['p50_ms']:.0f} ms, p95 {hold['p95_ms']:.0f} ms, "
        f"errors {hold['errors']}"
    )
    print(f"server RSS (KiB, every 5 s): {rss}; growth after warm-up {100 * growth:+.1f} %")
    failed = hold["errors"] > 0 or any(s["errors"] for s in steps) or growth > 0.20
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
