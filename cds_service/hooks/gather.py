"""Collecting the FHIR resources one hook call needs: context, then prefetch, then the server.

Policy per prefetch key (https://cds-hooks.hl7.org/2.0/#prefetch-template):
- a resource or Bundle: used as sent;
- omitted, or an OperationOutcome (or a Bundle of nothing but OperationOutcomes): the client did
  not or could not fetch it, so this service fetches it from `fhirServer`;
- `null`: the client says it has no data; for a search that is an empty result and is not
  fetched again; for the one required read (the Patient) it is fetched when a server is known,
  since nothing can be computed without it.
Data that still cannot be had: a required key raises `RequiredDataUnavailable` (412); an
optional one is named in `failed` and the result is `degraded`.

Bounds on the work one call can ask for: a prefetch key holding more than
`MAX_RESOURCES_PER_KEY` resources, or a call holding more than `MAX_RESOURCES_PER_CALL` in all,
is refused with `TooMuchData` (413, stating the limit); a fetched key past the per-key limit is
not read (the fetcher stops paging) and counts as failed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import requests

from cds_service.hooks.context import patient_of
from cds_service.hooks.errors import BadHookRequest, RequiredDataUnavailable, TooMuchData
from cds_service.hooks.fhir_client import DEFAULT_BUDGET_S, MAX_RESOURCES_PER_KEY, FhirFetcher
from cds_service.hooks.fhir_targets import FhirServerPolicy
from cds_service.hooks.prefetch import (
    OTHER_PATIENT,
    PrefetchState,
    read_prefetch,
    render_template,
    renders,
)
from cds_service.hooks.request import HookRequest
from cds_service.hooks.services import PrefetchTemplate, Requirement, ServiceDefinition

Resource = dict[str, Any]

# 20,000 Observations cost 3.7 s of CPU in the mappers (issue 11.9): a call is bounded well below.
MAX_RESOURCES_PER_CALL = 20_000

# What each resource type holds, in words, for messages a person reads (a 412 names the data
# that is missing, not the prefetch template). Types: the prefetch templates in services.py.
DATA_WORDS = {
    "Patient": "Patient",
    "Condition": "diagnoses (Condition)",
    "Observation": "pathology and laboratory results (Observation)",
    "Procedure": "procedures (Procedure)",
    "ServiceRequest": "orders (ServiceRequest)",
    "ImagingStudy": "imaging studies (ImagingStudy)",
    "DiagnosticReport": "reports (DiagnosticReport)",
    "MedicationRequest": "medication orders (MedicationRequest)",
    "MedicationStatement": "medications (MedicationStatement)",
    "Specimen": "specimens (Specimen)",
    "Encounter": "Encounter",
}


@dataclass(frozen=True)
class GatherResult:
    """Everything gathered for one call, with where each prefetch key's data came from.

    `resources` starts with the resources carried in the hook context (listed in
    `context_references`): they are what is being signed or ordered and win over older copies
    from the server, which are dropped. Contained resources stay inside their container.
    """

    resources: list[Resource]
    from_prefetch: list[str] = field(default_factory=list)
    fetched: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    degraded: bool = False
    context_references: list[str] = field(default_factory=list)


def make_fetcher(
    request: HookRequest,
    session: requests.Session,
    budget_s: float = DEFAULT_BUDGET_S,
    *,
    policy: FhirServerPolicy | None = None,
    issuer: str | None = None,
) -> FhirFetcher | None:
    """A fetcher for the call's `fhirServer` with its bearer token, or None without a server.
    With a `policy`, the server is checked (allowlist of `issuer`, public address) by the first
    query, before any connection; a refusal fails every query with the policy's reason."""
    if request.fhir_server is None:
        return None
    token = request.fhir_authorization.access_token if request.fhir_authorization else None
    server = request.fhir_server
    if policy is None:
        return FhirFetcher(server, token, session, budget_s=budget_s)
    peer_allowed = None if policy.allowlisted(server, issuer) else policy.peer_allowed
    return FhirFetcher(
        server,
        token,
        session,
        budget_s=budget_s,
        target_check=lambda: policy.refusal(server, issuer),
        peer_allowed=peer_allowed,
    )


def describe_data(spec: PrefetchTemplate, rendered: str | None) -> str:
    """The data of one prefetch key in words: 'Patient (Patient/123)', 'diagnoses (Condition)'."""
    words = DATA_WORDS.get(spec.resource_type, spec.resource_type)
    if spec.is_read and rendered is not None:
        return f"{words} ({rendered})"
    return words


def gather_resources(
    request: HookRequest,
    service: ServiceDefinition,
    fetcher: FhirFetcher | None,
    budget_s: float,
) -> GatherResult:
    """Gather the call's resources; raises `BadHookRequest` for prefetch data of the wrong type
    or patient, and `RequiredDataUnavailable` when the Patient cannot be had."""
    patient_id = request.context.patient_id
    tokens = request.context.token_values()
    collected: dict[str, tuple[Resource, ...]] = {}
    from_prefetch: list[str] = []
    to_fetch: dict[str, str] = {}
    why_missing: dict[str, str] = {}

    for key, spec in service.prefetch.items():
        if not renders(spec.template, tokens):
            continue  # a token it needs is absent from this call's context
        try:
            # A search's patient check is made in `read_prefetch`'s pass over its entries.
            reading = read_prefetch(request.prefetch, spec, patient_id)
            if reading.state is PrefetchState.PROVIDED and spec.is_read:
                _check_patient(reading.resources, spec, patient_id)
        except ValueError as exc:
            raise BadHookRequest(f"prefetch.{key}: {exc}") from None
        if len(reading.resources) > MAX_RESOURCES_PER_KEY:
            raise TooMuchData(
                f"prefetch.{key} holds {len(reading.resources)} resources; "
                f"the limit is {MAX_RESOURCES_PER_KEY} per prefetch key"
            )
        if reading.state is PrefetchState.PROVIDED:
            collected[key] = reading.resources
            from_prefetch.append(key)
        elif reading.state is PrefetchState.NO_DATA and spec.requirement is Requirement.OPTIONAL:
            collected[key] = ()
            from_prefetch.append(key)
        else:
            # Its URL is built only here: a key the client prefetched needs none.
            to_fetch[key] = render_template(spec.template, tokens)
            why_missing[key] = reading.note

    failed: dict[str, str] = {}
    fetched: list[str] = []
    if fetcher is None:
        for key in to_fetch:
            failed[key] = f"{why_missing[key]}; no fhirServer to fetch from"
    elif to_fetch:
        for key, outcome in fetcher.fetch_many(to_fetch, budget_s).items():
            if not outcome.ok:
                failed[key] = f"{why_missing[key]}; fetch failed: {outcome.error}"
                continue
            try:
                _check_patient(outcome.resources, service.prefetch[key], patient_id)
            except ValueError:
                failed[key] = f"{why_missing[key]}; server returned another patient's data"
                continue
            collected[key] = outcome.resources
            fetched.append(key)

    required = [key for key in failed if service.prefetch[key].requirement is Requirement.REQUIRED]
    if required:
        lines = [
            # Every failed key was one to fetch, whose URL is in `to_fetch`.
            f"{describe_data(service.prefetch[k], to_fetch[k])}: {failed[k]}"
            for k in required
        ]
        raise RequiredDataUnavailable(lines, keys=required)

    context_resources = request.context.context_resources()
    ordered = [*context_resources]
    for key in service.prefetch:
        ordered.extend(collected.get(key, ()))
    if len(ordered) > MAX_RESOURCES_PER_CALL:
        raise TooMuchData(
            f"the call holds {len(ordered)} resources; the limit is {MAX_RESOURCES_PER_CALL} "
            f"per call (and {MAX_RESOURCES_PER_KEY} per prefetch key)"
        )
    return GatherResult(
        resources=_first_of_each(ordered),
        from_prefetch=from_prefetch,
        fetched=fetched,
        failed=failed,
        degraded=bool(failed),
        context_references=[ref for r in context_resources if (ref := _reference(r))],
    )


def _check_patient(
    resources: tuple[Resource, ...], spec: PrefetchTemplate, patient_id: str
) -> None:
    """Refuse data about another patient: a client or server bug that must not be scored."""
    if spec.is_read and spec.resource_type == "Patient":
        if resources[0].get("id") != patient_id:
            raise ValueError("Patient id does not match context.patientId")
        return
    for resource in resources:
        other = patient_of(resource)
        if other is not None and other != patient_id:
            raise ValueError(OTHER_PATIENT)


def _reference(resource: Resource) -> str | None:
    rid = resource.get("id")
    return f"{resource['resourceType']}/{rid}" if isinstance(rid, str) and rid else None


def _first_of_each(resources: list[Resource]) -> list[Resource]:
    """Drop later copies of the same Type/id, so context data wins over server data."""
    seen: set[str] = set()
    unique = []
    for resource in resources:
        ref = _reference(resource)
        if ref is not None:
            if ref in seen:
                continue
            seen.add(ref)
        unique.append(resource)
    return unique
