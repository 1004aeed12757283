"""Issue 12: the public CDS Hooks sandbox's calls, trusted through pinned keys.

The sandbox signs with ES384, `iss` https://sandbox.cds-hooks.org and
`jku` https://sandbox.cds-hooks.org/.well-known/jwks.json (tests/data/sandbox/README.md). A site
without outbound access trusts it with a local copy of that JWK Set: the issuer object
`{"jwks_url": ..., "jwks_file": ...}`. Before, such a token was refused ("jku ... is not a JWKS
URL configured for issuer"). We cannot sign with the sandbox's key, so the tokens here have the
sandbox's exact header and claims shape and are signed by a key pair of our own published under
the sandbox's kid; the real published set is checked to parse and to yield its key for that kid.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
import requests

from cds_service.auth.errors import AuthConfigError
from cds_service.auth.jwks import JwksCache, parse_jwks
from cds_service.auth.settings import JwksSource, TrustedIssuers
from tests.support.cds_calls import case_resources, prefetch_for, request_body
from tests.support.jwt_issuer import OMIT, JwtIssuer
from tests.support.service_process import ServiceProcess

SANDBOX_ISS = "https://sandbox.cds-hooks.org"
SANDBOX_JKU = "https://sandbox.cds-hooks.org/.well-known/jwks.json"
SANDBOX_KID = "44823f3d-0b01-4a6c-a80e-b9d3e8a7226f"
PUBLISHED_JWKS = Path(__file__).parent / "data" / "sandbox" / "jwks.json"
PATIENT_VIEW = "/cds-services/pannet-cds-patient-view"


class NoNetwork(requests.Session):
    """A session that fails the test if anything is fetched."""

    def request(self, *args, **kwargs):  # type: ignore[override]
        raise AssertionError(f"a pinned JWK Set must not be fetched: {args}")


def sandbox_shaped_token(issuer: JwtIssuer, aud: str, jku: str = SANDBOX_JKU) -> str:
    """Header and claims as the sandbox's jwt-generator.js makes them: alg, typ, kid, jku;
    iss, aud, exp (+300 s), iat, jti — no sub."""
    return issuer.mint(aud=aud, headers={"jku": jku}, sub=OMIT)


def test_the_published_sandbox_jwks_parses_and_its_kid_is_selected():
    trusted = TrustedIssuers.from_env_value(
        json.dumps({SANDBOX_ISS: {"jwks_url": SANDBOX_JKU, "jwks_file": str(PUBLISHED_JWKS)}})
    )
    issuer = trusted.get(SANDBOX_ISS)
    assert issuer.jwks_urls == {SANDBOX_JKU}
    assert issuer.sources == (JwksSource(url=SANDBOX_JKU, path=PUBLISHED_JWKS),)
    cache = JwksCache(trusted, session=NoNetwork())
    keys = cache.keys_for(issuer, SANDBOX_JKU, SANDBOX_KID, "ES384")
    assert [key.kid for key in keys] == [SANDBOX_KID]
    assert keys[0].key.curve.name == "secp384r1"
    assert parse_jwks(json.loads(PUBLISHED_JWKS.read_text())).kids() == {SANDBOX_KID}


def test_our_token_has_the_sandbox_tokens_shape():
    token = sandbox_shaped_token(JwtIssuer(iss=SANDBOX_ISS, kid=SANDBOX_KID), "https://x/y")
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "ES384", "typ": "JWT", "kid": SANDBOX_KID, "jku": SANDBOX_JKU}
    claims = jwt.decode(token, options={"verify_signature": False})
    assert set(claims) == {"iss", "aud", "exp", "iat", "jti"}
    assert claims["iss"] == SANDBOX_ISS and claims["exp"] - claims["iat"] == 300


@pytest.mark.parametrize(
    ("entry", "culprit"),
    [
        ({}, "only 'jwks_url' and 'jwks_file'"),
        ({"jwks_url": SANDBOX_JKU, "keys": []}, "['keys']"),
        ({"jwks_url": 3}, "jwks_url"),
        ({"jwks_file": ""}, "jwks_file"),
        ({"jwks_url": "http://sandbox.cds-hooks.org/jwks.json"}, "must use https"),
        ({"jwks_file": "/no/such/jwks.json"}, "does not exist"),
        ({"jwks_file": SANDBOX_JKU}, "is a URL, not a path"),
    ],
)
def test_a_bad_issuer_object_names_the_culprit(entry, culprit):
    with pytest.raises(AuthConfigError, match=culprit.replace("[", r"\[").replace("]", r"\]")):
        TrustedIssuers.from_env_value(json.dumps({SANDBOX_ISS: entry}))


def test_either_member_alone_is_a_url_or_a_file_source():
    trusted = TrustedIssuers.from_env_value(
        json.dumps(
            {
                "https://a.example": {"jwks_url": SANDBOX_JKU},
                "https://b.example": [{"jwks_file": str(PUBLISHED_JWKS)}, SANDBOX_JKU],
            }
        )
    )
    assert trusted.get("https://a.example").sources == (JwksSource(url=SANDBOX_JKU),)
    assert trusted.get("https://b.example").sources == (
        JwksSource(path=PUBLISHED_JWKS),
        JwksSource(url=SANDBOX_JKU),
    )


# --- over HTTP: the service as production runs it --------------------------------------------


@pytest.fixture(scope="module")
def sandbox() -> JwtIssuer:
    return JwtIssuer(iss=SANDBOX_ISS, kid=SANDBOX_KID)


@pytest.fixture(scope="module")
def plain() -> JwtIssuer:
    return JwtIssuer(iss="https://ehr-string-form.example.org")


@pytest.fixture(scope="module")
def service(tmp_path_factory, sandbox, plain) -> Iterator[ServiceProcess]:
    workdir = tmp_path_factory.mktemp("sandbox-pinned")
    pinned = sandbox.write_jwks(workdir / "sandbox-jwks.json")
    trusted = {
        SANDBOX_ISS: {"jwks_url": SANDBOX_JKU, "jwks_file": str(pinned)},
        plain.iss: str(plain.write_jwks(workdir / "plain-jwks.json")),  # the string form
    }
    env = {"PANNET_CDS_TRUSTED_ISSUERS": json.dumps(trusted)}
    with ServiceProcess(workdir, env, workers=1) as process:
        yield process


def call(service: ServiceProcess, token: str) -> requests.Response:
    body = request_body("patient-view", "p01", prefetch=prefetch_for(case_resources("p01")))
    return requests.post(
        service.url(PATIENT_VIEW),
        data=json.dumps(body),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        timeout=30,
    )


@pytest.mark.e2e
def test_a_sandbox_shaped_token_is_accepted_with_pinned_keys(service, sandbox):
    response = call(service, sandbox_shaped_token(sandbox, service.url(PATIENT_VIEW)))
    assert response.status_code == 200, service.log_tail()
    assert "cards" in response.json()


@pytest.mark.e2e
def test_a_jku_other_than_the_pinned_url_is_still_refused(service, sandbox):
    token = sandbox_shaped_token(
        sandbox, service.url(PATIENT_VIEW), jku="https://evil.example/.well-known/jwks.json"
    )
    response = call(service, token)
    assert response.status_code == 401 and response.content == b""


@pytest.mark.e2e
def test_the_string_form_keeps_working(service, plain):
    assert call(service, plain.mint(aud=service.url(PATIENT_VIEW))).status_code == 200
