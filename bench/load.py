"""A closed-loop load generator: `concurrency` threads, each on its own keep-alive connection,
sending the next prepared request as soon as the previous answer arrived. Bounded in time and
in count; loopback only."""

from __future__ import annotations

import http.client
import socket
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from bench.cpu import tree_cpu_seconds

# (path, body bytes, headers) for the request number n
RequestFactory = Callable[[int], tuple[str, bytes, dict[str, str]]]


@dataclass(frozen=True)
class LevelResult:
    concurrency: int
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]
    # CPU seconds the server's processes used during the measured calls (None: not sampled)
    server_cpu_s: float | None = None

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
        return ordered[index]

    @property
    def cpu_ms_per_call(self) -> float | None:
        if self.server_cpu_s is None or not self.requests:
            return None
        return 1000 * self.server_cpu_s / (self.requests + self.errors)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.latencies_ms) if self.latencies_ms else float("nan")


def _connect(host: str, port: int | None) -> http.client.HTTPConnection:
    # As urllib3 and other HTTP client libraries do: without TCP_NODELAY, http.client's separate
    # writes of headers and body meet the server's delayed ACK and stall each call by ~40 ms.
    conn = http.client.HTTPConnection(host, port, timeout=30)
    conn.connect()
    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return conn


def run_level(
    base_url: str,
    make_request: RequestFactory,
    *,
    concurrency: int,
    duration_s: float,
    max_requests: int,
    warmup: int = 20,
    server_pid: int | None = None,
) -> LevelResult:
    parts = urlsplit(base_url)
    if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError("benchmarks send traffic to loopback only")
    counter = iter(range(10**9))
    lock = threading.Lock()
    latencies: list[float] = []
    errors = [0]
    stop_at = [0.0]

    def next_index() -> int | None:
        with lock:
            n = next(counter)
        return n if n < max_requests + warmup else None

    def worker(measure: threading.Event) -> None:
        conn = _connect(parts.hostname, parts.port)
        mine: list[float] = []
        while True:
            n = next_index()
            if n is None or (measure.is_set() and time.perf_counter() > stop_at[0]):
                break
            path, body, headers = make_request(n)
            start = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = _connect(parts.hostname, parts.port)
                ok = False
            elapsed = (time.perf_counter() - start) * 1000
            if n >= warmup:
                if ok:
                    mine.append(elapsed)
                else:
                    with lock:
                        errors[0] += 1
        conn.close()
        with lock:
            latencies.extend(mine)

    # Warm-up: the first `warmup` requests (lazy imports, connection set-up) are not measured.
    measure = threading.Event()
    warm = [threading.Thread(target=worker, args=(threading.Event(),)) for _ in range(1)]
    max_requests_saved = max_requests
    max_requests = 0  # warm-up threads stop after `warmup` requests
    for t in warm:
        t.start()
    for t in warm:
        t.join()
    latencies.clear()
    errors[0] = 0
    max_requests = max_requests_saved
    counter = iter(range(warmup, 10**9))
    measure.set()
    cpu_before = tree_cpu_seconds(server_pid) if server_pid is not None else None
    started = time.perf_counter()
    stop_at[0] = started + duration_s
    threads = [threading.Thread(target=worker, args=(measure,)) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    cpu = None if cpu_before is None else tree_cpu_seconds(server_pid) - cpu_before
    return LevelResult(concurrency, len(latencies), errors[0], seconds, latencies, cpu)
