"""A per-process token bucket per CDS client: a burst of calls is served, a flood gets 429.

Clients are keyed by the verified JWT issuer (authentication on) or the peer address
(authentication off). Each gunicorn worker keeps its own buckets, so the service-wide rate is
at most `workers x rate`; this bounds the work one client can make a worker do, it is not an
accounting of calls. Buckets idle long enough to be full again are dropped, so the table stays
small whatever the number of addresses seen.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

Clock = Callable[[], float]
_MAX_CLIENTS = 10_000


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    def __init__(self, rate_per_s: float, burst: int, clock: Clock = time.monotonic) -> None:
        if rate_per_s <= 0 or burst < 1:
            raise ValueError("rate_per_s must be positive and burst at least 1")
        self.rate = rate_per_s
        self.burst = burst
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def retry_after(self, client: str) -> int | None:
        """None if `client` may make a call now (and takes one token), else the whole
        seconds to wait before the next call would be served (for `Retry-After`)."""
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(client)
            if bucket is None:
                if len(self._buckets) >= _MAX_CLIENTS:
                    self._drop_full(now)
                bucket = self._buckets[client] = _Bucket(float(self.burst), now)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return None
            return max(1, math.ceil((1 - bucket.tokens) / self.rate))

    def _drop_full(self, now: float) -> None:
        refill_s = self.burst / self.rate
        for client in [c for c, b in self._buckets.items() if now - b.updated >= refill_s]:
            del self._buckets[client]
        if len(self._buckets) >= _MAX_CLIENTS:
            self._buckets.clear()  # a flood of new addresses: start over rather than grow
