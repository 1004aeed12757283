"""A pannet-cds server (or the work floor) with one gunicorn worker, for the benches that look
inside that worker (`server_callgrind`, `server_pyspy`): started with JWT verification on and a
fresh database, waited for, and stopped afterwards."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.run import SERVICE_PATH, bodies, database, signed_env, tokens_for
from tests.support.jwt_issuer import JwtIssuer
from tests.support.loopback import free_loopback_port, url_answers

Call = tuple[str, bytes, dict[str, str]]


@dataclass(frozen=True)
class OneWorker:
    base: str  # http://127.0.0.1:PORT
    port: int
    process: subprocess.Popen[bytes]  # the gunicorn master (or what wraps it)
    issuer: JwtIssuer
    work: Path  # the run's temporary directory (server.log, the JWKS, any output)

    def signed_calls(self, count: int) -> Callable[[int], Call]:
        """Call n: the demo patients' patient-view calls with full prefetch, round-robin, each
        with its own fresh token (n < count)."""
        tokens = tokens_for(self.issuer, f"{self.base}{SERVICE_PATH}", count)
        payloads = bodies(None)

        def make(n: int) -> Call:
            headers = {"Content-Type": "application/json", "Authorization": f"Bearer {tokens[n]}"}
            return SERVICE_PATH, payloads[n % len(payloads)], headers

        return make


@contextmanager
def one_worker_server(
    *,
    root: Path,
    floor: bool,
    database_kind: str,
    label: str,
    wrapper: Callable[[Path], Sequence[str]] = lambda _work: (),
    start_timeout_s: float = 900,
) -> Iterator[OneWorker]:
    """`wrapper(work)`: what the server's command line starts with (e.g. valgrind and its
    options), before this interpreter."""
    work = Path(tempfile.mkdtemp(prefix=f"pannet-{label}-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PANNET_CDS_", "PROMETHEUS"))}
    env["PYTHONPATH"] = str(root)
    issuer = JwtIssuer()
    jwks = issuer.write_jwks(work / "jwks.json")
    with database(database_kind, work, label) as url:
        port = free_loopback_port()
        app = (
            ["-m", "bench.work_floor_app", str(port), "1"]
            if floor
            else ["-m", "cds_service.cli", "serve", "--port", str(port), "--workers", "1"]
        )
        with (work / "server.log").open("w") as log:
            process = subprocess.Popen(
                [*wrapper(work), sys.executable, *app],
                env=signed_env(env, issuer, jwks, url, port),
                cwd=root,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + start_timeout_s
            while not url_answers(base + "/healthz", accept=lambda status: status < 500):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit((work / "server.log").read_text()[-3000:])
                time.sleep(0.5)
            yield OneWorker(base, port, process, issuer, work)
        finally:
            process.terminate()
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
