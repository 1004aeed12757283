"""Trusted-issuer configuration and the start-up factory."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from cds_service.auth.errors import AuthConfigError, AuthenticationError
from cds_service.auth.jwks import JwksCache
from cds_service.auth.replay import replay_table
from cds_service.auth.settings import (
    JwksSource,
    TrustedIssuers,
    VerifierPolicy,
    auth_enabled,
)
from cds_service.auth.setup import verifier_from_environ
from cds_service.db import make_engine
from tests.support.jwt_issuer import JwtIssuer

AUD = "https://cds.example.org/cds-services/x"


def parse(config: object, base: Path | None = None) -> TrustedIssuers:
    return TrustedIssuers.from_env_value(json.dumps(config), base)


def test_urls_files_and_lists(tmp_path):
    (tmp_path / "keys").mkdir()
    jwks = JwtIssuer().write_jwks(tmp_path / "keys" / "ehr.json")
    trusted = parse(
        {
            "https://a.example": "https://a.example/.well-known/jwks.json",
            "https://b.example": "keys/ehr.json",
            "https://c.example": ["http://127.0.0.1:8080/jwks", str(jwks), "http://[::1]/j"],
            "https://d.example": "http://localhost:9/jwks",
        },
        base=tmp_path,
    )
    assert trusted.get("https://a.example").sources == (
        JwksSource(url="https://a.example/.well-known/jwks.json"),
    )
    assert trusted.get("https://b.example").sources == (JwksSource(path=jwks),)
    assert trusted.get("https://c.example").jwks_urls == {
        "http://127.0.0.1:8080/jwks",
        "http://[::1]/j",
    }
    assert trusted.get("https://unknown.example") is None


@pytest.mark.parametrize(
    ("value", "culprit"),
    [
        ("not json", "not valid JSON"),
        ("[]", "non-empty JSON object"),
        ("{}", "non-empty JSON object"),
        ('{"https://a.example": 3}', "'https://a.example'"),
        ('{"https://a.example": []}', "no JWKS URL"),
        ('{"https://a.example": ""}', "'https://a.example'"),
        ('{"": "https://a.example/jwks"}', "issuer ''"),
        ('{"https://a.example": "http://a.example/jwks"}', "http://a.example/jwks"),
        ('{"https://a.example": "http://10.0.0.1/jwks"}', "http://10.0.0.1/jwks"),
        ('{"https://a.example": "ftp://a.example/jwks"}', "ftp://a.example/jwks"),
        ('{"https://a.example": "https:///jwks"}', "https:///jwks"),
        ('{"https://a.example": "/no/such/file.json"}', "/no/such/file.json"),
    ],
)
def test_bad_configuration_names_the_culprit(value, culprit):
    with pytest.raises(AuthConfigError) as caught:
        TrustedIssuers.from_env_value(value)
    assert isinstance(caught.value, ValueError)
    assert culprit in str(caught.value)


def test_unusable_jwks_file_stops_start_up(tmp_path):
    broken = tmp_path / "broken.json"
    for content in ("{", '{"keys": []}', '{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}'):
        broken.write_text(content)
        trusted = parse({"https://a.example": str(broken)})
        with pytest.raises(AuthConfigError, match=r"broken\.json.*'https://a\.example'"):
            JwksCache(trusted)


def test_missing_variable_explains_the_development_switch():
    with pytest.raises(AuthConfigError, match="PANNET_CDS_AUTH=off"):
        TrustedIssuers.from_environ({})


@pytest.mark.parametrize(
    ("value", "enabled"), [(None, True), ("", True), ("on", True), ("off", False), ("OFF", False)]
)
def test_auth_switch(value, enabled):
    environ = {} if value is None else {"PANNET_CDS_AUTH": value}
    assert auth_enabled(environ) is enabled


def test_auth_switch_typo_is_an_error():
    with pytest.raises(AuthConfigError, match="PANNET_CDS_AUTH"):
        auth_enabled({"PANNET_CDS_AUTH": "of"})


def test_policy_bounds():
    with pytest.raises(AuthConfigError):
        VerifierPolicy(leeway_seconds=-1)
    with pytest.raises(AuthConfigError):
        VerifierPolicy(max_lifetime_seconds=0)


def test_factory_off_logs_a_warning(tmp_path, caplog):
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    with caplog.at_level(logging.WARNING, logger="cds_service.auth.setup"):
        assert verifier_from_environ(engine, {"PANNET_CDS_AUTH": "off"}) is None
    assert "NOT verified" in caplog.text


def test_factory_builds_a_working_verifier(tmp_path):
    issuer = JwtIssuer()
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    replay_table.create(engine)
    environ = {
        "PANNET_CDS_TRUSTED_ISSUERS": json.dumps({issuer.iss: "jwks.json"}),
    }
    issuer.write_jwks(tmp_path / "jwks.json")
    verifier = verifier_from_environ(engine, environ, base_dir=tmp_path)
    assert verifier is not None
    token = issuer.mint(aud=AUD)
    assert verifier.verify(f"Bearer {token}", AUD).issuer == issuer.iss
    with pytest.raises(AuthenticationError, match="replayed"):
        verifier.verify(f"Bearer {token}", AUD)
