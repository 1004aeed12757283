"""Instructions per hook call of the real server, counted by callgrind (not part of CI):

    PYTHONPATH=. .venv/bin/python -m bench.server_callgrind [--service-root TREE] [--floor]
        [--calls 40] [--concurrency 1] [--database sqlite|postgresql]

Starts `pannet-cds serve --workers 1` (or the work floor with one worker) under
`valgrind --tool=callgrind --trace-children=yes --instr-atstart=no`, warms it up with 12 calls,
then counts the worker's instructions over `--calls` signed patient-view calls with full
prefetch (instrumentation switched on and off with `callgrind_control`). Unlike CPU time, the
count does not move with the other load on a shared machine (repeat runs agree within ~0.2 %),
so before/after pairs of small changes can be compared; it does not see what instruction counts
cannot (cache misses, waiting, the kernel's side of system calls). Needs valgrind; slow (a
minute or two per run).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.load import run_level
from bench.run import ROOT, SERVICE_PATH, bodies, database, signed_env, tokens_for
from tests.support.jwt_issuer import JwtIssuer
from tests.support.loopback import free_loopback_port, url_answers

WARM_UP_CALLS = 12


def _control(*args: str) -> str:
    done = subprocess.run(["callgrind_control", *args], capture_output=True, text=True)
    return done.stdout


def _worker_pid(port: int, master: int) -> int:
    # Every callgrind run of the machine is listed: ours are the ones serving this port.
    listing = _control()
    pids = [int(p) for p in re.findall(rf"^PID (\d+): .* {port}\b", listing, re.M)]
    workers = [pid for pid in pids if pid != master]
    if len(workers) != 1:
        raise SystemExit(f"expected one worker under callgrind on port {port}:\n{listing}")
    return workers[0]


def _instructions(work: Path, pid: int) -> int:
    total = 0
    for path in work.glob(f"callgrind.{pid}.out*"):
        for line in path.read_text(errors="replace").splitlines():
            if line.startswith(("summary:", "totals:")):
                total = max(total, int(line.split()[1]))
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--service-root", type=Path, default=ROOT)
    parser.add_argument("--floor", action="store_true", help="the work floor instead")
    parser.add_argument("--calls", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    root = args.service_root.resolve()
    work = Path(tempfile.mkdtemp(prefix="pannet-callgrind-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PANNET_CDS_", "PROMETHEUS"))}
    env["PYTHONPATH"] = str(root)
    issuer = JwtIssuer()
    jwks = issuer.write_jwks(work / "jwks.json")
    with database(args.database, work, "callgrind") as url:
        port = free_loopback_port()
        app = (
            ["-m", "bench.work_floor_app", str(port), "1"]
            if args.floor
            else ["-m", "cds_service.cli", "serve", "--port", str(port), "--workers", "1"]
        )
        cmd = [
            "valgrind",
            "--tool=callgrind",
            "--trace-children=yes",
            "--instr-atstart=no",
            f"--callgrind-out-file={work / 'callgrind.%p.out'}",
            sys.executable,
            *app,
        ]
        with (work / "server.log").open("w") as log:
            process = subprocess.Popen(
                cmd,
                env=signed_env(env, issuer, jwks, url, port),
                cwd=root,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 900
            while not url_answers(base + "/healthz", accept=lambda status: status < 500):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit((work / "server.log").read_text()[-3000:])
                time.sleep(2)
            tokens = tokens_for(issuer, f"{base}{SERVICE_PATH}", args.calls + WARM_UP_CALLS + 20)
            payloads = bodies(None)

            def make(n: int, offset: int = 0) -> tuple[str, bytes, dict[str, str]]:
                headers = {
                    "Content-Type": "application/json",
                    "Authorization": f"Bearer {tokens[offset + n]}",
                }
                return SERVICE_PATH, payloads[n % len(payloads)], headers

            run_level(
                base, make, concurrency=1, duration_s=600, max_requests=WARM_UP_CALLS, warmup=0
            )
            worker = _worker_pid(port, process.pid)
            _control("--zero", str(worker))
            _control("--instr=on", str(worker))
            result = run_level(
                base,
                lambda n: make(n, WARM_UP_CALLS + 10),
                concurrency=args.concurrency,
                duration_s=900,
                max_requests=args.calls,
                warmup=0,
            )
            _control("--instr=off", str(worker))
            _control("--dump", str(worker))
            time.sleep(2)
            calls = result.requests + result.errors
            print(
                f"{'work floor' if args.floor else 'pannet-cds'} ({root}, {args.database}, "
                f"c={args.concurrency}): {_instructions(work, worker) / calls / 1e6:.2f} M "
                f"instructions per call ({calls} calls, {result.errors} errors)"
            )
        finally:
            process.terminate()
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    main()
