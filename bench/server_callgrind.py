"""Instructions per hook call of the real server, counted by callgrind (not part of CI):

    PYTHONPATH=. .venv/bin/python -m bench.server_callgrind [--service-root TREE] [--floor]
        [--calls 40] [--concurrency 1] [--database sqlite|postgresql] [--keep FILE]
        [--by-object]

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
import re
import shutil
import subprocess
import time
from pathlib import Path

from bench.load import run_level
from bench.one_worker import one_worker_server
from bench.run import ROOT

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


def _by_object(path: Path, calls: int) -> list[tuple[str, float]]:
    """Instructions per call by the shared object that ran them (callgrind's self cost): the
    interpreter, cryptography's Rust module, pydantic-core, orjson, libc, SQLite..."""
    listing = subprocess.run(
        ["callgrind_annotate", "--inclusive=no", "--threshold=100", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    totals: dict[str, int] = {}
    for line in listing.splitlines():
        match = re.match(r"\s*([\d,]+) \([^)]*\)\s+(.*)$", line)
        if match is None or "PROGRAM TOTALS" in line:
            continue
        where = re.search(r"\[([^\]]+)\]\s*$", match.group(2))
        # Inlined interpreter code is listed under its source file, without the object.
        name = Path(where.group(1)).name if where else "libpython (inlined)"
        totals[name] = totals.get(name, 0) + int(match.group(1).replace(",", ""))
    ranked = sorted(totals.items(), key=lambda item: -item[1])
    return [(name, count / calls) for name, count in ranked]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--service-root", type=Path, default=ROOT)
    parser.add_argument("--floor", action="store_true", help="the work floor instead")
    parser.add_argument("--calls", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--keep",
        type=Path,
        help="copy the worker's callgrind output here (read it with callgrind_annotate)",
    )
    parser.add_argument(
        "--by-object", action="store_true", help="also print instructions per shared object"
    )
    args = parser.parse_args()
    root = args.service_root.resolve()
    with one_worker_server(
        root=root,
        floor=args.floor,
        database_kind=args.database,
        label="callgrind",
        wrapper=lambda work: (
            "valgrind",
            "--tool=callgrind",
            "--trace-children=yes",
            "--instr-atstart=no",
            f"--callgrind-out-file={work / 'callgrind.%p.out'}",
        ),
    ) as server:
        make = server.signed_calls(args.calls + WARM_UP_CALLS + 20)
        run_level(
            server.base, make, concurrency=1, duration_s=600, max_requests=WARM_UP_CALLS, warmup=0
        )
        worker = _worker_pid(server.port, server.process.pid)
        _control("--zero", str(worker))
        _control("--instr=on", str(worker))
        result = run_level(
            server.base,
            lambda n: make(n + WARM_UP_CALLS + 10),
            concurrency=args.concurrency,
            duration_s=900,
            max_requests=args.calls,
            warmup=0,
        )
        _control("--instr=off", str(worker))
        _control("--dump", str(worker))
        time.sleep(2)
        # the dump of the measured calls, not the (empty) file written at exit
        parts = server.work.glob(f"callgrind.{worker}.out*")
        measured = max(parts, key=lambda path: path.stat().st_size)
        if args.keep is not None:
            shutil.copyfile(measured, args.keep)
        calls = result.requests + result.errors
        print(
            f"{'work floor' if args.floor else 'pannet-cds'} ({root}, {args.database}, "
            f"c={args.concurrency}): {_instructions(server.work, worker) / calls / 1e6:.2f} M "
            f"instructions per call ({calls} calls, {result.errors} errors)"
        )
        if args.by_object:
            for name, count in _by_object(measured, calls):
                if count >= 1_000:
                    print(f"  {count / 1e3:10,.0f} K  {name}")


if __name__ == "__main__":
    main()
