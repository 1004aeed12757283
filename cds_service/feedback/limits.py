"""Bounds on feedback: the body size, and a simple rate limit per client (JWT issuer, or peer
address with verification off) and service: a token bucket per process, so with W gunicorn
workers a client may get up to W times the rate through. It bounds the writes one client can
make the database take; it is not an accounting of calls."""

from __future__ import annotations

from cds_service.rate_limit import RateLimiter

# 100 entries (models.MAX_FEEDBACK_ITEMS) with a full 2,000-character comment each fit.
MAX_FEEDBACK_BODY_BYTES = 512 * 1024
# Far above what clinicians' clicks produce; a client posting faster is refused for a moment.
DEFAULT_RATE_PER_S = 50.0
DEFAULT_BURST = 200


class FeedbackRateLimiter(RateLimiter):
    """The hook calls' token bucket (`cds_service.rate_limit`) with feedback's defaults."""

    def __init__(
        self,
        rate_per_s: float = DEFAULT_RATE_PER_S,
        burst: int = DEFAULT_BURST,
        **kwargs: object,
    ) -> None:
        super().__init__(rate_per_s, burst, **kwargs)  # type: ignore[arg-type]
