"""The CDS service as production runs it: `python -m cds_service.cli serve` (gunicorn) in a child
process on loopback, configured only through its environment.

    issuer = JwtIssuer()
    env = signed_service_env(issuer, workdir)          # JWKS file + SQLite file in workdir
    with ServiceProcess(workdir, env) as service:
        requests.get(service.url("/healthz"))
        service.log_tail()                             # for assertion messages
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

import requests

from tests.support.fhir_server import free_loopback_port
from tests.support.jwt_issuer import JwtIssuer

REPO_ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0
PORT_ATTEMPTS = 3
WORKERS = 2
_LOG_TAIL_CHARS = 4000


class ServiceProcessError(RuntimeError):
    """The service process could not be started, or stopped answering."""


def signed_service_env(issuer: JwtIssuer, workdir: Path) -> dict[str, str]:
    """Authentication on, trusting `issuer` through a JWKS file; a fresh SQLite database; no
    public base URL, so `aud` must be the URL the client called."""
    workdir.mkdir(parents=True, exist_ok=True)
    jwks = issuer.write_jwks(workdir / "jwks.json")
    return {
        "PANNET_CDS_TRUSTED_ISSUERS": json.dumps({issuer.iss: str(jwks)}),
        "PANNET_CDS_DATABASE_URL": f"sqlite:///{workdir / 'cds.sqlite3'}",
    }


def unsigned_service_env(workdir: Path) -> dict[str, str]:
    """The development switch: clients that cannot sign (e.g. test tools) are accepted."""
    workdir.mkdir(parents=True, exist_ok=True)
    return {
        "PANNET_CDS_AUTH": "off",
        "PANNET_CDS_DATABASE_URL": f"sqlite:///{workdir / 'cds.sqlite3'}",
    }


def child_environment(settings: Mapping[str, str]) -> dict[str, str]:
    """The parent's environment without any PANNET_CDS_* of the user's, plus `settings`; this
    checkout first on the import path so the code under test is the code that runs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANNET_CDS_")}
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH", "")) if p
    )
    env["PYTHONUNBUFFERED"] = "1"
    env.update(settings)
    return env


class ServiceProcess:
    """`cds_service.cli serve` in a child process; a context manager, or start()/stop()."""

    def __init__(
        self,
        workdir: Path,
        settings: Mapping[str, str],
        *,
        startup_timeout: float = STARTUP_TIMEOUT_S,
    ) -> None:
        self.workdir = workdir
        self.settings = dict(settings)
        self.startup_timeout = startup_timeout
        self.log_path = workdir / "service.log"
        self._process: subprocess.Popen[bytes] | None = None
        self._base_url: str | None = None

    @property
    def base_url(self) -> str:
        if self._base_url is None:
            raise ServiceProcessError("service is not running")
        return self._base_url

    def url(self, path: str) -> str:
        return self.base_url + path

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self) -> ServiceProcess:
        if self._process is not None:
            raise ServiceProcessError("service already started")
        self.workdir.mkdir(parents=True, exist_ok=True)
        for _ in range(PORT_ATTEMPTS):
            if self._try_start(free_loopback_port()):
                return self
            if "address already in use" not in self.log_tail().lower():
                break
        raise ServiceProcessError(f"service exited at start-up; log tail:\n{self.log_tail()}")

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
            str(WORKERS),
        ]
        with self.log_path.open("ab") as log:
            # a file, not a pipe: an unread pipe fills up and blocks the server
            self._process = subprocess.Popen(
                command,
                cwd=self.workdir,
                env=child_environment(self.settings),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        base_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self._process = None
                return False
            if _healthy(base_url):
                self._base_url = base_url
                return True
            time.sleep(0.1)
        self.stop()
        raise ServiceProcessError(
            f"service did not answer {base_url}/healthz within {self.startup_timeout:.0f} s;"
            f" log tail:\n{self.log_tail()}"
        )

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

    def stop(self) -> int | None:
        """SIGTERM (gunicorn's graceful stop), then SIGKILL; returns the exit code."""
        process, self._process, self._base_url = self._process, None, None
        if process is None:
            return None
        if process.poll() is not None:
            return process.returncode
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            return process.wait(timeout=STOP_TIMEOUT_S)

    def __enter__(self) -> ServiceProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _healthy(base_url: str) -> bool:
    try:
        return requests.get(f"{base_url}/healthz", timeout=1.0).status_code == 200
    except requests.RequestException:
        return False


class SignedService:
    """A running service and the EHR identity it trusts: every call carries a fresh ES384 JWT
    whose `aud` is the exact URL called."""

    def __init__(self, process: ServiceProcess, issuer: JwtIssuer) -> None:
        self.process = process
        self.issuer = issuer
        self.http = requests.Session()

    @property
    def base_url(self) -> str:
        return self.process.base_url

    def url(self, path: str) -> str:
        return self.process.url(path)

    def stop(self) -> int | None:
        """Close our kept-alive connections first: gunicorn's graceful stop waits for them."""
        self.http.close()
        return self.process.stop()

    def token(self, path: str, **claims: object) -> str:
        return self.issuer.mint(aud=self.url(path), **claims)

    def post(
        self,
        path: str,
        body: object = None,
        *,
        data: bytes | None = None,
        token: str | None = None,
        sign: bool = True,
        timeout: float = 30.0,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        if sign:
            all_headers["Authorization"] = f"Bearer {token or self.token(path)}"
        payload = data if data is not None else json.dumps(body).encode()
        return self.http.post(self.url(path), data=payload, headers=all_headers, timeout=timeout)
