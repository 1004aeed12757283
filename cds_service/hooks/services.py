"""The CDS services this project offers, one per hook, declared as data and keyed by id.

Discovery (https://cds-hooks.hl7.org/2.0/#discovery) is generated from the same objects that
handle the calls, so what a client is told to prefetch is what the gatherer looks for.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from cds_service.hooks.prefetch_codes import (
    OBSERVATION_CODES,
    PATHOLOGY_REPORT_CATEGORIES,
    PATHOLOGY_REPORT_CODES,
    SearchedCode,
)

DEFAULT_PATHOLOGY_HOOK = "org.pannet-cds.pathology-report-sign"
PATIENT_KEY = "patient"
REPORT_RESULTS_KEY = "reportResults"
REPORT_RESULTS_BY_CODE_KEY = "reportResultsByCode"


class ContextKind(StrEnum):
    """Which context model a service's calls are validated with."""

    PATIENT_VIEW = "patient-view"
    ORDER_SIGN = "order-sign"
    ENCOUNTER_DISCHARGE = "encounter-discharge"
    PATHOLOGY_SIGN = "pathology-report-sign"


class Requirement(StrEnum):
    """What happens when a prefetch key can be neither prefetched nor fetched."""

    REQUIRED = "required"  # the call fails with 412
    OPTIONAL = "optional"  # the answer is marked degraded and names the key


@dataclass(frozen=True)
class PrefetchTemplate:
    """One prefetch key: a FHIR read or search with `{{token}}` placeholders."""

    key: str
    template: str
    requirement: Requirement = Requirement.OPTIONAL

    @property
    def is_read(self) -> bool:
        return "?" not in self.template

    @property
    def resource_type(self) -> str:
        return self.template.split("?", 1)[0].split("/", 1)[0]


def observation_search(codes: Iterable[SearchedCode]) -> str:
    """`Observation?patient=...&code=` with each system|code once, in the given order."""
    tokens = ",".join(dict.fromkeys(code.token for code in codes))
    return f"Observation?patient={{{{context.patientId}}}}&code={tokens}"


def pathology_report_search(parameter: str, codes: Iterable[SearchedCode]) -> str:
    """Pathology DiagnosticReports by `parameter`, with their results and the results' members."""
    tokens = ",".join(dict.fromkeys(code.token for code in codes))
    return (
        f"DiagnosticReport?patient={{{{context.patientId}}}}&{parameter}={tokens}"
        "&_include=DiagnosticReport:result&_include:iterate=Observation:has-member"
    )


_PATIENT = "{{context.patientId}}"

# Each key is one search, so a server that cannot run one of them (e.g. no `_include`) costs only
# that key. No template carries `_count`: an EHR that honours it without paging would send a
# truncated result; the service's own fetches choose a page size and follow `next` links.
PREFETCH_TEMPLATES: tuple[PrefetchTemplate, ...] = (
    PrefetchTemplate(PATIENT_KEY, f"Patient/{_PATIENT}", Requirement.REQUIRED),
    PrefetchTemplate("conditions", f"Condition?patient={_PATIENT}"),
    # Coded facts by code, whatever their category (see prefetch_codes).
    PrefetchTemplate("observations", observation_search(OBSERVATION_CODES)),
    # Pathology reports with their results and hasMember trees (CAP eCC sections -> questions
    # -> sub-questions, MII groupers): results that carry only text or an EHR-local code.
    PrefetchTemplate(
        REPORT_RESULTS_KEY, pathology_report_search("category", PATHOLOGY_REPORT_CATEGORIES)
    ),
    PrefetchTemplate(
        REPORT_RESULTS_BY_CODE_KEY, pathology_report_search("code", PATHOLOGY_REPORT_CODES)
    ),
    PrefetchTemplate("procedures", f"Procedure?patient={_PATIENT}"),
    PrefetchTemplate("serviceRequests", f"ServiceRequest?patient={_PATIENT}"),
    PrefetchTemplate("imagingStudies", f"ImagingStudy?patient={_PATIENT}"),
    PrefetchTemplate("diagnosticReports", f"DiagnosticReport?patient={_PATIENT}"),
    PrefetchTemplate("medicationRequests", f"MedicationRequest?patient={_PATIENT}"),
    PrefetchTemplate("medicationStatements", f"MedicationStatement?patient={_PATIENT}"),
    PrefetchTemplate("specimens", f"Specimen?patient={_PATIENT}"),
)


@dataclass(frozen=True)
class ServiceDefinition:
    """One CDS service: its discovery metadata and the data it needs."""

    id: str
    hook: str
    context_kind: ContextKind
    title: str
    description: str
    prefetch: Mapping[str, PrefetchTemplate] = field(default_factory=dict)
    usage_requirements: str | None = None

    def __post_init__(self) -> None:
        # Frozen all the way down: a shared definition must not be changed by one request.
        object.__setattr__(self, "prefetch", MappingProxyType(dict(self.prefetch)))

    def discovery_entry(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "hook": self.hook,
            "title": self.title,
            "description": self.description,
            "id": self.id,
            "prefetch": {key: p.template for key, p in self.prefetch.items()},
        }
        if self.usage_requirements:
            entry["usageRequirements"] = self.usage_requirements
        return entry


_USAGE = (
    "Send the prefetch keys listed, or fhirServer with fhirAuthorization granting read access "
    "to the patient's Patient, Condition, Observation, Procedure, ServiceRequest, ImagingStudy, "
    "DiagnosticReport, MedicationRequest, MedicationStatement and Specimen resources."
)

_SERVICES: tuple[tuple[str, str | None, ContextKind, str, str], ...] = (
    (
        "pannet-cds-patient-view",
        "patient-view",
        ContextKind.PATIENT_VIEW,
        "PanNET recurrence risk and surveillance",
        "On chart open, for patients after resection of a neuroendocrine tumour: shows a card "
        "when surveillance imaging is due or overdue, or when data needed for scoring is missing.",
    ),
    (
        "pannet-cds-order-sign",
        "order-sign",
        ContextKind.ORDER_SIGN,
        "PanNET surveillance check at order signing",
        "When orders are signed: checks the surveillance imaging schedule after resection of a "
        "neuroendocrine tumour, counting the orders being signed as ordered.",
    ),
    (
        "pannet-cds-encounter-discharge",
        "encounter-discharge",
        ContextKind.ENCOUNTER_DISCHARGE,
        "PanNET surveillance plan at discharge",
        "At discharge after resection of a neuroendocrine tumour: recurrence-risk scores and "
        "the suggested surveillance imaging schedule.",
    ),
    (
        "pannet-cds-pathology-report-sign",
        None,  # the configurable pathology hook name
        ContextKind.PATHOLOGY_SIGN,
        "PanNET recurrence risk at pathology sign-off",
        "When a pathology report is signed: recurrence-risk scores (Zaidi 2019, Ventin 2025, "
        "Zheng 2025) and the suggested surveillance imaging schedule.",
    ),
)


def _observation_template(extra_codes: Iterable[tuple[str, str]]) -> PrefetchTemplate:
    extra = [
        SearchedCode(system, code, "site extra code", "site configuration")
        for system, code in sorted(set(extra_codes))
    ]
    return PrefetchTemplate("observations", observation_search((*OBSERVATION_CODES, *extra)))


def service_definitions(
    pathology_hook_name: str = DEFAULT_PATHOLOGY_HOOK,
    extra_observation_codes: Iterable[tuple[str, str]] = (),
) -> dict[str, ServiceDefinition]:
    """All services keyed by id; built per app so the pathology hook name and a site's local
    Observation codes (clinical.md §6c) can be configured."""
    if not pathology_hook_name.strip() or any(c.isspace() for c in pathology_hook_name):
        raise ValueError("pathology hook name must be a non-empty token without spaces")
    prefetch = {p.key: p for p in PREFETCH_TEMPLATES}
    extra = list(extra_observation_codes)
    if extra:
        prefetch["observations"] = _observation_template(extra)
    return {
        service_id: ServiceDefinition(
            id=service_id,
            hook=hook or pathology_hook_name,
            context_kind=kind,
            title=title,
            description=description,
            prefetch=prefetch,
            usage_requirements=_USAGE,
        )
        for service_id, hook, kind, title, description in _SERVICES
    }


def discovery_document(defs: Mapping[str, ServiceDefinition]) -> dict[str, Any]:
    """The body of `GET /cds-services`."""
    return {"services": [definition.discovery_entry() for definition in defs.values()]}
