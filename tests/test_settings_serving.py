"""Issue 11.4 and 11.9 settings: the public base URL is required to serve with authentication on
(the JWT aud is checked against it, never the Host header), no peer may set the scheme through
forwarded headers, and the per-client rate limit is read and checked."""

from __future__ import annotations

import pytest

from cds_service import server
from cds_service.settings import DEFAULT_RATE_LIMIT, ConfigurationError, Settings

ISSUERS = '{"https://ehr.example.org": "https://ehr.example.org/jwks.json"}'


def test_serving_with_authentication_on_needs_a_base_url():
    with pytest.raises(ConfigurationError, match="PANNET_CDS_BASE_URL is required"):
        Settings.from_env({"PANNET_CDS_TRUSTED_ISSUERS": ISSUERS}, serving=True)
    settings = Settings.from_env(
        {"PANNET_CDS_TRUSTED_ISSUERS": ISSUERS, "PANNET_CDS_BASE_URL": "https://cds.h.org/"},
        serving=True,
    )
    assert settings.base_url == "https://cds.h.org"


def test_development_and_database_commands_need_no_base_url():
    assert Settings.from_env({"PANNET_CDS_AUTH": "off"}, serving=True).base_url is None
    # feedback-stats and audit read only the database: no base URL asked of them
    assert Settings.from_env({"PANNET_CDS_TRUSTED_ISSUERS": ISSUERS}).base_url is None


@pytest.mark.parametrize("bad", ["cds.example.org", "ftp://cds.example.org", "https://h/?x=1"])
def test_a_base_url_that_is_not_an_absolute_http_url_is_refused(bad):
    with pytest.raises(ConfigurationError, match="PANNET_CDS_BASE_URL must be an absolute"):
        Settings.from_env({"PANNET_CDS_AUTH": "off", "PANNET_CDS_BASE_URL": bad})


def test_the_rate_limit_is_read_with_a_burst_of_twice_the_rate():
    default = Settings.from_env({"PANNET_CDS_AUTH": "off"})
    assert default.rate_limit_per_second == DEFAULT_RATE_LIMIT
    assert default.rate_limit_burst == 2 * DEFAULT_RATE_LIMIT
    slow = Settings.from_env({"PANNET_CDS_AUTH": "off", "PANNET_CDS_RATE_LIMIT": "0.5"})
    assert (slow.rate_limit_per_second, slow.rate_limit_burst) == (0.5, 1)
    off = Settings.from_env({"PANNET_CDS_AUTH": "off", "PANNET_CDS_RATE_LIMIT": "0"})
    assert off.rate_limit_per_second == 0


@pytest.mark.parametrize("bad", ["fast", "-1", "nan", "inf"])
def test_a_bad_rate_limit_names_the_variable(bad):
    with pytest.raises(ConfigurationError, match="PANNET_CDS_RATE_LIMIT"):
        Settings.from_env({"PANNET_CDS_AUTH": "off", "PANNET_CDS_RATE_LIMIT": bad})


def test_gunicorn_trusts_no_forwarded_headers_whatever_the_environment(monkeypatch):
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "*")
    options = server.server_options(Settings(), host="127.0.0.1", port=8080, workers=1)
    assert options["forwarded_allow_ips"] == ""


def test_a_bad_fhir_server_allowlist_stops_the_app_naming_the_variable(tmp_path):
    from cds_service.app import create_app

    settings = Settings(
        auth_enabled=False,
        database_url=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        fhir_servers_json='{"https://ehr.example.org": "https://fhir.example.org"}',
    )
    with pytest.raises(ConfigurationError, match="PANNET_CDS_FHIR_SERVERS"):
        create_app(settings)


def test_authentication_off_says_loopback_fhir_servers_are_read(tmp_path, caplog):
    from cds_service.app import create_app

    settings = Settings(auth_enabled=False, database_url=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    with caplog.at_level("WARNING"):
        create_app(settings)
    assert any("loopback fhirServer" in record.getMessage() for record in caplog.records)
