"""The CDS service as production runs it: `python -m cds_service.cli serve` (gunicorn) in a child
process on loopback, configured only through its environment.

    issuer = JwtIssuer()
    env = signed_service_env(issuer, workdir)          # JWKS file + SQLite file in workdir
    with ServiceProcess(workdir, env, workers=2) as service:
        requests.get(service.url("/healthz"))
        service.log_tail()                             # for assertion messages
        service.kill9()      # SIGKILL to gunicorn's master and every worker, as a crash would
        service.start()      # same port and working directory, so the same SQLite database

The child runs this checkout's code (first on PYTHONPATH), in its own process group. The
service ignores proxy variables (its outbound sessions do not trust the environment); what keeps
a fuzzed fhirServer from leaving the machine is the `fhirServer` allowlist of
`signed_service_env` (loopback only; any other host is refused before a DNS lookup). The dead
proxy in the child's environment stays for any other HTTP client the child may start.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from subprocess import Popen

import requests

from tests.support.jwt_issuer import JwtIssuer
from tests.support.loopback import (
    StartStop,
    kill_group,
    process_timeout,
    read_log,
    spawn_logged,
    start_on_free_port,
    stop_process,
    url_answers,
    wait_until_ready,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_S = process_timeout()  # 180 s unless PANNET_CDS_TEST_TIMEOUT_S says otherwise
STOP_TIMEOUT_S = 15.0
WORKERS = 2
_LOG_TAIL_CHARS = 4000
DEAD_PROXY = "http://127.0.0.1:9"  # the discard port: nothing listens there
DATABASE_URL = "PANNET_CDS_DATABASE_URL"
# Every test FHIR server runs on loopback, on a port chosen at start: the allowlist names that
# host with any port, and as the list for every caller ("*") it also means that no other host a
# fuzzed fhirServer names is ever contacted (or even looked up in DNS).
LOOPBACK_FHIR_SERVERS = json.dumps({"*": ["http://127.0.0.1:*"]})


class ServiceProcessError(RuntimeError):
    """The service process could not be started, or stopped answering."""


def sqlite_url(workdir: Path) -> str:
    return f"sqlite:///{workdir / 'cds.sqlite3'}"


def signed_service_env(issuer: JwtIssuer, workdir: Path) -> dict[str, str]:
    """Authentication on, trusting `issuer` through a JWKS file; a fresh SQLite database; FHIR
    servers on loopback allowed; the public base URL is the loopback address the service is
    started on (set by `ServiceProcess`)."""
    workdir.mkdir(parents=True, exist_ok=True)
    jwks = issuer.write_jwks(workdir / "jwks.json")
    return {
        "PANNET_CDS_TRUSTED_ISSUERS": json.dumps({issuer.iss: str(jwks)}),
        "PANNET_CDS_FHIR_SERVERS": LOOPBACK_FHIR_SERVERS,
        DATABASE_URL: sqlite_url(workdir),
    }


def unsigned_service_env(workdir: Path) -> dict[str, str]:
    """The development switch: clients that cannot sign (e.g. test tools) are accepted."""
    workdir.mkdir(parents=True, exist_ok=True)
    return {"PANNET_CDS_AUTH": "off", DATABASE_URL: sqlite_url(workdir)}


def child_environment(settings: Mapping[str, str]) -> dict[str, str]:
    """The parent's environment without any PANNET_CDS_* or proxy setting of the user's, plus the
    dead proxy and `settings`; this checkout first on the import path so the code under test is
    the code that runs."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PANNET_CDS_") and not k.lower().endswith("_proxy")
    }
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH", "")) if p
    )
    env["PYTHONUNBUFFERED"] = "1"
    # requests honours these: only loopback is reached directly, anything else hits a closed port
    env.update(
        HTTP_PROXY=DEAD_PROXY,
        HTTPS_PROXY=DEAD_PROXY,
        ALL_PROXY=DEAD_PROXY,
        NO_PROXY="127.0.0.1,localhost,::1",
    )
    env.update(settings)
    return env


class ServiceProcess(StartStop):
    """`cds_service.cli serve` in a child process; a context manager, or start()/stop().

    `database_url` (default: `settings`' own, else a SQLite file in `workdir`) is given to the
    child as PANNET_CDS_DATABASE_URL."""

    def __init__(
        self,
        workdir: Path,
        settings: Mapping[str, str] | None = None,
        *,
        workers: int = WORKERS,
        database_url: str | None = None,
        startup_timeout: float = STARTUP_TIMEOUT_S,
    ) -> None:
        self.workdir = workdir
        self.settings = dict(settings or {})
        self.settings[DATABASE_URL] = (
            database_url or self.settings.get(DATABASE_URL) or sqlite_url(workdir)
        )
        self.workers = workers
        self.startup_timeout = startup_timeout
        self.log_path = workdir / "service.log"
        self.port: int | None = None
        self._process: Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        if self.port is None:
            raise ServiceProcessError("service is not running")
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    @property
    def pid(self) -> int:
        """gunicorn's master."""
        if self._process is None:
            raise ServiceProcessError("service is not running")
        return self._process.pid

    def worker_pids(self) -> list[int]:
        """gunicorn's worker processes (children of the master)."""
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        return [int(p) for p in children.read_text().split()] if children.exists() else []

    def start(self) -> ServiceProcess:
        """On the port of the last run if there was one (a restart), else on a free one."""
        if self._process is not None:
            raise ServiceProcessError("service already started")
        self.workdir.mkdir(parents=True, exist_ok=True)
        if start_on_free_port(self._try_start, self.log_tail, first_port=self.port):
            return self
        raise ServiceProcessError(f"service exited at start-up; log tail:\n{self.log_tail()}")

    def _try_start(self, port: int) -> bool:
        command = [sys.executable, "-m", "cds_service.cli", "serve", "--host", "127.0.0.1"]
        command += ["--port", str(port), "--workers", str(self.workers)]
        settings = dict(self.settings)
        if settings.get("PANNET_CDS_AUTH") != "off":
            # With authentication on the service needs its public URL (the JWT aud): here the
            # loopback address and port it is started on.
            settings.setdefault("PANNET_CDS_BASE_URL", f"http://127.0.0.1:{port}")
        self._process = spawn_logged(
            command,
            cwd=self.workdir,
            env=child_environment(settings),
            log_path=self.log_path,
            append=True,
            new_session=True,  # one process group: kill9() reaches every worker
        )
        self.port = port
        ready = wait_until_ready(
            self._process, lambda: url_answers(self.url("/healthz")), self.startup_timeout
        )
        if ready:
            return True
        if ready is False:
            self._process = self.port = None
            return False
        self.stop()
        raise ServiceProcessError(
            f"service did not answer {self.base_url}/healthz within {self.startup_timeout:.0f} s;"
            f" log tail:\n{self.log_tail()}"
        )

    def log_tail(self) -> str:
        return read_log(self.log_path, _LOG_TAIL_CHARS, "(no service log)")

    def log_text(self) -> str:
        return read_log(self.log_path)

    def kill9(self) -> None:
        """SIGKILL the master and all workers at once: no shutdown code runs."""
        process, self._process = self._process, None
        if process is not None:
            kill_group(process)
            process.wait(timeout=STOP_TIMEOUT_S)

    def stop(self) -> int | None:
        """SIGTERM (gunicorn's graceful stop), then SIGKILL; returns the exit code."""
        process, self._process = self._process, None
        return stop_process(process, STOP_TIMEOUT_S, group=True) if process else None


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
