"""JWK Sets at URLs: caching, rotation, rate-limited refetch, and a JWKS URL that is down or slow.

A real loopback HTTP server publishes the keys; time is a fake clock so nothing waits.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator

import pytest

from cds_service.auth.errors import AuthenticationError, AuthUnavailableError
from cds_service.auth.jwks import JwksCache, parse_jwks
from cds_service.auth.replay import InMemoryReplayCache
from cds_service.auth.settings import JwksPolicy, TrustedIssuers
from cds_service.auth.verifier import ClientJwtVerifier
from tests.support.jwks_server import JwksServer
from tests.support.jwt_issuer import JwtIssuer

AUD = "https://cds.example.org/cds-services/pannet-patient-view"
PATH = "/ehr/jwks.json"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def issuer() -> JwtIssuer:
    return JwtIssuer()


@pytest.fixture
def server(issuer: JwtIssuer) -> Iterator[JwksServer]:
    server = JwksServer({PATH: issuer.jwks, "/other.json": issuer.jwks}).start()
    yield server
    server.stop()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make_verifier(
    issuer: JwtIssuer, url: str, clock: FakeClock, timeout: float = 2.0
) -> ClientJwtVerifier:
    trusted = TrustedIssuers.from_env_value(json.dumps({issuer.iss: url}))
    policy = JwksPolicy(ttl_seconds=300, min_refetch_interval_seconds=60, timeout_seconds=timeout)
    return ClientJwtVerifier(JwksCache(trusted, policy, clock=clock), InMemoryReplayCache())


@pytest.fixture
def verifier(issuer, server, clock) -> ClientJwtVerifier:
    return make_verifier(issuer, server.url(PATH), clock)


def accept(verifier: ClientJwtVerifier, issuer: JwtIssuer, **mint_args) -> None:
    assert verifier.verify(f"Bearer {issuer.mint(aud=AUD, **mint_args)}", AUD).issuer == issuer.iss


def test_keys_are_fetched_once_and_cached(verifier, issuer, server, clock):
    accept(verifier, issuer)
    accept(verifier, issuer)
    clock.advance(299)
    accept(verifier, issuer)
    assert server.hits[PATH] == 1
    clock.advance(2)  # past the TTL
    accept(verifier, issuer)
    assert server.hits[PATH] == 2


def test_key_rotation_new_kid_is_fetched_on_demand(verifier, issuer, server):
    accept(verifier, issuer)
    new_key = issuer.add_key(alg="ES384", kid="key-2")
    issuer.remove_key("key-1")
    accept(verifier, issuer, key_id=new_key.kid)
    assert server.hits[PATH] == 2


def test_unknown_kid_refetch_is_rate_limited(verifier, issuer, server, clock):
    accept(verifier, issuer)
    for n in range(5):
        with pytest.raises(AuthenticationError, match="kid"):
            verifier.verify(f"Bearer {issuer.mint(aud=AUD, headers={'kid': f'forged-{n}'})}", AUD)
    assert server.hits[PATH] == 2  # the first unknown kid refetched; the rest did not
    clock.advance(61)
    rotated = issuer.add_key(kid="key-3")
    accept(verifier, issuer, key_id=rotated.kid)
    assert server.hits[PATH] == 3


def test_jwks_down_with_cached_keys_still_works(verifier, issuer, server, clock, caplog):
    accept(verifier, issuer)
    server.mode = "down"
    clock.advance(3600)
    with caplog.at_level(logging.WARNING, logger="cds_service.auth.jwks"):
        token = issuer.mint(aud=AUD)
        verifier.verify(f"Bearer {token}", AUD)
    assert server.hits[PATH] == 2
    assert "keeping keys from" in caplog.text
    assert token not in caplog.text


def test_jwks_slow_with_cached_keys_still_works(issuer, server, clock):
    verifier = make_verifier(issuer, server.url(PATH), clock, timeout=0.2)
    accept(verifier, issuer)
    server.mode = "slow"
    clock.advance(3600)
    accept(verifier, issuer)
    assert server.hits[PATH] == 2


def test_jwks_down_without_cache_is_an_authentication_error(verifier, issuer, server):
    server.mode = "down"
    with pytest.raises(AuthUnavailableError, match="HTTP 503"):
        verifier.verify(f"Bearer {issuer.mint(aud=AUD)}", AUD)
    # A retry within the refetch interval does not hit the dead URL again.
    with pytest.raises(AuthUnavailableError):
        verifier.verify(f"Bearer {issuer.mint(aud=AUD)}", AUD)
    assert server.hits[PATH] == 1


def test_jwks_unreachable_without_cache(issuer, server, clock):
    url = server.url(PATH)
    server.stop()
    verifier = make_verifier(issuer, url, clock)
    with pytest.raises(AuthUnavailableError, match="ConnectionError"):
        verifier.verify(f"Bearer {issuer.mint(aud=AUD)}", AUD)


def test_jwks_slow_without_cache(issuer, server, clock):
    server.mode = "slow"
    verifier = make_verifier(issuer, server.url(PATH), clock, timeout=0.2)
    with pytest.raises(AuthUnavailableError, match="Timeout"):
        verifier.verify(f"Bearer {issuer.mint(aud=AUD)}", AUD)


def test_recovers_after_the_outage(verifier, issuer, server, clock):
    server.mode = "down"
    with pytest.raises(AuthUnavailableError):
        verifier.verify(f"Bearer {issuer.mint(aud=AUD)}", AUD)
    server.mode = "up"
    clock.advance(61)
    accept(verifier, issuer)


@pytest.mark.parametrize(
    "document", [{"keys": []}, {"nokeys": 1}, [1, 2], {"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}]
)
def test_unusable_jwks_document(issuer, clock, document):
    server = JwksServer({PATH: lambda: document}).start()
    try:
        verifier = make_verifier(issuer, server.url(PATH), clock)
        with pytest.raises(AuthUnavailableError, match="JWK Set"):
            verifier.verify(f"Bearer {issuer.mint(aud=AUD)}", AUD)
    finally:
        server.stop()


def test_jku_must_be_the_configured_url(verifier, issuer, server):
    accept(verifier, issuer, headers={"jku": server.url(PATH)})
    other = server.url("/other.json")  # same host, same keys, but not allowlisted
    with pytest.raises(AuthenticationError, match="jku"):
        verifier.verify(f"Bearer {issuer.mint(aud=AUD, headers={'jku': other})}", AUD)
    assert server.hits["/other.json"] == 0


def test_concurrent_first_use_fetches_once(verifier, issuer, server):
    tokens = [issuer.mint(aud=AUD) for _ in range(8)]
    barrier = threading.Barrier(len(tokens))
    outcomes: list[object] = []

    def call(token: str) -> None:
        barrier.wait()
        try:
            outcomes.append(verifier.verify(f"Bearer {token}", AUD).issuer)
        except AuthenticationError as error:
            outcomes.append(error)

    threads = [threading.Thread(target=call, args=(t,)) for t in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes == [issuer.iss] * 8
    assert server.hits[PATH] == 1


def test_parse_jwks_keeps_only_public_signature_keys(issuer):
    private = {**issuer.default_key.public_jwk(), "d": "c2VjcmV0"}
    document = {
        "keys": [
            private,
            {**issuer.default_key.public_jwk(), "kid": "enc", "use": "enc"},
            {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
            "not-a-key",
        ]
    }
    keys = parse_jwks(document)
    assert keys.kids() == {"key-1"}
    assert "d" not in keys.jwks[0]


def test_requests_do_not_wait_for_a_slow_refresh(issuer, server, clock):
    verifier = make_verifier(issuer, server.url(PATH), clock, timeout=30)
    accept(verifier, issuer)
    server.mode = "slow"
    clock.advance(301)  # stale: the next call refreshes, and the fetch hangs
    refreshing = threading.Thread(target=accept, args=(verifier, issuer))
    refreshing.start()
    assert server.slow_request_waiting.wait(timeout=10)
    accept(verifier, issuer)  # served from the cache while the refresh is in flight
    assert refreshing.is_alive()
    server.release()
    refreshing.join()
    assert server.hits[PATH] == 2
