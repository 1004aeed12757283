"""record → inputs → assessment: the one path the CLI, the hooks and the SMART app share."""

from __future__ import annotations

from datetime import date

from fhir_mappers.payload import resources_from_payload
from fhir_mappers.record import inputs_from_resources
from scoring.assess import assess
from scoring.assessment import Assessment
from scoring.site_config import DEFAULT_SITE_CONFIG, SiteConfig


def assess_resources(
    resources: list[dict],
    *,
    today: date,
    site: SiteConfig = DEFAULT_SITE_CONFIG,
    fhir_base: str | None = None,
) -> Assessment:
    """`fhir_base`: the FHIR server the resources came from (a hook's `fhirServer`), when known;
    absolute references to the Patient must then be on it (issue 11.5)."""
    inputs = inputs_from_resources(
        resources, extra_codes=site.extra_code_keys(), fhir_base=fhir_base
    )
    return assess(inputs, today=today, site=site)


def assess_payload(
    payload: object, *, today: date, site: SiteConfig = DEFAULT_SITE_CONFIG
) -> Assessment:
    """A Bundle of any type or a JSON array of resources → the assessment."""
    return assess_resources(resources_from_payload(payload), today=today, site=site)
