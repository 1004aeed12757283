"""SMART discovery: `{iss}/.well-known/smart-configuration` (SMART App Launch 2.x,
https://hl7.org/fhir/smart-app-launch/conformance.html). Only the fields the app uses are read;
the rest of the EHR's document is ignored."""

from __future__ import annotations

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

    @field_validator("authorization_endpoint", "token_endpoint")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL")
        return value


def discover(iss: str, http: requests.Session) -> SmartConfiguration:
    url = f"{iss.rstrip('/')}/.well-known/smart-configuration"
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
        config = SmartConfiguration.model_validate(response.json())
    except (ValueError, ValidationError):
        raise EhrUnreachable(f"{url} is not a usable SMART configuration.") from None
    methods = config.code_challenge_methods_supported
    if methods and "S256" not in methods:
        # The app always uses PKCE S256 (SMART 2.0 requires servers to support it).
        raise EhrUnreachable(
            f"The EHR at {iss} does not support PKCE S256, which the app requires."
        )
    return config
