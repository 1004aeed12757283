"""Wire models of a CDS Hooks 2.0 service call and the one function that reads them.

Spec: https://cds-hooks.hl7.org/2.0/#http-request (request fields),
https://cds-hooks.hl7.org/2.0/#passing-the-access-token-to-the-cds-service (fhirAuthorization),
and the hook definitions patient-view, order-sign and encounter-discharge (context fields).
FHIR resources stay plain dicts here; only their type and patient are checked, the mappers
validate the rest.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from cds_service.hooks.errors import BadHookRequest
from cds_service.hooks.services import ContextKind, ServiceDefinition

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


class FhirAuthorization(BaseModel):
    """`fhirAuthorization`: an OAuth 2.0 bearer token for the client's FHIR server (spec §
    "Passing the Access Token"). The token is a SecretStr so no repr, log or error shows it."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)

    access_token: SecretStr = Field(min_length=1, max_length=16384)
    token_type: Literal["Bearer", "bearer"]
    expires_in: int = Field(ge=0)
    scope: str = Field(min_length=1, max_length=8192)
    subject: str = Field(min_length=1, max_length=1024)
    patient: str | None = Field(default=None, pattern=rf"^{FHIR_ID}$")


class HookContext(BaseModel):
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


def _snake(name: str) -> str:
    return re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), name)


def _check_same_patient(resources: list[Resource], patient_id: str, where: str) -> None:
    for index, resource in enumerate(resources):
        other = patient_of(resource)
        if other is not None and other != patient_id:
            label = where if len(resources) == 1 and "entry" not in where else f"{where}[{index}]"
            raise ValueError(f"{label} is about another patient than context.patientId")


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


class _Envelope(BaseModel):
    """The request with `context` still raw: its model depends on the service called."""

    model_config = ConfigDict(strict=True, extra="ignore")

    hook: str = Field(min_length=1, max_length=256)
    # The spec asks for a UUID; clients in the wild send other unique strings, so accept any
    # printable token of sane length rather than reject the call.
    hook_instance: str = Field(alias="hookInstance", pattern=r"^[\x21-\x7e]{1,128}$")
    fhir_server: str | None = Field(default=None, alias="fhirServer", max_length=2048)
    fhir_authorization: FhirAuthorization | None = Field(default=None, alias="fhirAuthorization")
    context: dict[str, Any]
    prefetch: dict[str, dict[str, Any] | None] | None = None

    @field_validator("fhir_server")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an absolute http(s) URL")
        if parts.query or parts.fragment:
            raise ValueError("must be a base URL without query or fragment")
        return value.rstrip("/")

    @field_validator("prefetch")
    @classmethod
    def _resources(
        cls, value: dict[str, Resource | None] | None
    ) -> dict[str, Resource | None] | None:
        for key, resource in (value or {}).items():
            if resource is not None and not isinstance(resource.get("resourceType"), str):
                raise ValueError(f"value of key {key!r} must be a FHIR resource or null")
        return value

    @model_validator(mode="after")
    def _server_for_token(self) -> _Envelope:
        if self.fhir_authorization is not None and self.fhir_server is None:
            raise ValueError("fhirServer: required when fhirAuthorization is given")
        return self


class HookRequest(BaseModel):
    """A validated CDS Hooks request for one service. `prefetch` keeps the difference between
    an omitted key (absent from the dict) and a key sent as null (present, value None)."""

    model_config = ConfigDict(frozen=True)

    hook: str
    hook_instance: str
    fhir_server: str | None
    fhir_authorization: FhirAuthorization | None
    context: HookContext
    prefetch: dict[str, Resource | None]


def parse_hook_request(body: object, service: ServiceDefinition) -> HookRequest:
    """Validate a decoded JSON body as a call of `service`; `BadHookRequest` names the field."""
    if not isinstance(body, dict):
        raise BadHookRequest("request body must be a JSON object")
    try:
        envelope = _Envelope.model_validate(body)
    except ValidationError as exc:
        raise BadHookRequest(_describe(exc, prefix="")) from None
    if envelope.hook != service.hook:
        raise BadHookRequest(
            f"hook: {envelope.hook!r} does not match service {service.id!r}, "
            f"which serves {service.hook!r}"
        )
    try:
        context = CONTEXT_MODELS[service.context_kind].model_validate(envelope.context)
    except ValidationError as exc:
        raise BadHookRequest(_describe(exc, prefix="context.")) from None
    return HookRequest(
        hook=envelope.hook,
        hook_instance=envelope.hook_instance,
        fhir_server=envelope.fhir_server,
        fhir_authorization=envelope.fhir_authorization,
        context=context,
        prefetch=dict(envelope.prefetch or {}),
    )


_MESSAGES = {"missing": "field required", "dict_type": "must be a JSON object"}


def _describe(exc: ValidationError, prefix: str) -> str:
    """'field.path: problem' for each error; never the offending input (it may be a token)."""
    problems = []
    for error in exc.errors(include_input=False, include_url=False):
        path = ".".join(str(part) for part in error["loc"])
        message = _MESSAGES.get(error["type"], error["msg"])
        message = message.removeprefix("Value error, ")
        if error["type"] == "value_error" and message.startswith("fhirServer:"):
            problems.append(message)
            continue
        problems.append(
            f"{prefix}{path}: {message}" if path else f"{prefix.rstrip('.')}: {message}"
        )
    return "; ".join(problems)
