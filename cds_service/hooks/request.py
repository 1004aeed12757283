"""Wire models of a CDS Hooks 2.0 service call and the one function that reads them.

Spec: https://cds-hooks.hl7.org/2.0/#http-request (request fields),
https://cds-hooks.hl7.org/2.0/#passing-the-access-token-to-the-cds-service (fhirAuthorization),
the `context` models are in `cds_service.hooks.context`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    SkipValidation,
    ValidationError,
    field_validator,
    model_validator,
)

from cds_service.hooks.context import CONTEXT_MODELS, FHIR_ID, HookContext, Resource
from cds_service.hooks.errors import BadHookRequest
from cds_service.hooks.fhir_server_url import MAX_LENGTH, fhir_server_problem
from cds_service.hooks.services import ServiceDefinition
from scoring.fast_reads import FastReadModel

_PRINTABLE_ASCII = re.compile(r"^[\x21-\x7e]+$")


def _integral(value: object) -> object:
    # JSON has one number type: 300.0 is the integer 300 (a JSON Schema "integer" too).
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class FhirAuthorization(FastReadModel):
    """`fhirAuthorization`: an OAuth 2.0 bearer token for the client's FHIR server (spec §
    "Passing the Access Token"). The token is a SecretStr so no repr, log or error shows it."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)

    access_token: SecretStr = Field(min_length=1, max_length=16384)
    token_type: Literal["Bearer", "bearer"]
    expires_in: Annotated[int, BeforeValidator(_integral)] = Field(ge=0)
    scope: str = Field(min_length=1, max_length=8192)
    subject: str = Field(min_length=1, max_length=1024)
    patient: str | None = Field(default=None, pattern=rf"^{FHIR_ID}$")

    @field_validator("access_token")
    @classmethod
    def _sendable(cls, value: SecretStr) -> SecretStr:
        # It goes into an HTTP header: RFC 6750 tokens are printable ASCII, and anything else
        # could not be sent (it made the FHIR fetch fail with a 500).
        if not _PRINTABLE_ASCII.match(value.get_secret_value()):
            raise ValueError("must be printable ASCII (an RFC 6750 bearer token)")
        return value


class _Envelope(FastReadModel):
    """The request with `context` still raw: its model depends on the service called."""

    model_config = ConfigDict(strict=True, extra="ignore")

    hook: str = Field(min_length=1, max_length=256)
    # The spec asks for a UUID; clients in the wild send other unique strings, so accept any
    # printable token of sane length rather than reject the call.
    hook_instance: str = Field(alias="hookInstance", pattern=r"^[\x21-\x7e]{1,128}$")
    fhir_server: str | None = Field(default=None, alias="fhirServer", max_length=MAX_LENGTH)
    fhir_authorization: FhirAuthorization | None = Field(default=None, alias="fhirAuthorization")
    context: dict[str, Any]
    prefetch: dict[str, dict[str, Any] | None] | None = None

    @field_validator("fhir_server")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        problem = fhir_server_problem(value)
        if problem is not None:
            raise ValueError(problem)
        # "$" in the shared pattern also matches before a final newline (JSON Schema and Python
        # alike); that newline is not part of the URL
        value = value.removesuffix("\n")
        parts = urlsplit(value)
        if not parts.hostname:
            raise ValueError("must be an absolute http(s) URL")
        _ = parts.port  # raises ValueError for a port that is not a number in range
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


class HookRequest(FastReadModel):
    """A validated CDS Hooks request for one service. `prefetch` keeps the difference between
    an omitted key (absent from the dict) and a key sent as null (present, value None).

    Built by `parse_hook_request` only, from what `_Envelope` validated: `prefetch` is not
    validated a second time (that copied every prefetched resource's dict once more, for the
    same value; tests/test_hook_request_skip.py compares it with the validated field)."""

    model_config = ConfigDict(frozen=True)

    hook: str
    hook_instance: str
    fhir_server: str | None
    fhir_authorization: FhirAuthorization | None
    context: HookContext
    prefetch: SkipValidation[dict[str, Resource | None]]


def parse_hook_request(body: object, service: ServiceDefinition) -> HookRequest:
    """Validate a decoded JSON body as a call of `service`; `BadHookRequest` names the field."""
    if not isinstance(body, dict):
        raise BadHookRequest("request body must be a JSON object")
    try:
        envelope = _Envelope.model_validate(body)
    except ValidationError as exc:
        raise BadHookRequest(_describe(exc, prefix="")) from None
    # Fields read from `__dict__`, one dict for all of them (an attribute read runs pydantic's
    # `__getattr__` hook wherever `scoring.fast_reads` cannot remove it).
    fields = envelope.__dict__
    hook = fields["hook"]
    if hook != service.hook:
        raise BadHookRequest(
            f"hook: {hook!r} does not match service {service.id!r}, which serves {service.hook!r}"
        )
    try:
        context = CONTEXT_MODELS[service.context_kind].model_validate(fields["context"])
    except ValidationError as exc:
        raise BadHookRequest(_describe(exc, prefix="context.")) from None
    # Built without validating again: every value is one `_Envelope` or the context model
    # validated, of the type `HookRequest` declares, which validation would keep as it is
    # (tests/test_hook_request_skip.py compares the two).
    return HookRequest.model_construct(
        hook=hook,
        hook_instance=fields["hook_instance"],
        fhir_server=fields["fhir_server"],
        fhir_authorization=fields["fhir_authorization"],
        context=context,
        prefetch=dict(fields["prefetch"] or {}),
    )


_MESSAGES = {"missing": "field required", "dict_type": "must be a JSON object"}


def _describe(exc: ValidationError, prefix: str) -> str:
    """'field.path: problem' for each error; never the offending input (it may be a token)."""
    problems = []
    for error in exc.errors(include_input=False, include_url=False):
        path = ".".join(str(part) for part in error["loc"])
        message = _MESSAGES.get(error["type"], error["msg"])
        message = message.removeprefix("Value error, ")
        # A cross-field check reports at the model level and names its fields itself.
        where = f"{prefix}{path}".rstrip(".")
        problems.append(f"{where}: {message}" if where else message)
    return "; ".join(problems)
