"""A real FHIR R4 server (sekmet-fhir) run as a subprocess on loopback, for `./dev demo` and the
end-to-end tests: a plain store (its simulator off), inbound validation that warns, a fresh data
directory.

sekmet-fhir reads a settings YAML (`sekmet serve -c settings.yaml`, model `sekmet.config.Settings`);
its FHIR base is `{root}/fhir` and it announces itself by answering `GET {base}/metadata`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from cds_service.demo.loopback import (
    DEFAULT_STARTUP_TIMEOUT_S,
    StartStop,
    read_log,
    spawn_logged,
    start_on_free_port,
    stop_process,
    url_answers,
    wait_until_ready,
)

STOP_TIMEOUT_S = 10.0
_LOG_TAIL_CHARS = 3000


class FhirServerError(RuntimeError):
    """The FHIR server could not be started or reached."""


@dataclass(frozen=True)
class FhirEndpoint:
    """A FHIR server the tests talk to, started by us or given by the user."""

    base_url: str


def metadata_answers(base_url: str, timeout: float = 2.0) -> bool:
    return url_answers(
        f"{base_url}/metadata", headers={"Accept": "application/fhir+json"}, timeout=timeout
    )


def wait_for_metadata(base_url: str, timeout: float) -> None:
    """For a server we did not start (PANNET_CDS_TEST_FHIR_URL): bounded wait, clear failure."""
    deadline = time.monotonic() + timeout
    while not metadata_answers(base_url):
        if time.monotonic() > deadline:
            raise FhirServerError(f"FHIR server at {base_url} did not answer GET /metadata")
        time.sleep(0.5)


def sekmet_settings(workdir: Path, port: int, inbound_validation: str) -> dict[str, object]:
    return {
        "base_url": f"http://127.0.0.1:{port}/fhir",
        "host": "127.0.0.1",
        "port": port,
        "data_dir": str(workdir / "data"),
        # the simulator answers orders with fake results; tests need a plain store
        "simulator": {"enabled": False},
        "validation": {"inbound": inbound_validation},
        # the traffic log would copy every request body (patient data) into the database
        "log_inbound": False,
        "own_private_key_path": str(workdir / "keys" / "sekmet_private.pem"),
    }


class FhirServerProcess(StartStop):
    """sekmet-fhir in a child process; use as a context manager or call start()/stop()."""

    def __init__(
        self,
        workdir: Path,
        *,
        inbound_validation: str = "warn",
        startup_timeout: float = DEFAULT_STARTUP_TIMEOUT_S,
        extra_settings: dict[str, object] | None = None,
    ) -> None:
        self.workdir = workdir
        self.extra_settings = dict(extra_settings or {})  # e.g. server_auth for the auth tests
        self.inbound_validation = inbound_validation
        self.startup_timeout = startup_timeout
        self.log_path = workdir / "sekmet.log"
        self._process: subprocess.Popen[bytes] | None = None
        self._base_url: str | None = None

    @property
    def base_url(self) -> str:
        if self._base_url is None:
            raise FhirServerError("FHIR server is not running")
        return self._base_url

    @property
    def endpoint(self) -> FhirEndpoint:
        return FhirEndpoint(self.base_url)

    def start(self) -> FhirServerProcess:
        if self._process is not None:
            raise FhirServerError("FHIR server already started")
        self.workdir.mkdir(parents=True, exist_ok=True)
        if start_on_free_port(self._try_start, self.log_tail):
            return self
        raise FhirServerError(
            f"sekmet-fhir exited at start-up; server log tail:\n{self.log_tail()}"
        )

    def _try_start(self, port: int) -> bool:
        config = self.workdir / "settings.yaml"
        config.write_text(
            yaml.safe_dump(
                sekmet_settings(self.workdir, port, self.inbound_validation) | self.extra_settings
            )
        )
        # SEKMET_* variables override the settings file; the user's own must not leak in
        env = {k: v for k, v in os.environ.items() if not k.startswith("SEKMET_")}
        self._process = spawn_logged(
            [sys.executable, "-m", "sekmet.cli", "serve", "-c", str(config)],
            cwd=self.workdir,
            env=env,
            log_path=self.log_path,
        )
        base_url = f"http://127.0.0.1:{port}/fhir"
        ready = wait_until_ready(
            self._process, lambda: metadata_answers(base_url, timeout=1.0), self.startup_timeout
        )
        if ready:
            self._base_url = base_url
            return True
        if ready is False:
            self._process = None
            return False
        self.stop()
        raise FhirServerError(
            f"sekmet-fhir did not answer {base_url}/metadata within {self.startup_timeout:.0f} s;"
            f" server log tail:\n{self.log_tail()}"
        )

    def log_tail(self) -> str:
        return read_log(self.log_path, _LOG_TAIL_CHARS, "(no server log)")

    def stop(self) -> None:
        process, self._process, self._base_url = self._process, None, None
        if process is not None:
            stop_process(process, STOP_TIMEOUT_S)
