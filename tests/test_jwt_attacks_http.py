"""JWT attack matrix over real HTTP: the service runs as a gunicorn process and fetches its
trusted issuers' JWK Sets from loopback JWKS servers, which the tests take down, slow down and
rotate. (tests/test_auth_*.py cover the verifier itself; here the whole path is under attack.)

Each scenario has its own issuer and JWKS server, so the per-URL refetch rate limit and the
up/down/slow modes of one scenario never affect another.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests

from tests.support.cds_calls import case_resources, prefetch_for, request_body
from tests.support.jwks_server import JwksServer
from tests.support.jwt_issuer import JwtIssuer
from tests.support.service_process import ServiceProcess

pytestmark = pytest.mark.e2e

SCENARIOS = ("main", "rotation", "down", "slow", "unknown-kid", "jku")
PATIENT_VIEW = "/cds-services/pannet-cds-patient-view"
ORDER_SIGN = "/cds-services/pannet-cds-order-sign"
BODY = json.dumps(request_body("patient-view", "p01", prefetch=prefetch_for(case_resources("p01"))))
# The service waits at most its JWKS timeout (2 s) for keys; the client waits far longer, so a
# hang would show as a timeout error rather than pass.
CLIENT_TIMEOUT_S = 30


class Ehr:
    """One trusted issuer and the loopback server that publishes its keys."""

    def __init__(self, name: str) -> None:
        self.issuer = JwtIssuer(iss=f"https://ehr-{name}.example.org/")
        self.jwks = JwksServer({"/jwks.json": self.issuer.jwks}).start()

    @property
    def jwks_url(self) -> str:
        return self.jwks.url("/jwks.json")


@pytest.fixture(scope="module")
def ehrs() -> Iterator[dict[str, Ehr]]:
    ehrs = {name: Ehr(name) for name in SCENARIOS}
    yield ehrs
    for ehr in ehrs.values():
        ehr.jwks.stop()


@pytest.fixture(scope="module")
def service(tmp_path_factory, ehrs) -> Iterator[ServiceProcess]:
    trusted = {ehr.issuer.iss: ehr.jwks_url for ehr in ehrs.values()}
    env = {"PANNET_CDS_TRUSTED_ISSUERS": json.dumps(trusted)}
    # One worker: each worker keeps its own key cache, and these tests reason about one cache.
    with ServiceProcess(tmp_path_factory.mktemp("jwt-attacks"), env, workers=1) as runner:
        yield runner


def call(service: ServiceProcess, token: str | None, path: str = PATIENT_VIEW, **headers: str):
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return requests.post(
        service.url(path),
        data=BODY,
        headers={"Content-Type": "application/json", **headers},
        timeout=CLIENT_TIMEOUT_S,
    )


def signed(service: ServiceProcess, ehr: Ehr, path: str = PATIENT_VIEW, **mint_args) -> str:
    return ehr.issuer.mint(aud=service.url(path), **mint_args)


def assert_bare_401(response) -> None:
    assert response.status_code == 401
    assert response.content == b""


def test_a_valid_token_is_accepted(service, ehrs):
    assert call(service, signed(service, ehrs["main"])).status_code == 200


def test_kid_not_in_the_jwks_is_refused(service, ehrs):
    ehr = ehrs["unknown-kid"]
    assert call(service, signed(service, ehr)).status_code == 200  # keys cached
    stranger = JwtIssuer(iss=ehr.issuer.iss, kid="not-published")
    assert_bare_401(call(service, stranger.mint(aud=service.url(PATIENT_VIEW))))
    # A stream of forged kids costs the issuer at most one refetch (rate limited).
    hits = ehr.jwks.hits["/jwks.json"]
    for index in range(5):
        forged = JwtIssuer(iss=ehr.issuer.iss, kid=f"forged-{index}")
        assert_bare_401(call(service, forged.mint(aud=service.url(PATIENT_VIEW))))
    assert ehr.jwks.hits["/jwks.json"] == hits


def test_jku_outside_the_allowlist_is_refused_and_never_fetched(service, ehrs):
    ehr = ehrs["jku"]
    attacker = JwtIssuer(iss=ehr.issuer.iss, kid="key-1")  # same iss and kid, own key
    attacker_jwks = JwksServer({"/evil.json": attacker.jwks}).start()
    try:
        token = attacker.mint(
            aud=service.url(PATIENT_VIEW), headers={"jku": attacker_jwks.url("/evil.json")}
        )
        assert_bare_401(call(service, token))
        assert attacker_jwks.hits["/evil.json"] == 0
    finally:
        attacker_jwks.stop()
    # The allowlisted jku is honoured.
    good = signed(service, ehr, headers={"jku": ehr.jwks_url})
    assert call(service, good).status_code == 200


def test_jwks_down_cached_keys_keep_working(service, ehrs):
    ehr = ehrs["down"]
    assert call(service, signed(service, ehr)).status_code == 200
    ehr.jwks.mode = "down"
    for _ in range(5):
        assert call(service, signed(service, ehr)).status_code == 200
    # A kid the cache never saw cannot be had while the JWKS is down: 401, not a hang or 500.
    ehr.issuer.add_key(kid="new-while-down")
    assert_bare_401(call(service, signed(service, ehr, key_id="new-while-down")))


def test_jwks_slow_cached_keys_keep_working(service, ehrs):
    ehr = ehrs["slow"]
    assert call(service, signed(service, ehr)).status_code == 200
    ehr.jwks.mode = "slow"
    try:
        for _ in range(5):
            assert call(service, signed(service, ehr)).status_code == 200
        ehr.issuer.add_key(kid="new-while-slow")
        assert_bare_401(call(service, signed(service, ehr, key_id="new-while-slow")))
    finally:
        ehr.jwks.release()


def test_key_rotation_new_key_works_at_once(service, ehrs):
    ehr = ehrs["rotation"]
    assert call(service, signed(service, ehr)).status_code == 200
    new = ehr.issuer.add_key(alg="RS384", kid="2025-rotation")
    ehr.issuer.remove_key("key-1")
    assert call(service, signed(service, ehr, key_id=new.kid)).status_code == 200


@pytest.mark.parametrize(
    "claims, accepted",
    [
        ({"iat_offset": 50}, True),  # client clock 50 s ahead: within the 60 s leeway
        ({"iat_offset": 120}, False),  # 2 min ahead
        ({"exp_offset": -50}, True),  # expired 50 s ago: within the leeway
        ({"exp_offset": -120}, False),
        ({"nbf_offset": 50}, True),
        ({"nbf_offset": 120}, False),
    ],
)
def test_clock_skew_edges(service, ehrs, claims, accepted):
    import time

    now = int(time.time())
    overrides = {"iat": now, "exp": now + 300}
    if "iat_offset" in claims:
        overrides["iat"] = now + claims["iat_offset"]
        overrides["exp"] = overrides["iat"] + 300
    if "exp_offset" in claims:
        overrides["exp"] = now + claims["exp_offset"]
        overrides["iat"] = overrides["exp"] - 300
    if "nbf_offset" in claims:
        overrides["nbf"] = now + claims["nbf_offset"]
    response = call(service, signed(service, ehrs["main"], **overrides))
    if accepted:
        assert response.status_code == 200
    else:
        assert_bare_401(response)


def test_token_for_one_service_is_refused_by_another(service, ehrs):
    token = signed(service, ehrs["main"], path=PATIENT_VIEW)
    assert_bare_401(call(service, token, path=ORDER_SIGN))
    assert_bare_401(call(service, token, path=PATIENT_VIEW + "/feedback"))


def test_token_for_another_host_or_port_is_refused(service, ehrs):
    other_port = f"http://127.0.0.1:{service.port + 1}{PATIENT_VIEW}"
    assert_bare_401(call(service, ehrs["main"].issuer.mint(aud=other_port)))
    # Same server, reached by another name: the aud names what the client called.
    localhost = service.url(PATIENT_VIEW).replace("127.0.0.1", "localhost")
    assert_bare_401(call(service, ehrs["main"].issuer.mint(aud=localhost)))


def test_a_token_is_accepted_once(service, ehrs):
    token = signed(service, ehrs["main"])
    assert call(service, token).status_code == 200
    for _ in range(3):
        assert_bare_401(call(service, token))


def test_another_issuers_key_cannot_sign_for_this_issuer(service, ehrs):
    forged = ehrs["rotation"].issuer.mint(
        aud=service.url(PATIENT_VIEW), iss=ehrs["main"].issuer.iss
    )
    assert_bare_401(call(service, forged))


def test_no_token_material_in_the_log(service):
    log = service.log_text()
    assert "eyJ" not in log  # the start of every JWS header


def test_replay_is_refused_by_every_worker(tmp_path):
    """The jti cache is in the database, so a replay to another worker is refused too."""
    ehr = Ehr("workers")
    try:
        env = {"PANNET_CDS_TRUSTED_ISSUERS": json.dumps({ehr.issuer.iss: ehr.jwks_url})}
        with ServiceProcess(tmp_path, env, workers=2) as service:
            token = signed(service, ehr)
            statuses = []
            for _ in range(12):
                # A new connection each time, so gunicorn may hand it to either worker.
                statuses.append(call(service, token, Connection="close").status_code)
            assert statuses.count(200) == 1
            assert statuses.count(401) == 11
    finally:
        ehr.jwks.stop()
