"""SMART app configuration: which EHRs (FHIR `iss`) may launch the app, with which client, and
who may frame its pages. Read from `Settings` and checked once at start-up."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from cds_service.settings import ConfigurationError

ISSUERS_ENV = "PANNET_CDS_SMART_ISSUERS"
FRAME_ANCESTORS_ENV = "PANNET_CDS_SMART_FRAME_ANCESTORS"

# CSP frame-ancestors sources we accept: keywords, or a scheme://host[:port] origin whose host
# may start with "*." (https://www.w3.org/TR/CSP3/#directive-frame-ancestors).
_SOURCE = re.compile(r"^(?:'self'|'none'|https?://(?:\*\.)?[A-Za-z0-9.-]+(?::\d{1,5})?)$")


class IssuerConfig(BaseModel):
    """One EHR the app may be launched from. A `client_secret` makes it a confidential client
    (client_secret_basic); without one it is a public client."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    client_id: str = Field(min_length=1, max_length=256)
    client_secret: SecretStr | None = None
    scope: str | None = Field(default=None, min_length=1, max_length=2000)

    @property
    def confidential(self) -> bool:
        return self.client_secret is not None


class SmartConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    issuers: dict[str, IssuerConfig] = Field(default_factory=dict)
    frame_ancestors: tuple[str, ...] = ("'self'",)

    @property
    def framed(self) -> bool:
        """True when another origin may frame the app: its cookie must then be SameSite=None."""
        return any(source not in ("'self'", "'none'") for source in self.frame_ancestors)

    def issuer(self, iss: str) -> IssuerConfig | None:
        return self.issuers.get(normalise_iss(iss))


def normalise_iss(iss: str) -> str:
    return iss.strip().rstrip("/")


def _check_iss(iss: str) -> str:
    parts = urlsplit(iss)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        raise ConfigurationError(f"{ISSUERS_ENV}: {iss!r} is not an http(s) FHIR base URL")
    return normalise_iss(iss)


def _frame_ancestors(value: str) -> tuple[str, ...]:
    sources = tuple(value.split())
    bad = [s for s in sources if not _SOURCE.match(s)]
    if not sources or bad:
        raise ConfigurationError(
            f"{FRAME_ANCESTORS_ENV}: expected 'self', 'none' or origins such as "
            f"https://ehr.example.org separated by spaces; not usable: {' '.join(bad) or '(empty)'}"
        )
    return sources


def parse_smart_config(issuers_json: str, frame_ancestors: str) -> SmartConfig:
    try:
        raw = json.loads(issuers_json or "{}")
    except ValueError as exc:
        raise ConfigurationError(f"{ISSUERS_ENV} is not valid JSON: {exc.msg}") from None
    if not isinstance(raw, dict):
        raise ConfigurationError(f"{ISSUERS_ENV} must be a JSON object: iss -> client settings")
    issuers: dict[str, IssuerConfig] = {}
    for iss, entry in raw.items():
        try:
            issuers[_check_iss(iss)] = IssuerConfig.model_validate(entry)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "value"
            raise ConfigurationError(f"{ISSUERS_ENV}[{iss!r}].{where}: {first['msg']}") from None
    return SmartConfig(issuers=issuers, frame_ancestors=_frame_ancestors(frame_ancestors))


def default_scope(resource_types: Iterable[str], *, ehr_launch: bool) -> str:
    """SMART v2 scopes: read+search of every type the assessment reads, create for the orders."""
    launch = "launch" if ehr_launch else "launch/patient"
    reads = [f"patient/{t}.rs" for t in dict.fromkeys(resource_types)]
    return " ".join([launch, "openid", "fhirUser", *reads, "patient/ServiceRequest.c"])
