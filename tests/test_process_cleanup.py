"""No child process outlives the test run: children started by the test helpers lead their own
process group, which is killed when the test process exits, is stopped by SIGTERM or SIGHUP
(CI's stop), or gets Ctrl-C (SIGINT). The child here starts a grandchild, as gunicorn's master
starts its workers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.loopback import process_timeout

REPO_ROOT = Path(__file__).resolve().parent.parent

# a "server" that starts a "worker" and writes the worker's pid to its log
_SERVER = (
    "import subprocess, sys, time;"
    "w = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)']);"
    "print(w.pid, flush=True); time.sleep(300)"
)

# the test process: starts the server through the helpers, says the pids, then waits
_RUNNER = f"""
import sys, time
from pathlib import Path
from tests.support.loopback import spawn_logged
log = Path(sys.argv[1])
server = spawn_logged([sys.executable, "-c", {_SERVER!r}], cwd=log.parent, env={{}}, log_path=log)
while not log.read_text().strip():
    time.sleep(0.05)
print(server.pid, log.read_text().strip(), flush=True)
if sys.argv[2] == "exit":
    sys.stdin.readline()  # the test has seen both running
    sys.exit(0)
time.sleep(300)
"""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped by its parent) is not running
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"


def wait_gone(pids: list[int], timeout: float = 20.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = [pid for pid in pids if alive(pid)]
        if not left:
            return []
        time.sleep(0.1)
    return [pid for pid in pids if alive(pid)]


@pytest.mark.parametrize("stop", ["exit", signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_children_and_grandchildren_die_with_the_test_process(tmp_path, stop):
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    runner = subprocess.Popen(
        [sys.executable, "-c", _RUNNER, str(tmp_path / "server.log"), str(stop)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO_ROOT,
    )
    try:
        pids = [int(p) for p in runner.stdout.readline().split()]
        assert len(pids) == 2, "the runner did not start its server"
        assert all(alive(pid) for pid in pids)
        if stop == "exit":
            runner.stdin.write("\n")
            runner.stdin.flush()
        else:
            runner.send_signal(stop)
        runner.wait(timeout=process_timeout())
        assert wait_gone(pids) == [], f"left running after {stop}"
    finally:
        runner.kill()
        runner.wait()
        for pid in pids if "pids" in locals() else []:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
