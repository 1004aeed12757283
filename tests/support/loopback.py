"""The loopback plumbing of the tests (children on 127.0.0.1, in-thread servers) lives in
`cds_service.demo.loopback`, which `./dev demo` uses too; this adds how long a test waits.

Waits for a child (start-up, a CLI run) use `process_timeout()`: 180 s by default (a loaded
2-core machine took 40-90 s to start the FHIR server; 60 s made CLI tests fail),
`PANNET_CDS_TEST_TIMEOUT_S` to change it.
"""

from __future__ import annotations

import os

from cds_service.demo.loopback import (
    DEFAULT_STARTUP_TIMEOUT_S,
    LOOPBACK,
    PORT_ATTEMPTS,
    BackgroundServer,
    QuietHandler,
    StartStop,
    free_loopback_port,
    kill_group,
    kill_running_children,
    read_log,
    serve_http,
    serve_wsgi,
    spawn_logged,
    start_on_free_port,
    stop_process,
    url_answers,
    wait_until_ready,
)

__all__ = [
    "LOOPBACK",
    "PORT_ATTEMPTS",
    "BackgroundServer",
    "QuietHandler",
    "StartStop",
    "free_loopback_port",
    "kill_group",
    "kill_running_children",
    "process_timeout",
    "read_log",
    "serve_http",
    "serve_wsgi",
    "spawn_logged",
    "start_on_free_port",
    "stop_process",
    "url_answers",
    "wait_until_ready",
]

PROCESS_TIMEOUT_ENV = "PANNET_CDS_TEST_TIMEOUT_S"


def process_timeout() -> float:
    """Seconds to wait for a child process to start or to finish: $PANNET_CDS_TEST_TIMEOUT_S,
    else 180 (generous: a test waits only as long as the child needs)."""
    text = os.environ.get(PROCESS_TIMEOUT_ENV, "").strip()
    if not text:
        return DEFAULT_STARTUP_TIMEOUT_S
    try:
        seconds = float(text)
    except ValueError:
        raise ValueError(f"{PROCESS_TIMEOUT_ENV}={text!r}: not a number of seconds") from None
    if not seconds > 0:
        raise ValueError(f"{PROCESS_TIMEOUT_ENV}={text!r}: must be > 0")
    return seconds
