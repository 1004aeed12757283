"""The negative matrix of CDS client JWT verification (keys from JWKS files)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from cds_service.auth.errors import AuthenticationError
from cds_service.auth.jwks import ALGORITHM_KEY_TYPES, JwksCache
from cds_service.auth.replay import InMemoryReplayCache
from cds_service.auth.settings import TrustedIssuers, VerifierPolicy
from cds_service.auth.verifier import ClientJwtVerifier, VerifiedClient
from tests.support.jwt_issuer import OMIT, JwtIssuer, hand_made_token

AUD = "https://cds.example.org/cds-services/pannet-patient-view"
OTHER_AUD = "https://cds.example.org/cds-services/pannet-order-sign"
RSA_ISS = "https://rsa-ehr.example.org"


def make_verifier(
    tmp_path: Path, *issuers: JwtIssuer, policy: VerifierPolicy | None = None
) -> ClientJwtVerifier:
    config = {i.iss: str(i.write_jwks(tmp_path / f"jwks-{n}.json")) for n, i in enumerate(issuers)}
    trusted = TrustedIssuers.from_env_value(json.dumps(config))
    return ClientJwtVerifier(JwksCache(trusted), InMemoryReplayCache(), policy)


@pytest.fixture
def issuer() -> JwtIssuer:
    return JwtIssuer()


@pytest.fixture
def rsa_issuer() -> JwtIssuer:
    return JwtIssuer(iss=RSA_ISS, alg="RS384", kid="rsa-1")


@pytest.fixture
def verifier(tmp_path: Path, issuer: JwtIssuer, rsa_issuer: JwtIssuer) -> ClientJwtVerifier:
    return make_verifier(tmp_path, issuer, rsa_issuer)


def reject(verifier: ClientJwtVerifier, token: str | None, audience: str = AUD) -> str:
    header = None if token is None else f"Bearer {token}"
    with pytest.raises(AuthenticationError) as caught:
        verifier.verify(header, audience)
    message = str(caught.value)
    if token:
        assert token not in message
        for segment in token.split("."):
            if len(segment) > 8:
                assert segment not in message
    return message


def test_valid_es384_token_is_accepted(verifier, issuer):
    client = verifier.verify(f"Bearer {issuer.mint(aud=AUD, tenant='t-1')}", AUD)
    assert isinstance(client, VerifiedClient)
    assert (client.issuer, client.algorithm, client.kid) == (issuer.iss, "ES384", "key-1")
    assert (client.subject, client.tenant) == ("ehr-client-1", "t-1")
    assert client.expires_at > client.issued_at


def test_valid_rs384_token_is_accepted(verifier, rsa_issuer):
    client = verifier.verify(f"Bearer {rsa_issuer.mint(aud=AUD)}", AUD)
    assert (client.issuer, client.algorithm, client.kid) == (RSA_ISS, "RS384", "rsa-1")


@pytest.mark.parametrize("alg", sorted(ALGORITHM_KEY_TYPES))
def test_every_asymmetric_algorithm_is_accepted(tmp_path, alg):
    signer = JwtIssuer(alg=alg)
    verifier = make_verifier(tmp_path, signer)
    assert verifier.verify(f"Bearer {signer.mint(aud=AUD)}", AUD).algorithm == alg


def test_scheme_is_case_insensitive(verifier, issuer):
    assert verifier.verify(f"bearer {issuer.mint(aud=AUD)}", AUD).issuer == issuer.iss


@pytest.mark.parametrize("header", [None, "", "   "])
def test_missing_authorization_header(verifier, header):
    with pytest.raises(AuthenticationError, match="no Authorization header"):
        verifier.verify(header, AUD)


def test_wrong_scheme(verifier, issuer):
    token = issuer.mint(aud=AUD)
    for header in (f"Basic {token}", f"Token {token}", token, f"Bearer {token} extra"):
        with pytest.raises(AuthenticationError) as caught:
            verifier.verify(header, AUD)
        assert token not in str(caught.value)


@pytest.mark.parametrize(
    "garbage", ["abc", "a.b.c", "a.b", "....", "eyJhbGciOiJFUzM4NCJ9.e30.AAAA", "é.é.é"]
)
def test_garbage_token(verifier, garbage):
    reject(verifier, garbage)


def test_expired_token(verifier, issuer):
    now = int(time.time())
    assert "expired" in reject(verifier, issuer.mint(aud=AUD, iat=now - 900, exp=now - 600))


def test_iat_in_the_future(verifier, issuer):
    now = int(time.time())
    assert "iat" in reject(verifier, issuer.mint(aud=AUD, iat=now + 600, exp=now + 900))


def test_nbf_in_the_future(verifier, issuer):
    now = int(time.time())
    assert "nbf" in reject(verifier, issuer.mint(aud=AUD, nbf=now + 600))


def test_nbf_in_the_past_is_tolerated(verifier, issuer):
    verifier.verify(f"Bearer {issuer.mint(aud=AUD, nbf=int(time.time()) - 10)}", AUD)


def test_wrong_audience(verifier, issuer):
    assert "aud" in reject(verifier, issuer.mint(aud="https://evil.example.org/cds-services/x"))


def test_audience_list_containing_the_url(verifier, issuer):
    verifier.verify(f"Bearer {issuer.mint(aud=['https://other.example', AUD])}", AUD)
    reject(verifier, issuer.mint(aud=["https://other.example", OTHER_AUD]))


def test_only_a_trailing_slash_difference_is_tolerated(verifier, issuer):
    verifier.verify(f"Bearer {issuer.mint(aud=AUD + '/')}", AUD)
    verifier.verify(f"Bearer {issuer.mint(aud=AUD)}", AUD + "/")
    for near_miss in (AUD.replace("https", "http"), AUD.upper(), AUD + "?x=1", AUD + "//x"):
        reject(verifier, issuer.mint(aud=near_miss))


def test_token_for_one_service_is_refused_by_another(verifier, issuer):
    token = issuer.mint(aud=AUD)
    assert "aud" in reject(verifier, token, audience=OTHER_AUD)
    # The refusal did not burn the jti: the service it was meant for still accepts it once.
    verifier.verify(f"Bearer {token}", AUD)


def test_replayed_jti_is_refused(verifier, issuer):
    token = issuer.mint(aud=AUD)
    verifier.verify(f"Bearer {token}", AUD)
    assert "replayed" in reject(verifier, token)
    assert "replayed" in reject(verifier, issuer.mint(aud=AUD, jti=_jti_of(token)))


def _jti_of(token: str) -> str:
    import jwt

    return jwt.decode(token, options={"verify_signature": False})["jti"]


def test_signature_by_an_unknown_key_with_the_same_kid(verifier, issuer):
    impostor = JwtIssuer(iss=issuer.iss, kid="key-1")
    assert "signature" in reject(verifier, impostor.mint(aud=AUD))


def test_kid_not_in_jwks(verifier, issuer):
    assert "kid" in reject(verifier, issuer.mint(aud=AUD, headers={"kid": "unknown-kid"}))


def test_no_kid_tries_every_key_of_the_issuer(tmp_path):
    signer = JwtIssuer()
    second = signer.add_key(alg="ES384", kid="key-2")
    verifier = make_verifier(tmp_path, signer)
    token = signer.mint(aud=AUD, key_id=second.kid, headers={"kid": OMIT})
    assert verifier.verify(f"Bearer {token}", AUD).kid == "key-2"
    impostor = JwtIssuer(iss=signer.iss)
    reject(verifier, impostor.mint(aud=AUD, headers={"kid": OMIT}))


@pytest.mark.parametrize("alg", ["HS256", "HS384", "HS512"])
def test_hmac_signed_with_the_public_key_is_refused(verifier, issuer, alg):
    key = issuer.default_key
    payload = issuer.claims(AUD)
    for secret in (key.public_pem(), json.dumps(key.public_jwk()).encode()):
        token = hand_made_token({"alg": alg, "typ": "JWT", "kid": key.kid}, payload, secret)
        assert "alg" in reject(verifier, token)


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "", None, "ES256K", "RSA-OAEP"])
def test_alg_none_and_unknown_algorithms_are_refused(verifier, issuer, alg):
    header = {"alg": alg, "typ": "JWT", "kid": "key-1"}
    token = hand_made_token(header, issuer.claims(AUD), None)
    assert "alg" in reject(verifier, token)


def test_alg_not_matching_the_key_type_is_refused(verifier, rsa_issuer):
    # An RSA key's kid with an EC algorithm: no such key, never a cross-type verification.
    token = JwtIssuer(iss=RSA_ISS, alg="ES384", kid="rsa-1").mint(aud=AUD)
    assert "kid" in reject(verifier, token)
    # The JWK pins alg RS384: the same key under RS256 is refused.
    assert "kid" in reject(verifier, rsa_issuer.mint(aud=AUD, alg="RS256"))


def test_unknown_issuer(verifier):
    stranger = JwtIssuer(iss="https://stranger.example.org/")
    assert "not trusted" in reject(verifier, stranger.mint(aud=AUD))


def test_issuer_must_match_exactly(verifier, issuer):
    reject(verifier, issuer.mint(aud=AUD, iss=issuer.iss.rstrip("/")))


def test_jku_not_in_the_allowlist(verifier, issuer):
    token = issuer.mint(aud=AUD, headers={"jku": "https://evil.example.org/jwks.json"})
    assert "jku" in reject(verifier, token)


@pytest.mark.parametrize("claim", ["iss", "aud", "exp", "iat", "jti"])
def test_required_claims(verifier, issuer, claim):
    reject(verifier, issuer.mint(**{"aud": AUD, claim: OMIT}))


@pytest.mark.parametrize(
    "claims", [{"iat": "1700000000"}, {"exp": str(int(time.time()) + 300)}, {"jti": ""}]
)
def test_claim_types(verifier, issuer, claims):
    reject(verifier, issuer.mint(aud=AUD, **claims))


def test_overlong_jti(verifier, issuer):
    reject(verifier, issuer.mint(aud=AUD, jti="x" * 256))


def test_lifetime_longer_than_an_hour_is_refused(verifier, issuer):
    now = int(time.time())
    assert "lifetime" in reject(verifier, issuer.mint(aud=AUD, iat=now, exp=now + 3601))
    verifier.verify(f"Bearer {issuer.mint(aud=AUD, iat=now, exp=now + 3600)}", AUD)


def test_typ_header(verifier, issuer):
    verifier.verify(f"Bearer {issuer.mint(aud=AUD, headers={'typ': OMIT})}", AUD)
    verifier.verify(f"Bearer {issuer.mint(aud=AUD, headers={'typ': 'jwt'})}", AUD)
    assert "typ" in reject(verifier, issuer.mint(aud=AUD, headers={"typ": "at+jwt"}))


def test_critical_header_extensions_are_refused(verifier, issuer):
    # PyJWT refuses some at parse time, we refuse the rest: either way no acceptance.
    for crit in (["exp"], ["b64"], ["x-unknown"]):
        reject(verifier, issuer.mint(aud=AUD, headers={"crit": crit, crit[0]: 1}))


def test_extra_claims_are_tolerated(verifier, issuer):
    token = issuer.mint(aud=AUD, sub=OMIT, tenant="org-9", fhirUser="Practitioner/1", scope="x")
    client = verifier.verify(f"Bearer {token}", AUD)
    assert (client.subject, client.tenant) == (None, "org-9")


class TestClockSkew:
    """The default leeway is 60 s; the edges are 30 s inside and outside it."""

    def test_exp_just_inside_the_leeway(self, verifier, issuer):
        now = int(time.time())
        verifier.verify(f"Bearer {issuer.mint(aud=AUD, iat=now - 300, exp=now - 30)}", AUD)

    def test_exp_just_outside_the_leeway(self, verifier, issuer):
        now = int(time.time())
        reject(verifier, issuer.mint(aud=AUD, iat=now - 300, exp=now - 90))

    def test_iat_just_inside_the_leeway(self, verifier, issuer):
        now = int(time.time())
        verifier.verify(f"Bearer {issuer.mint(aud=AUD, iat=now + 30, exp=now + 300)}", AUD)

    def test_iat_just_outside_the_leeway(self, verifier, issuer):
        now = int(time.time())
        reject(verifier, issuer.mint(aud=AUD, iat=now + 90, exp=now + 300))

    def test_leeway_is_configurable(self, tmp_path, issuer):
        strict = make_verifier(tmp_path, issuer, policy=VerifierPolicy(leeway_seconds=0))
        now = int(time.time())
        reject(strict, issuer.mint(aud=AUD, iat=now - 300, exp=now - 30))


def test_the_token_is_decoded_once_per_call(verifier, issuer, monkeypatch):
    """Issue 13: header and payload were decoded three times (unverified header, unverified
    payload, then the verifying decode). Now once: PyJWT's parser is not called at all."""
    import jwt.api_jws

    calls = []
    original = jwt.api_jws.PyJWS._load

    def counting(self, token):
        calls.append(token)
        return original(self, token)

    monkeypatch.setattr(jwt.api_jws.PyJWS, "_load", counting)
    client = verifier.verify(f"Bearer {issuer.mint(aud=AUD)}", AUD)
    assert client.issuer == issuer.iss
    assert calls == []


@pytest.mark.parametrize(
    "claims",
    [{"exp": "soon"}, {"iat": True}, {"nbf": "now"}, {"aud": 3}, {"aud": [3]}, {"aud": []}],
)
def test_claims_of_the_wrong_type_are_refused(verifier, issuer, claims):
    claims = {"aud": AUD, **claims}
    reject(verifier, issuer.mint(aud=claims.pop("aud"), **claims))


@pytest.mark.parametrize(
    "segments", ["a.b", "a.b.c.d", "!!.e30.", "e30.!!.", "W10.e30.", "e30.W10."]
)
def test_malformed_compact_tokens_are_refused(verifier, segments):
    reject(verifier, segments)
