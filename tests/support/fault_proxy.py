"""A fault-injecting HTTP proxy on loopback in front of a real FHIR server.

    proxy = FaultProxy("http://127.0.0.1:8123/fhir").start()
    proxy.base_url                        # give this to the CDS service as fhirServer
    proxy.fault = Fault("500")            # every request; Fault("500", only="search") for searches
    proxy.fault = None                    # healthy again
    proxy.injected                        # how many faults were injected, by kind

Kinds: delay (answer after `seconds`), 500, reset (TCP RST, no answer), truncated (JSON cut in
half), html (an HTML page with 200), loop (a search Bundle whose next link is itself), endless
(a search Bundle whose next link always points to one more page).
"""

from __future__ import annotations

import json
import socket
import struct
import threading
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Literal

import requests

from tests.support.loopback import BackgroundServer, serve_http

Kind = Literal["delay", "500", "reset", "truncated", "html", "loop", "endless"]
KINDS: tuple[Kind, ...] = ("delay", "500", "reset", "truncated", "html", "loop", "endless")


@dataclass(frozen=True)
class Fault:
    kind: Kind
    only: str = "all"  # "all", "search", "read", or a resource type ("Observation")
    seconds: float = 5.0

    def applies(self, path: str) -> bool:
        if self.only in ("all", "search", "read"):
            is_search = "?" in path
            return self.only == "all" or (self.only == "search") == is_search
        return path.startswith(f"/{self.only}?") or path.startswith(f"/{self.only}/")


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.fault: Fault | None = None
        self.injected: Counter[str] = Counter()
        self.requests = 0
        self._release = threading.Event()
        self._server: BackgroundServer | None = None
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() first"
        return f"{self._server.url}/fhir"

    def start(self) -> FaultProxy:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                proxy._handle(self)

            def log_message(self, *args: object) -> None:
                pass

        self._server = serve_http(Handler)
        return self

    def stop(self) -> None:
        self._release.set()
        if self._server is not None:
            self._server.stop()

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path.removeprefix("/fhir")
        fault = self.fault
        with self._lock:
            self.requests += 1
            if fault is not None and fault.applies(path):
                self.injected[fault.kind] += 1
        if fault is None or not fault.applies(path):
            self._forward(handler, path)
            return
        if fault.kind == "delay":
            self._release.wait(fault.seconds)
            self._forward(handler, path)
        elif fault.kind == "500":
            _send(handler, 500, b'{"resourceType":"OperationOutcome"}', "application/fhir+json")
        elif fault.kind == "reset":
            # SO_LINGER 0: close() sends RST instead of FIN.
            handler.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
            handler.close_connection = True
            handler.connection.close()
        elif fault.kind == "truncated":
            status, body = self._upstream(path)
            _send(handler, status, body[: len(body) // 2], "application/fhir+json")
        elif fault.kind == "html":
            _send(handler, 200, b"<html><body>Maintenance</body></html>", "text/html")
        else:
            page = 0 if fault.kind == "loop" else _page(path) + 1
            sep = "&" if "?" in path else "?"
            target = (
                path if fault.kind == "loop" else f"{path.split('&_page=')[0]}{sep}_page={page}"
            )
            bundle = {
                "resourceType": "Bundle",
                "type": "searchset",
                "link": [{"relation": "next", "url": f"{self.base_url}{target}"}],
                "entry": [],
            }
            _send(handler, 200, json.dumps(bundle).encode(), "application/fhir+json")

    def _upstream(self, path: str) -> tuple[int, bytes]:
        response = requests.get(
            self.upstream + path, headers={"Accept": "application/fhir+json"}, timeout=30
        )
        # Next links must come back through the proxy.
        return response.status_code, response.content.replace(
            self.upstream.encode(), self.base_url.encode()
        )

    def _forward(self, handler: BaseHTTPRequestHandler, path: str) -> None:
        status, body = self._upstream(path)
        _send(handler, status, body, "application/fhir+json")


def _page(path: str) -> int:
    _, _, rest = path.partition("_page=")
    return int(rest) if rest.isdigit() else 0


def _send(handler: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str) -> None:
    try:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the service gave up on this request (its time budget ran out)
