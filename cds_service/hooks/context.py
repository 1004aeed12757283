"""Hook context models: the `context` object of each hook this project serves.

Specs: https://cds-hooks.hl7.org/hooks/patient-view/, .../order-sign/ (draftOrders Bundle),
.../encounter-discharge/, and the project's pathology sign-off hook (see README). Resources stay
plain dicts; only their type and the patient they are about are checked here.
"""

from __future__ import annotations

import functools
import re
from typing import Any, ClassVar

from pydantic import ConfigDict, Field, field_validator, model_validator

from cds_service.hooks.services import ContextKind
from scoring.fast_reads import FastReadModel

FHIR_ID = r"[A-Za-z0-9\-.]{1,64}"
_USER_ID = re.compile(rf"^(Practitioner|PractitionerRole|Patient|RelatedPerson)/({FHIR_ID})$")
# A reference to a Patient, relative or absolute, optionally versioned.
_PATIENT_REF = re.compile(rf"(?:^|/)Patient/({FHIR_ID})(?:/_history/[^/]+)?$")

Resource = dict[str, Any]


def patient_of(resource: Resource) -> str | None:
    """The Patient id a resource is about, when it says so with a literal Patient reference."""
    if resource.get("resourceType") == "Patient":
        rid = resource.get("id")
        return rid if isinstance(rid, str) else None
    for element in ("subject", "patient"):
        ref = resource.get(element)
        if isinstance(ref, dict) and isinstance(ref.get("reference"), str):
            match = _PATIENT_REF.search(ref["reference"])
            if match:
                return match.group(1)
    return None


def _require_resource(value: Resource, resource_type: str) -> Resource:
    if value.get("resourceType") != resource_type:
        raise ValueError(f"must be a FHIR {resource_type}")
    return value


def _bundle_resources(bundle: Resource) -> list[Resource]:
    entries = bundle.get("entry", [])
    if not isinstance(entries, list):
        raise ValueError("Bundle.entry must be an array")
    resources = []
    for index, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            raise ValueError(f"Bundle.entry[{index}].resource must be a FHIR resource")
        resources.append(resource)
    return resources


class HookContext(FastReadModel):
    """Fields shared by every hook this project serves; subclasses add the hook's own."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True, populate_by_name=False)

    # Only root-level primitive fields may fill prefetch tokens (spec "Prefetch tokens").
    TOKEN_FIELDS: ClassVar[tuple[str, ...]] = ("userId", "patientId", "encounterId")

    user_id: str = Field(alias="userId")
    patient_id: str = Field(alias="patientId", pattern=rf"^{FHIR_ID}$")
    encounter_id: str | None = Field(default=None, alias="encounterId", pattern=rf"^{FHIR_ID}$")

    @field_validator("user_id")
    @classmethod
    def _user_reference(cls, value: str) -> str:
        if not _USER_ID.match(value):
            raise ValueError("must be a reference like Practitioner/123")
        return value

    def token_values(self) -> dict[str, str]:
        """Values for prefetch tokens: `context.<field>` and the `user<Type>Id` user tokens."""
        values: dict[str, str] = {}
        for name in self.TOKEN_FIELDS:
            value = getattr(self, _snake(name))
            if value is not None:
                values[f"context.{name}"] = value
        user_type, user_id = self.user_id.split("/", 1)
        values[f"user{user_type}Id"] = user_id
        return values

    def context_resources(self) -> list[Resource]:
        """FHIR resources carried in the context itself (none for most hooks)."""
        return []


@functools.cache
def _snake(name: str) -> str:  # called with the models' own field names only
    return re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), name)


def _check_same_patient(resources: list[Resource], patient_id: str, where: str) -> None:
    for index, resource in enumerate(resources):
        label = where if len(resources) == 1 and "entry" not in where else f"{where}[{index}]"
        contained = resource.get("contained", [])
        inner = contained if isinstance(contained, list) else []
        for part, item in [(label, resource)] + [
            (f"{label}.contained[{i}]", c) for i, c in enumerate(inner) if isinstance(c, dict)
        ]:
            other = patient_of(item)
            if other is not None and other != patient_id:
                raise ValueError(f"{part} is about another patient than context.patientId")


class PatientViewContext(HookContext):
    """patient-view: https://cds-hooks.hl7.org/hooks/patient-view/ (encounterId optional)."""


class EncounterDischargeContext(HookContext):
    """encounter-discharge: https://cds-hooks.hl7.org/hooks/encounter-discharge/ (all required)."""

    encounter_id: str = Field(alias="encounterId", pattern=rf"^{FHIR_ID}$")


class OrderSignContext(HookContext):
    """order-sign: https://cds-hooks.hl7.org/hooks/order-sign/ with `draftOrders` a Bundle."""

    draft_orders: dict[str, Any] = Field(alias="draftOrders")

    @field_validator("draft_orders")
    @classmethod
    def _bundle(cls, value: Resource) -> Resource:
        _bundle_resources(_require_resource(value, "Bundle"))
        return value

    @model_validator(mode="after")
    def _orders_for_this_patient(self) -> OrderSignContext:
        _check_same_patient(self.context_resources(), self.patient_id, "draftOrders.entry")
        return self

    def context_resources(self) -> list[Resource]:
        return _bundle_resources(self.draft_orders)


class PathologySignContext(HookContext):
    """Pathology report sign-off (project hook, see README): the DiagnosticReport being signed,
    its results possibly contained, plus an optional Bundle of the report's Observations."""

    diagnostic_report: dict[str, Any] = Field(alias="diagnosticReport")
    results: dict[str, Any] | None = None

    @field_validator("diagnostic_report")
    @classmethod
    def _report(cls, value: Resource) -> Resource:
        return _require_resource(value, "DiagnosticReport")

    @field_validator("results")
    @classmethod
    def _results(cls, value: Resource | None) -> Resource | None:
        if value is not None:
            _bundle_resources(_require_resource(value, "Bundle"))
        return value

    @model_validator(mode="after")
    def _report_for_this_patient(self) -> PathologySignContext:
        _check_same_patient([self.diagnostic_report], self.patient_id, "diagnosticReport")
        if self.results is not None:
            _check_same_patient(_bundle_resources(self.results), self.patient_id, "results.entry")
        return self

    def context_resources(self) -> list[Resource]:
        # The report first: it is what is being signed, and contained results stay inside it.
        resources = [self.diagnostic_report]
        if self.results is not None:
            resources.extend(_bundle_resources(self.results))
        return resources


CONTEXT_MODELS: dict[ContextKind, type[HookContext]] = {
    ContextKind.PATIENT_VIEW: PatientViewContext,
    ContextKind.ORDER_SIGN: OrderSignContext,
    ContextKind.ENCOUNTER_DISCHARGE: EncounterDischargeContext,
    ContextKind.PATHOLOGY_SIGN: PathologySignContext,
}
