"""The feedback rate limiter on its own: a burst is served, then one call per 1/rate seconds."""

from __future__ import annotations

import pytest

from cds_service.feedback.limits import FeedbackRateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_then_the_rate():
    clock = Clock()
    limiter = FeedbackRateLimiter(rate_per_s=2, burst=3, clock=clock)
    assert [limiter.retry_after("a") for _ in range(3)] == [None, None, None]
    assert limiter.retry_after("a") == 1
    assert limiter.retry_after("b") is None  # clients are counted apart
    clock.now += 0.5
    assert limiter.retry_after("a") is None
    assert limiter.retry_after("a") == 1


def test_retry_after_is_whole_seconds_until_the_next_token():
    clock = Clock()
    limiter = FeedbackRateLimiter(rate_per_s=0.1, burst=1, clock=clock)
    assert limiter.retry_after("a") is None
    assert limiter.retry_after("a") == 10
    clock.now += 9.5
    assert limiter.retry_after("a") == 1


@pytest.mark.parametrize(("rate", "burst"), [(0, 1), (-1, 1), (1, 0)])
def test_nonsense_limits_are_refused(rate, burst):
    with pytest.raises(ValueError):
        FeedbackRateLimiter(rate_per_s=rate, burst=burst)
