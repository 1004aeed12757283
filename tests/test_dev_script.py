"""`./dev` as a newcomer runs it: each step says what it does (the first install can take many
minutes), `serve` says where the service answers and it does, and Ctrl-C / SIGTERM given to
`./dev test` stop pytest and every server the tests started. The venv is this test run's own
(PANNET_CDS_VENV), so nothing is downloaded."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.support.loopback import (
    free_loopback_port,
    process_timeout,
    read_log,
    spawn_logged,
    stop_process,
    wait_until_ready,
)
from tests.test_process_cleanup import alive, wait_gone

REPO_ROOT = Path(__file__).resolve().parent.parent
DEV = REPO_ROOT / "dev"


def dev_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANNET_CDS_")}
    env["PANNET_CDS_VENV"] = sys.prefix  # the venv running these tests: already installed
    return env


def test_ci_runs_exactly_dev_test():
    lines = [line.strip() for line in (REPO_ROOT / ".ci" / "run").read_text().splitlines()]
    commands = [line for line in lines if line and not line.startswith(("#", "set ", "cd "))]
    assert commands == ["exec ./dev test"]


def test_unknown_command_prints_the_usage():
    result = subprocess.run([str(DEV), "nope"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "usage: ./dev serve" in result.stderr and "./dev demo" in result.stderr


@pytest.mark.e2e
def test_serve_says_each_step_and_the_url_it_answers_on(tmp_path):
    port = free_loopback_port()
    log = tmp_path / "dev.log"
    process = spawn_logged(
        [str(DEV), "serve", "--port", str(port), "--workers", "1"],
        cwd=tmp_path,
        env=dev_env(),
        log_path=log,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        said = f"dev: starting pannet-cds on {url}"
        started = wait_until_ready(process, lambda: said in read_log(log), process_timeout())
        assert started, read_log(log)
        steps = [line for line in read_log(log).splitlines() if line.startswith("dev: ")]
        # installing (pinned, hash-checked), or saying the venv is up to date; then auth; then
        # where it listens
        installs = [s for s in steps if "the service's dependencies" in s]
        assert installs and steps.index(installs[0]) == 0, steps
        assert installs[0].startswith(
            ("dev: installing the service's dependencies from requirements.lock", "dev: the ")
        )
        assert "JWT verification is off" in steps[-2]
        assert steps[-1].startswith(said)
        ready = wait_until_ready(process, lambda: _answers(f"{url}/healthz"), process_timeout())
        assert ready, read_log(log)
    finally:
        # exec'd: the process is gunicorn's master now, and SIGTERM is its graceful stop
        assert stop_process(process, 30) == 0, read_log(log)[-3000:]


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


# a test module for the inner `./dev test` run: a server with a worker, then a long wait
_INNER_TEST = """
import time
from pathlib import Path
from tests.support.loopback import spawn_logged

SERVER = (
    "import subprocess, sys, time;"
    "w = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)']);"
    "print(w.pid, flush=True); time.sleep(300)"
)

def test_waits_with_a_server_running(tmp_path):
    import sys
    log = tmp_path / "server.log"
    server = spawn_logged([sys.executable, "-c", SERVER], cwd=tmp_path, env={}, log_path=log)
    while not log.read_text().strip():
        time.sleep(0.05)
    Path(PIDS_FILE).write_text(f"{server.pid} {log.read_text().strip()}")
    time.sleep(300)
"""


@pytest.mark.e2e
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_dev_test_stops_with_every_server_on_a_signal(tmp_path, stop):
    pids_file = tmp_path / "pids"
    inner = tmp_path / "inner" / "test_inner_wait.py"
    inner.parent.mkdir()
    inner.write_text(_INNER_TEST.replace("PIDS_FILE", repr(str(pids_file))))
    env = {**dev_env(), "PYTHONPATH": str(REPO_ROOT)}
    log = tmp_path / "dev.log"
    process = spawn_logged(
        [str(DEV), "test", "-q", "-p", "no:cacheprovider", str(inner)],
        cwd=REPO_ROOT,
        env=env,
        log_path=log,
    )
    try:
        running = wait_until_ready(process, pids_file.exists, process_timeout())
        assert running, read_log(log)[-3000:]
        pids = [int(p) for p in pids_file.read_text().split()]
        assert len(pids) == 2 and all(alive(p) for p in pids)
        process.send_signal(stop)
        process.wait(timeout=process_timeout())
        assert wait_gone(pids) == [], f"left running after {stop!r}"
    finally:
        stop_process(process, 10)
