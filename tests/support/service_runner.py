"""The CDS service as a real process: `python -m cds_service.cli serve` (gunicorn) on loopback.

    with ServiceRunner(tmp_path, env={"PANNET_CDS_AUTH": "off"}) as service:
        requests.get(f"{service.base_url}/healthz")
        service.kill9()      # SIGKILL to gunicorn's master and every worker, as a crash would
        service.start()      # same working directory, so the same SQLite database

`signed_service_env` sets up a trusted JWT issuer (JWKS file) the way an operator would.
The child runs this checkout's code (PYTHONPATH = repository root), in its own process group.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import requests

from tests.support.fhir_server import free_loopback_port
from tests.support.jwt_issuer import JwtIssuer

REPO_ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0
PORT_ATTEMPTS = 3
_LOG_TAIL_CHARS = 4000
DEAD_PROXY = "http://127.0.0.1:9"  # the discard port: nothing listens there


class ServiceRunnerError(RuntimeError):
    """The service process could not be started."""


def signed_service_env(workdir: Path, issuer: JwtIssuer | None = None) -> tuple[JwtIssuer, dict]:
    """An issuer and the environment that makes the service trust it (JWKS from a file)."""
    issuer = issuer or JwtIssuer()
    jwks = issuer.write_jwks(workdir / "jwks.json")
    return issuer, {"PANNET_CDS_TRUSTED_ISSUERS": json.dumps({issuer.iss: str(jwks)})}


class ServiceRunner:
    def __init__(
        self,
        workdir: Path,
        *,
        env: dict[str, str] | None = None,
        workers: int = 1,
        database_url: str | None = None,
    ) -> None:
        self.workdir = workdir
        self.env = dict(env or {})
        self.workers = workers
        self.database_url = database_url or f"sqlite:///{workdir / 'cds.sqlite3'}"
        self.log_path = workdir / "service.log"
        self.port: int | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        if self.port is None:
            raise ServiceRunnerError("service is not running")
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        if self._process is None:
            raise ServiceRunnerError("service is not running")
        return self._process.pid

    def url(self, path: str) -> str:
        return self.base_url + path

    def start(self) -> ServiceRunner:
        if self._process is not None:
            raise ServiceRunnerError("service already running")
        self.workdir.mkdir(parents=True, exist_ok=True)
        for _ in range(PORT_ATTEMPTS):
            if self._try_start(self.port or free_loopback_port()):
                return self
            if "address already in use" not in self.log_tail().lower():
                break
            self.port = None
        raise ServiceRunnerError(f"service exited at start-up; log tail:\n{self.log_tail()}")

    def _child_env(self) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("PANNET_CDS_") and not k.lower().endswith("_proxy")
        }
        env.update(
            {
                "PYTHONPATH": str(REPO_ROOT),
                # Fence: any outbound request to a non-loopback host goes to a closed loopback
                # port instead (requests honours these), so fuzzed fhirServer URLs never leave
                # the machine, not even as a DNS lookup.
                "HTTP_PROXY": DEAD_PROXY,
                "HTTPS_PROXY": DEAD_PROXY,
                "ALL_PROXY": DEAD_PROXY,
                "NO_PROXY": "127.0.0.1,localhost,::1",
                "PANNET_CDS_DATABASE_URL": self.database_url,
                **self.env,
            }
        )
        return env

    def _try_start(self, port: int) -> bool:
        command = [
            sys.executable,
            "-m",
            "cds_service.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(self.workers),
        ]
        with self.log_path.open("ab") as log:
            # A file, not a pipe: an unread pipe fills up and blocks the server.
            self._process = subprocess.Popen(
                command,
                cwd=self.workdir,
                env=self._child_env(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # one process group: kill9() reaches every worker
            )
        self.port = port
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self._process = None
                return False
            if self._healthy():
                return True
            time.sleep(0.1)
        self.stop()
        raise ServiceRunnerError(f"service did not answer /healthz; log tail:\n{self.log_tail()}")

    def _healthy(self) -> bool:
        try:
            return requests.get(self.url("/healthz"), timeout=1.0).status_code == 200
        except requests.RequestException:
            return False

    def worker_pids(self) -> list[int]:
        """gunicorn's worker processes (children of the master)."""
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        return [int(p) for p in children.read_text().split()] if children.exists() else []

    def log_tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-_LOG_TAIL_CHARS:]
        except FileNotFoundError:
            return "(no service log)"

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def kill9(self) -> None:
        """SIGKILL the master and all workers at once: no shutdown code runs."""
        process, self._process = self._process, None
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT_S)

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=STOP_TIMEOUT_S)

    def __enter__(self) -> ServiceRunner:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
