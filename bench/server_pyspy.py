"""Where a real server worker's Python time goes, sampled by py-spy (not part of CI):

    PYTHONPATH=. .venv/bin/python -m bench.server_pyspy --py-spy PATH [--floor]
        [--seconds 20] [--database sqlite|postgresql] [--output FILE] [--top 60]

Starts `pannet-cds serve --workers 1` (or the work floor with one worker), warms it up, then
samples the worker with `py-spy record --gil --format raw` (only the thread holding the GIL,
i.e. Python and the C code it calls, not waits) while signed patient-view calls with full
prefetch are sent one at a time. Prints, per function, the milliseconds per call spent in it
(inclusive, by sample count) and writes the collapsed stacks (for a flame graph) to `--output`.
Samples are wall-clock while holding the GIL: a guide to where to look, not a CPU figure (use
`bench.run` or `bench.server_callgrind` for those). py-spy is not a dependency: install it in
any venv (`pip install py-spy`) and pass its path.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.load import run_level
from bench.run import ROOT, SERVICE_PATH, bodies, database, signed_env, tokens_for
from tests.support.jwt_issuer import JwtIssuer
from tests.support.loopback import free_loopback_port, url_answers

RATE_HZ = 997
BATCH = 200


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def _function(frame: str) -> str:
    """`name (path:line)` → `name (package/module.py)`: a function, not one of its lines."""
    frame = re.sub(r":\d+\)$", ")", frame)
    return re.sub(r"\((?:.*/)?([^/]+/[^/]+)\)$", r"(\1)", frame)


def inclusive_ms_per_call(stacks: Path, calls: int) -> list[tuple[str, float]]:
    """(function, ms per call) from py-spy's raw collapsed stacks, each function counted once
    per stack, sorted by cost."""
    counts: collections.Counter[str] = collections.Counter()
    for line in stacks.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        names = {_function(frame) for frame in stack.split(";")}
        for name in names:
            counts[name] += int(n)
    scale = 1000 / RATE_HZ / max(calls, 1)
    return [(name, n * scale) for name, n in counts.most_common()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--py-spy", required=True)
    parser.add_argument("--floor", action="store_true")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--output", type=Path, default=Path("pyspy.txt"))
    parser.add_argument("--top", type=int, default=60)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="pannet-pyspy-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PANNET_CDS_", "PROMETHEUS"))}
    env["PYTHONPATH"] = str(ROOT)
    issuer = JwtIssuer()
    jwks = issuer.write_jwks(work / "jwks.json")
    sent = 0
    with database(args.database, work, "pyspy") as url:
        port = free_loopback_port()
        app = (
            ["-m", "bench.work_floor_app", str(port), "1"]
            if args.floor
            else ["-m", "cds_service.cli", "serve", "--port", str(port), "--workers", "1"]
        )
        with (work / "server.log").open("w") as log:
            process = subprocess.Popen(
                [sys.executable, *app],
                env=signed_env(env, issuer, jwks, url, port),
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        base = f"http://127.0.0.1:{port}"
        try:
            while not url_answers(base + "/healthz", accept=lambda status: status < 500):
                if process.poll() is not None:
                    raise SystemExit((work / "server.log").read_text()[-3000:])
                time.sleep(0.5)
            count = args.seconds * 1000 + 2 * BATCH
            tokens = tokens_for(issuer, f"{base}{SERVICE_PATH}", count)
            payloads = bodies(None)

            def make(n: int) -> tuple[str, bytes, dict[str, str]]:
                headers = {
                    "Content-Type": "application/json",
                    "Authorization": f"Bearer {tokens[n]}",
                }
                return SERVICE_PATH, payloads[n % len(payloads)], headers

            run_level(base, make, concurrency=1, duration_s=10, max_requests=BATCH, warmup=0)
            (worker,) = _children(process.pid)
            spy = subprocess.Popen(
                [
                    args.py_spy,
                    "record",
                    "--rate",
                    str(RATE_HZ),
                    "--format",
                    "raw",
                    "--gil",
                    "--nonblocking",
                    "--duration",
                    str(args.seconds),
                    "--pid",
                    str(worker),
                    "--output",
                    str(args.output),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            done = threading.Event()

            def load() -> None:
                nonlocal sent
                start = BATCH
                while not done.is_set() and start + BATCH <= count:
                    result = run_level(
                        base,
                        lambda n, first=start: make(first + n),
                        concurrency=1,
                        duration_s=60,
                        max_requests=BATCH,
                        warmup=0,
                    )
                    sent += result.requests
                    start += BATCH

            thread = threading.Thread(target=load, daemon=True)
            thread.start()
            spy.wait()
            done.set()
            thread.join()
        finally:
            process.terminate()
            process.wait(timeout=60)
    print(f"{sent} calls while sampling; collapsed stacks in {args.output}")
    print("ms per call (GIL held, inclusive)  function")
    for name, ms in inclusive_ms_per_call(args.output, sent)[: args.top]:
        print(f"{ms:8.3f}  {name[:150]}")


if __name__ == "__main__":
    main()
