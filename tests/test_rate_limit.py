"""Issue 11.9: hook calls are rate limited per client (a token bucket per worker process):
a burst is served, a flood gets 429 with Retry-After, other clients are unaffected."""

from __future__ import annotations

import pytest

from cds_service.rate_limit import RateLimiter
from tests.app_fixtures import build_signed_client
from tests.support.cds_calls import SERVICE_IDS, case_resources, prefetch_for, request_body


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_is_served_then_calls_wait_for_tokens():
    clock = FakeClock()
    limiter = RateLimiter(rate_per_s=2, burst=3, clock=clock)
    assert [limiter.retry_after("a") for _ in range(3)] == [None, None, None]
    assert limiter.retry_after("a") == 1
    assert limiter.retry_after("b") is None  # another client has its own bucket
    clock.now += 0.5  # one token back at 2 per second
    assert limiter.retry_after("a") is None
    assert limiter.retry_after("a") == 1
    clock.now += 60  # refilled to the burst, never past it
    assert [limiter.retry_after("a") for _ in range(4)] == [None, None, None, 1]


def test_the_wait_is_rounded_up_to_whole_seconds():
    clock = FakeClock()
    limiter = RateLimiter(rate_per_s=0.1, burst=1, clock=clock)
    assert limiter.retry_after("a") is None
    assert limiter.retry_after("a") == 10


def test_many_clients_do_not_grow_the_table_without_bound():
    clock = FakeClock()
    limiter = RateLimiter(rate_per_s=1, burst=1, clock=clock)
    for index in range(25_000):
        limiter.retry_after(f"ip:{index}")
    assert len(limiter._buckets) <= 10_000


@pytest.mark.parametrize(("rate", "burst"), [(0, 1), (-1, 1), (1, 0)])
def test_a_bucket_needs_a_positive_rate_and_burst(rate, burst):
    with pytest.raises(ValueError):
        RateLimiter(rate, burst)


def test_a_flooding_client_gets_429_with_retry_after(tmp_path):
    cds = build_signed_client(tmp_path, rate_limit_per_second=0.5, rate_limit_burst=2)
    path = f"/cds-services/{SERVICE_IDS['patient-view']}"
    body = request_body("patient-view", "p01", prefetch=prefetch_for(case_resources("p01")))
    statuses = [cds.post(path, body).status_code for _ in range(2)]
    flooded = cds.post(path, body)
    assert statuses == [200, 200]
    assert flooded.status_code == 429
    assert flooded.headers["Retry-After"] == "2"
    outcome = flooded.get_json()
    assert outcome["issue"][0]["code"] == "throttled"
    assert "at most 0.5 per second" in outcome["issue"][0]["diagnostics"]


def test_rate_limit_zero_turns_it_off(tmp_path):
    cds = build_signed_client(tmp_path, rate_limit_per_second=0, rate_limit_burst=1)
    path = f"/cds-services/{SERVICE_IDS['patient-view']}"
    body = request_body("patient-view", "p01", prefetch=prefetch_for(case_resources("p01")))
    assert {cds.post(path, body).status_code for _ in range(4)} == {200}
