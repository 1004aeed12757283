"""Plumbing shared by the servers the tests start on 127.0.0.1: a free port, a child process that
logs to a file, waiting until it answers, stopping it, and in-process HTTP servers in a thread.

    process = spawn_logged(command, cwd=workdir, env=env, log_path=log)
    ready = wait_until_ready(process, lambda: url_answers(f"{base}/healthz"), timeout=60)
    stop_process(process, timeout=10)           # SIGTERM, then SIGKILL

    server = serve_wsgi(app)                     # or serve_http(HandlerClass)
    server.url                                   # http://127.0.0.1:<port>
    server.stop()
"""

from __future__ import annotations

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
    new_session: bool = False,
) -> subprocess.Popen[bytes]:
    """The child's stdout and stderr go to `log_path`: a file, not a pipe, because an unread pipe
    fills up and blocks the server. `new_session`: its own process group, for `stop_process(...,
    group=True)` and `kill_group`."""
    with log_path.open("ab" if append else "wb") as log:
        return subprocess.Popen(
            list(command),
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=new_session,
        )


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
    process: subprocess.Popen[bytes], timeout: float, *, group: bool = False
) -> int | None:
    """SIGTERM (a graceful stop), then SIGKILL (to the whole process group if `group`) after
    `timeout` seconds; returns the exit code, or None if the process would not die."""
    if process.poll() is not None:
        return process.returncode
    process.terminate()
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        if group:
            kill_group(process)
        else:
            process.kill()
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        return None


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the child's process group (a child started with `new_session=True`)."""
    with contextlib.suppress(ProcessLookupError):
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
