"""`./dev demo` (`python -m cds_service.demo`): everything a first look at the cards and the SMART
app needs, on this machine only (127.0.0.1):

1. a FHIR R4 server (sekmet-fhir, a plain store with a fresh data directory);
2. a local test EHR: an OAuth 2 authorization server for the SMART app, an EHR chart page that
   frames it, and a FHIR endpoint that checks its tokens in front of the FHIR server;
3. the demo patients, loaded with `pannet-cds sandbox load`;
4. the service (`pannet-cds serve`, JWT verification off: a demo has no EHR keys).

It then prints the SMART launch URLs and the CDS discovery URL; Ctrl-C (or SIGTERM) stops
everything it started. Step lines go to stderr, the URLs to stdout.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO
from urllib.parse import urlencode

from cds_service.demo.ehr import LoopbackEhr
from cds_service.demo.ehr_openid import OpenIdEhr
from cds_service.demo.fhir_server import FhirServerError, FhirServerProcess
from cds_service.demo.loopback import (
    DEFAULT_STARTUP_TIMEOUT_S,
    LOOPBACK,
    read_log,
    spawn_logged,
    stop_process,
    url_answers,
    wait_until_ready,
)
from cds_service.sandbox.patients import DemoPatient, demo_patients

DEMO_CLIENT_ID = "pannet-cds-demo"
STOP_TIMEOUT_S = 15.0
_LOG_TAIL_CHARS = 3000


class DemoError(RuntimeError):
    """A demo component did not start; the message says which and why."""


@dataclass(frozen=True)
class PatientLaunch:
    patient: DemoPatient
    launch_url: str  # the service's SMART launch URL for this patient (EHR launch)
    ehr_page_url: str  # the test EHR's chart page framing that launch


@dataclass(frozen=True)
class DemoUrls:
    service: str
    discovery: str
    standalone_launch: str
    fhir_base: str
    ehr_fhir_base: str
    launches: list[PatientLaunch]
    framed: bool


class Demo:
    """The running demo; start() brings everything up in order, stop() takes it down."""

    def __init__(
        self,
        workdir: Path,
        *,
        port: int,
        startup_timeout: float = DEFAULT_STARTUP_TIMEOUT_S,
        framed: bool = False,
        steps: TextIO = sys.stderr,
    ) -> None:
        self.workdir = workdir
        self.port = port
        self.framed = framed
        self.startup_timeout = startup_timeout
        self.steps = steps
        self.fhir: FhirServerProcess | None = None
        self.ehr: LoopbackEhr | None = None
        self.service: subprocess.Popen[bytes] | None = None
        self.service_log = workdir / "service.log"

    @property
    def service_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def step(self, text: str) -> None:
        print(f"demo: {text}", file=self.steps, flush=True)

    def start(self) -> DemoUrls:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.step("starting the FHIR server (sekmet-fhir, fresh data directory)")
        self.fhir = FhirServerProcess(
            self.workdir / "fhir", startup_timeout=self.startup_timeout
        ).start()
        self.step(f"FHIR server at {self.fhir.base_url}")
        self.step("starting the test EHR (authorization server and chart page)")
        ehr = LoopbackEhr(self.fhir.base_url)
        OpenIdEhr(ehr)  # its id_tokens tell the app who is signed in
        self.ehr = ehr.__enter__()
        patients = demo_patients()
        self.ehr.state.standalone_patient = patients[0].patient_id
        self.step(f"test EHR at {self.ehr.root} (FHIR base for the app: {self.ehr.iss})")
        self._load_patients(self.fhir.base_url)
        self._start_service()
        self.ehr.register_client(DEMO_CLIENT_ID, f"{self.service_url}/smart/callback")
        return DemoUrls(
            service=self.service_url,
            discovery=f"{self.service_url}/cds-services",
            standalone_launch=f"{self.service_url}/smart/",
            fhir_base=self.fhir.base_url,
            ehr_fhir_base=self.ehr.iss,
            launches=[self._launch(p) for p in patients],
            framed=self.framed,
        )

    def _load_patients(self, fhir_base: str) -> None:
        command = [sys.executable, "-m", "cds_service.cli", "sandbox", "load"]
        command += ["--fhir-server", fhir_base]
        self.step(f"loading the demo patients: pannet-cds sandbox load --fhir-server {fhir_base}")
        try:
            result = subprocess.run(
                command, capture_output=True, text=True, timeout=self.startup_timeout
            )
        except subprocess.TimeoutExpired:
            raise DemoError(f"sandbox load took over {self.startup_timeout:.0f} s") from None
        if result.returncode != 0:
            raise DemoError(f"sandbox load failed: {result.stderr.strip() or result.stdout}")
        for line in result.stdout.splitlines():
            self.step(f"  {line}")

    def _start_service(self) -> None:
        assert self.ehr is not None
        self.step(f"starting the service on {self.service_url} (log: {self.service_log})")
        command = [sys.executable, "-m", "cds_service.cli", "serve", "--host", LOOPBACK]
        command += ["--port", str(self.port), "--workers", "1"]
        self.service = spawn_logged(
            command, cwd=self.workdir, env=self._service_env(), log_path=self.service_log
        )
        ready = wait_until_ready(
            self.service, lambda: url_answers(f"{self.service_url}/healthz"), self.startup_timeout
        )
        if not ready:
            why = "exited" if ready is False else f"did not answer in {self.startup_timeout:.0f} s"
            tail = read_log(self.service_log, _LOG_TAIL_CHARS, "(no service log)")
            raise DemoError(f"the service {why}; log tail:\n{tail}")

    def _service_env(self) -> dict[str, str]:
        assert self.ehr is not None
        env = {k: v for k, v in os.environ.items() if not k.startswith("PANNET_CDS_")}
        env.update(
            {
                # a demo has no EHR keys: CDS calls are not JWT-checked (logged as a warning)
                "PANNET_CDS_AUTH": "off",
                "PANNET_CDS_BASE_URL": self.service_url,
                "PANNET_CDS_DATABASE_URL": f"sqlite:///{self.workdir / 'cds.sqlite3'}",
                "PANNET_CDS_SMART_ISSUERS": json.dumps(
                    {self.ehr.iss: {"client_id": DEMO_CLIENT_ID}}
                ),
                "PANNET_CDS_LOG_FORMAT": "text",
                "PYTHONUNBUFFERED": "1",
            }
        )
        if self.framed:
            # the EHR chart page (localhost) frames the app (127.0.0.1): cross-site, as in a
            # hospital; the app's cookie is then `Secure; SameSite=None; Partitioned`, which
            # browsers accept on http only for loopback (Chromium, Firefox)
            env["PANNET_CDS_SMART_FRAME_ANCESTORS"] = f"'self' http://localhost:{self.ehr.port}"
        return env

    def _launch(self, patient: DemoPatient) -> PatientLaunch:
        assert self.ehr is not None
        launch = self.ehr.new_launch(patient.patient_id)
        app = f"{self.service_url}/smart/launch"
        return PatientLaunch(
            patient=patient,
            launch_url=f"{app}?{urlencode({'iss': self.ehr.iss, 'launch': launch})}",
            ehr_page_url=self.ehr.ehr_page_url(launch, app),
        )

    def running(self) -> bool:
        return self.service is not None and self.service.poll() is None

    def stop(self) -> None:
        """The service first (it may be mid-call to the EHR or the FHIR server), then the rest."""
        service, self.service = self.service, None
        if service is not None:
            stop_process(service, STOP_TIMEOUT_S)
        ehr, self.ehr = self.ehr, None
        if ehr is not None:
            ehr.__exit__(None, None, None)
        fhir, self.fhir = self.fhir, None
        if fhir is not None:
            fhir.stop()


def print_urls(urls: DemoUrls, out: TextIO = sys.stdout) -> None:
    first = urls.launches[0]
    lines = [
        "",
        "pannet-cds demo is running on this machine (Ctrl-C stops everything):",
        f"  SMART launch: {first.launch_url}",
        f"    (patient {first.patient.patient_id}; the EHR asks you to allow access)",
        (
            f"  EHR chart page framing the app: {first.ehr_page_url}"
            if urls.framed
            else "  (./dev demo --framed: the app inside the test EHR's chart page instead)"
        ),
        f"  Standalone launch: {urls.standalone_launch}",
        f"  CDS discovery: {urls.discovery}",
        f"  FHIR server (open, no token): {urls.fhir_base}",
        "  A CDS call for every demo patient, as an EHR makes it:",
        f"    {_command()} sandbox check --fhir-server {urls.fhir_base} --service {urls.service}",
        "  SMART launch of each demo patient:",
        *(f"    {launch.patient.patient_id}: {launch.launch_url}" for launch in urls.launches),
        "",
    ]
    print("\n".join(lines), file=out, flush=True)


def _command() -> str:
    """`pannet-cds` as the user can run it: the virtual environment's script when it is not on
    PATH (a newcomer has not activated .venv)."""
    script = Path(sys.executable).parent / "pannet-cds"
    on_path = shutil.which("pannet-cds")
    if on_path and Path(on_path).resolve() == script.resolve():
        return "pannet-cds"
    return str(script) if script.exists() else "pannet-cds"


def _stop_on_sigterm(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def run(workdir: Path | None, port: int, startup_timeout: float, framed: bool = False) -> int:
    # SIGTERM (CI, `kill`) takes the same path as Ctrl-C: stop what was started, in order
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    signal.signal(signal.SIGHUP, _stop_on_sigterm)
    temporary = workdir is None
    folder = workdir or Path(tempfile.mkdtemp(prefix="pannet-cds-demo-"))
    demo = Demo(folder, port=port, startup_timeout=startup_timeout, framed=framed)
    code = 0
    try:
        print_urls(demo.start())
        while demo.running():
            time.sleep(0.5)
        tail = read_log(demo.service_log, _LOG_TAIL_CHARS, "(no service log)")
        demo.step(f"the service stopped unexpectedly; log tail:\n{tail}")
        code = 1
    except KeyboardInterrupt:
        demo.step("stopping")
    except (DemoError, FhirServerError) as exc:
        demo.step(str(exc))
        code = 1
    finally:
        demo.stop()
        if temporary:
            shutil.rmtree(folder, ignore_errors=True)
    demo.step("stopped")
    return code
