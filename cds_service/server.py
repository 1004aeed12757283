"""`pannet-cds serve`: the application under gunicorn, a production WSGI server.

Sizing: one worker process per core (scoring is CPU-bound) with a few threads each (FHIR fetches
wait on I/O); `PANNET_CDS_WORKERS` / `PANNET_CDS_THREADS` override both, e.g. from a container's
CPU limit. Shutdown: on SIGTERM gunicorn stops accepting, lets in-flight calls finish for
`graceful_timeout` seconds, then exits — shorter than Kubernetes' termination grace period.

The app module is imported only inside `load()`, after `PROMETHEUS_MULTIPROC_DIR` is set: the
metrics library picks its multi-process mode when it is first imported (see
`cds_service.observability.metrics`).
"""

from __future__ import annotations

import gc
import os
import shutil
import tempfile
from datetime import date
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication
from gunicorn.config import Config
from gunicorn.glogging import Logger

from cds_service.observability.logs import gunicorn_logconfig
from cds_service.observability.warning_log import route_warnings_to_log
from cds_service.settings import ConfigurationError, Settings

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
DEFAULT_THREADS = 8
_TEMP_PREFIX = "pannet-cds-metrics-"
# Young-generation collections every 10,000 net allocations instead of 700: a hook call holds
# a few thousand objects at its peak (the request's JSON, the FHIR models, the card) and frees
# them when it ends, so at 700 it triggered about one collection per call, each walking every
# young object of every call in flight, and nearly none of it was garbage. Cyclic garbage
# waits a little longer: at most ~10,000 objects, a few MB.
GC_THRESHOLDS = (10_000, 10, 10)


def default_workers() -> int:
    # Scoring is CPU-bound and fast; FHIR fetches wait on I/O, which the threads cover.
    return max(1, os.cpu_count() or 1)


def _positive_env(name: str) -> int | None:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigurationError(f"{name} must be a whole number of at least 1")
    return int(raw)


def prepare_metrics_dir() -> str:
    """The directory gunicorn workers share metric samples through; created (and emptied of a
    previous run's files) when `PROMETHEUS_MULTIPROC_DIR` is not set."""
    path = os.environ.get(MULTIPROC_ENV)
    if not path:
        path = tempfile.mkdtemp(prefix=_TEMP_PREFIX)
        os.environ[MULTIPROC_ENV] = path
    os.makedirs(path, exist_ok=True)
    # Files of an earlier run would add old counts to the new ones.
    for name in os.listdir(path):
        if name.endswith(".db"):
            os.unlink(os.path.join(path, name))
    return path


def warm_up() -> None:
    """Score each shipped demo patient and build its draft orders once. The FHIR model classes
    load lazily; without this the first calls a fresh worker serves take ~0.5 s instead of
    ~15 ms. The report-text pipeline (medspaCy) is built too: ~1.5 s once per worker rather than
    on the first sign-off call with report text. Pure: nothing is written anywhere."""
    from cds_service.sandbox.patients import demo_patients
    from cds_service.scoring_pipeline import assess_payload
    from cds_service.suggested_orders import suggested_orders
    from fhir_mappers import report_text

    report_text.warm_up()

    for patient in demo_patients():
        assessment = assess_payload(patient.bundle, today=date.today())
        suggested_orders(assessment, patient.patient_id)


def settle_worker() -> None:
    """After a worker loaded its app and warmed up: everything alive now (modules, the FHIR
    model classes, the report-text pipeline, ~200,000 tracked objects) lives as long as the
    worker, so it is moved out of the collector's sight (`gc.freeze`): a full collection walked
    all of it again (~0.1-0.4 s every few hundred calls). Then `GC_THRESHOLDS`."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def _post_worker_init(_worker: Any) -> None:
    # Runs in each worker after the app is loaded and before it accepts connections.
    route_warnings_to_log()
    warm_up()
    settle_worker()


class QuietAccessLogger(Logger):
    """gunicorn's logger, with its access log on only when one is configured (`accesslog`, or
    syslog). gunicorn turns it on whenever a `logconfig_dict` is given, and ours (for the JSON
    format of its error log) configures no access logger: each request's access line, with its
    dict of every header, was built and handed to a logger that writes it nowhere."""

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        cfg = self.cfg
        if cfg.accesslog or (cfg.syslog and not cfg.disable_redirect_access_to_syslog):
            super().access(resp, req, environ, request_time)


def _child_exit(_server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict[str, object], settings: Settings) -> None:
        self.options = options
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        from cds_service.app import create_app

        return create_app(self.settings)


def server_options(
    settings: Settings, *, host: str, port: int, workers: int | None
) -> dict[str, object]:
    options: dict[str, object] = {
        "bind": f"{host}:{port}",
        "workers": workers or _positive_env("PANNET_CDS_WORKERS") or default_workers(),
        "worker_class": "gthread",
        "threads": _positive_env("PANNET_CDS_THREADS") or DEFAULT_THREADS,
        "timeout": 30,
        "graceful_timeout": 20,
        "keepalive": 5,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "info",
        "logconfig_dict": gunicorn_logconfig(settings.log_format),
        "logger_class": QuietAccessLogger,
        # Each worker builds its own app (engine, JWKS cache, HTTP session) after the fork.
        "preload_app": False,
        "child_exit": _child_exit,
        "post_worker_init": _post_worker_init,
        # No peer may set the scheme through X-Forwarded-Proto (gunicorn's default trusts
        # loopback, or whatever FORWARDED_ALLOW_IPS says): the public URL, for the JWT aud and
        # for links, comes from PANNET_CDS_BASE_URL only.
        "forwarded_allow_ips": "",
        # Heartbeat files in RAM: a slow disk must not get healthy workers killed.
        "worker_tmp_dir": "/dev/shm" if os.path.isdir("/dev/shm") else None,
    }
    if "control_socket_disable" in Config().settings:
        # gunicorn >= 25.1 opens a control socket at $XDG_RUNTIME_DIR/gunicorn.ctl or
        # ~/.gunicorn/gunicorn.ctl: one path for every instance of the user, so a second service
        # takes it over and the first one's shutdown deletes it. Nothing here uses it.
        options["control_socket_disable"] = True
    return options


def run_server(settings: Settings, *, host: str, port: int, workers: int | None) -> None:
    path = prepare_metrics_dir()
    master = os.getpid()
    try:
        _Gunicorn(server_options(settings, host=host, port=port, workers=workers), settings).run()
    finally:
        # gunicorn forks the workers inside run(): a worker that stops (SIGTERM, max requests)
        # leaves by SystemExit through this frame too, and must not delete the directory the
        # other workers and its replacement still write their samples to (every request of
        # theirs would then fail with a 500).
        if os.getpid() == master and os.path.basename(path).startswith(_TEMP_PREFIX):
            shutil.rmtree(path, ignore_errors=True)
