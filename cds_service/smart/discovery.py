"""SMART discovery: `{iss}/.well-known/smart-configuration` (SMART App Launch 2.x,
https://hl7.org/fhir/smart-app-launch/conformance.html). Only the fields the app uses are read;
the rest of the EHR's document is ignored."""

from __future__ import annotations

from typing import Any

import requests
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from cds_service.smart.errors import EhrUnreachable

DISCOVERY_TIMEOUT_S = 10.0


class SmartConfiguration(BaseModel):
    # A document from another party: unknown fields are expected and ignored.
    model_config = ConfigDict(extra="ignore", frozen=True)

    authorization_endpoint: str
    token_endpoint: str
    capabilities: list[str] = []
    code_challenge_methods_supported: list[str] = []
    scopes_supported: list[str] = []
    # For verifying the id_token (required of EHRs that offer sso-openid-connect).
    issuer: str | None = None
    jwks_uri: str | None = None

    @field_validator("authorization_endpoint", "token_endpoint")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL")
        return value

    @field_validator("issuer", "jwks_uri", mode="before")
    @classmethod
    def _optional_http_url(cls, value: object) -> object:
        # Unusable here means unknown: an id_token then cannot be verified (and is refused).
        ok = isinstance(value, str) and value.startswith(("https://", "http://"))
        return value if ok else None


def fetch_json(url: str, http: requests.Session) -> dict[str, Any]:
    """A JSON object the EHR publishes (its OpenID configuration, its JWKS)."""
    try:
        response = http.get(
            url,
            headers={"Accept": "application/json"},
            timeout=DISCOVERY_TIMEOUT_S,
            allow_redirects=False,
        )
    except requests.RequestException:
        raise EhrUnreachable(f"No answer from {url}.") from None
    if response.status_code != 200:
        raise EhrUnreachable(f"{url} answered HTTP {response.status_code}.")
    try:
        document = response.json()
    except ValueError:
        raise EhrUnreachable(f"{url} did not answer with JSON.") from None
    if not isinstance(document, dict):
        raise EhrUnreachable(f"{url} did not answer with a JSON object.")
    return document


def discover(iss: str, http: requests.Session) -> SmartConfiguration:
    url = f"{iss.rstrip('/')}/.well-known/smart-configuration"
    try:
        config = SmartConfiguration.model_validate(fetch_json(url, http))
    except ValidationError:
        raise EhrUnreachable(f"{url} is not a usable SMART configuration.") from None
    methods = config.code_challenge_methods_supported
    if methods and "S256" not in methods:
        # The app always uses PKCE S256 (SMART 2.0 requires servers to support it).
        raise EhrUnreachable(
            f"The EHR at {iss} does not support PKCE S256, which the app requires."
        )
    return config
