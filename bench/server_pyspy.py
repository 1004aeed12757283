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
import re
import subprocess
import threading
from pathlib import Path

from bench.load import run_level
from bench.one_worker import one_worker_server
from bench.run import ROOT

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
    sent = 0
    with one_worker_server(
        root=ROOT, floor=args.floor, database_kind=args.database, label="pyspy"
    ) as server:
        count = args.seconds * 1000 + 2 * BATCH
        make = server.signed_calls(count)
        run_level(server.base, make, concurrency=1, duration_s=10, max_requests=BATCH, warmup=0)
        (worker,) = _children(server.process.pid)
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
                    server.base,
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
    print(f"{sent} calls while sampling; collapsed stacks in {args.output}")
    print("ms per call (GIL held, inclusive)  function")
    for name, ms in inclusive_ms_per_call(args.output, sent)[: args.top]:
        print(f"{ms:8.3f}  {name[:150]}")


if __name__ == "__main__":
    main()
