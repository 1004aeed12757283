"""Bounds on feedback: the body size, and a simple rate limit per client (JWT issuer, or peer
address with verification off) and service: a token bucket per process, so with W gunicorn
workers a client may get up to W times the rate through. It bounds the writes one client can
make the database take; it is not an accounting of calls."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

# 100 entries (models.MAX_FEEDBACK_ITEMS) with a full 2,000-character comment each fit.
MAX_FEEDBACK_BODY_BYTES = 512 * 1024
# Far above what clinicians' clicks produce; a client posting faster is refused for a moment.
DEFAULT_RATE_PER_S = 50.0
DEFAULT_BURST = 200
_MAX_CLIENTS = 10_000

Clock = Callable[[], float]


@dataclass
class _Bucket:
    tokens: float
    updated: float


class FeedbackRateLimiter:
    def __init__(
        self,
        rate_per_s: float = DEFAULT_RATE_PER_S,
        burst: int = DEFAULT_BURST,
        clock: Clock = time.monotonic,
    ) -> None:
        if rate_per_s <= 0 or burst < 1:
            raise ValueError("rate_per_s must be positive and burst at least 1")
        self.rate = rate_per_s
        self.burst = burst
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def retry_after(self, client: str) -> int | None:
        """None if `client` may post now (and uses up one token), else the whole seconds until
        it may (for `Retry-After`)."""
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(client)
            if bucket is None:
                if len(self._buckets) >= _MAX_CLIENTS:
                    self._buckets.clear()  # a flood of new addresses: start over, do not grow
                bucket = self._buckets[client] = _Bucket(float(self.burst), now)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return None
            return max(1, math.ceil((1 - bucket.tokens) / self.rate))
