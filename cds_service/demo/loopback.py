"""Plumbing shared by the local servers that `./dev demo` and the tests start on 127.0.0.1: a
free port, a child process that logs to a file, waiting until it answers, stopping it, and
in-process HTTP servers in a thread. Development and test use only: the service never imports it.

    process = spawn_logged(command, cwd=workdir, env=env, log_path=log)
    ready = wait_until_ready(process, lambda: url_answers(f"{base}/healthz"), timeout=180)
    stop_process(process, timeout=10)           # SIGTERM, then SIGKILL (its whole group)

Every child runs in its own process group and is remembered until it is stopped: when the parent
exits, or is stopped by SIGTERM / SIGHUP / Ctrl-C, the groups still running are killed, so no
server (a gunicorn master and its workers, sekmet-fhir) outlives the demo or the test run.

    server = serve_wsgi(app)                     # or serve_http(HandlerClass)
    server.url                                   # http://127.0.0.1:<port>
    server.stop()
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from socketserver import BaseServer
from typing import Any, Self

import requests
from werkzeug.serving import WSGIRequestHandler, make_server

LOOPBACK = "127.0.0.1"
# a loaded 2-core machine took 40-90 s to start the FHIR server
DEFAULT_STARTUP_TIMEOUT_S = 180.0
# a port picked as free can be taken before the child binds it; a few fresh ports settle that race
PORT_ATTEMPTS = 3


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def url_answers(
    url: str,
    *,
    timeout: float = 1.0,
    headers: Mapping[str, str] | None = None,
    accept: Callable[[int], bool] = lambda status: status == 200,
) -> bool:
    """Whether a GET of `url` gets an answer whose status `accept`s (any connection error: no)."""
    try:
        response = requests.get(url, headers=dict(headers or {}), timeout=timeout)
    except requests.RequestException:
        return False
    return accept(response.status_code)


def spawn_logged(
    command: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    log_path: Path,
    append: bool = False,
    new_session: bool = True,
) -> subprocess.Popen[bytes]:
    """The child's stdout and stderr go to `log_path`: a file, not a pipe, because an unread pipe
    fills up and blocks the server. The child leads its own process group (so `kill_group` and
    the clean-up at exit reach its children too) and is tracked until it is stopped.
    `new_session` is accepted from callers written before that; every child gets its group."""
    del new_session
    _install_cleanup()
    with log_path.open("ab" if append else "wb") as log:
        process = subprocess.Popen(
            list(command),
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    _running[process.pid] = process
    return process


# children started by spawn_logged and not yet stopped: pid (= process group id) -> process
_running: dict[int, subprocess.Popen[bytes]] = {}
_cleanup_installed = False


def kill_running_children() -> None:
    """SIGKILL the process group of every tracked child still running (at exit, on a signal)."""
    for pid, process in list(_running.items()):
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
        _running.pop(pid, None)


def _on_stop_signal(signum: int, _frame: object) -> None:
    kill_running_children()
    # then die of the same signal, as the process would have without this handler
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _install_cleanup() -> None:
    """Once per process: kill leftover children at exit and on SIGTERM / SIGHUP (unless the
    program handles those itself). Ctrl-C (SIGINT) stays a KeyboardInterrupt: pytest's teardown
    or the demo's stop runs, then the exit hook."""
    global _cleanup_installed
    if _cleanup_installed:
        return
    _cleanup_installed = True
    atexit.register(kill_running_children)
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGHUP):
            if signal.getsignal(signum) in (signal.SIG_DFL, None):
                signal.signal(signum, _on_stop_signal)


def wait_until_ready(
    process: subprocess.Popen[bytes],
    ready: Callable[[], bool],
    timeout: float,
    poll_s: float = 0.1,
) -> bool | None:
    """True once `ready()`; False if the process exited first; None if neither within
    `timeout` seconds (the caller stops the process and says what it waited for)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        if ready():
            return True
        time.sleep(poll_s)
    return None


def start_on_free_port(
    try_start: Callable[[int], bool], log_tail: Callable[[], str], first_port: int | None = None
) -> bool:
    """`try_start(port)` (on `first_port`, then on fresh ports) while the child exits only because
    its port was taken."""
    for attempt in range(PORT_ATTEMPTS):
        if try_start(first_port if first_port and attempt == 0 else free_loopback_port()):
            return True
        if "address already in use" not in log_tail().lower():
            break
    return False


def read_log(log_path: Path, tail_chars: int | None = None, missing: str = "") -> str:
    """The child's log, or its last `tail_chars` characters; `missing` if there is none."""
    try:
        text = log_path.read_text(errors="replace")
    except FileNotFoundError:
        return missing
    return text[-tail_chars:] if tail_chars else text


def stop_process(
    process: subprocess.Popen[bytes], timeout: float, *, group: bool = True
) -> int | None:
    """SIGTERM to the child (a graceful stop), then SIGKILL to its whole process group after
    `timeout` seconds; returns the exit code, or None if the process would not die. Whatever it
    left behind in its group (a worker that missed the stop) is killed too. (`group` is
    accepted from callers written before every child had its own group.)"""
    del group
    try:
        if process.poll() is not None:
            return process.returncode
        process.terminate()
        try:
            return process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_group(process)
        try:
            return process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
    finally:
        if process.poll() is not None:
            kill_group(process)
            _running.pop(process.pid, None)


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the child's process group (every spawn_logged child leads its own)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


class StartStop:
    """A context manager over the subclass's start() and stop()."""

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> object:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass  # request lines carry OAuth codes and launch ids


class BackgroundServer:
    """A started socketserver HTTP server, served from a daemon thread until stop()."""

    def __init__(self, server: BaseServer) -> None:
        self.server = server
        # held requests must not keep the test process alive at exit
        server.daemon_threads = True  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=lambda: server.serve_forever(poll_interval=0.05), daemon=True
        )
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def stop(self) -> None:
        """Closes the port: later requests get 'connection refused'."""
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=10)


def serve_wsgi(app: Any, *, port: int = 0, quiet: bool = False) -> BackgroundServer:
    """A threaded werkzeug server for a WSGI app; `quiet` keeps request lines out of the log."""
    handler = QuietHandler if quiet else None
    server = make_server(LOOPBACK, port, app, threaded=True, request_handler=handler)
    return BackgroundServer(server)


def serve_http(handler: type[BaseHTTPRequestHandler]) -> BackgroundServer:
    """A threaded http.server, for handlers that need the raw socket (e.g. to send a reset)."""
    return BackgroundServer(ThreadingHTTPServer((LOOPBACK, 0), handler))
