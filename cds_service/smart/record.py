"""The patient's record, read from the EHR's FHIR server with the user's token: the same queries
the CDS services prefetch (so the app and the card see the same data), through the same fetcher.
A Patient that cannot be read ends the page with a reason; other queries that fail are named on
the page as data that could not be read from the EHR, never as data the record lacks.

Every search parameter value goes out percent-encoded (`code=http://loinc.org|x` as
`code=http%3A%2F%2Floinc.org%7Cx`, as fhirclient.js sends it): a proxy in front of the EHR (the
public SMART launcher's) collapses `//` inside a query otherwise, and the search then quietly
matches nothing. The shared fetcher does that encoding (`hooks.fhir_queries.encoded_search`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import requests
from pydantic import SecretStr

from cds_service.hooks.context import patient_of
from cds_service.hooks.fhir_client import Deadline, FhirFetcher
from cds_service.hooks.gather import DATA_WORDS
from cds_service.hooks.prefetch import render_prefetch
from cds_service.hooks.services import PATIENT_KEY, ServiceDefinition
from cds_service.smart.errors import FhirForbidden, FhirUnavailable, NotInEhr, SessionExpired

# A person waits for this page, not an EHR for a hook answer: a longer budget than a hook's.
SMART_FHIR_BUDGET_S = 10.0
_TYPE = re.compile(r"^[A-Z][A-Za-z]{1,63}$")
_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")

Resource = dict[str, Any]


@dataclass(frozen=True)
class Unread:
    """One query whose data could not be read from the EHR, and why (a fixed phrase)."""

    key: str
    resource_type: str
    data: str
    reason: str


@dataclass(frozen=True)
class PatientRecord:
    patient: Resource
    resources: list[Resource]
    unread: list[Unread] = field(default_factory=list)


def fetcher_for(iss: str, token: str, http: requests.Session) -> FhirFetcher:
    return FhirFetcher(iss, SecretStr(token), http, budget_s=SMART_FHIR_BUDGET_S)


def _raise_for(reason: str, what: str) -> None:
    if reason == "HTTP 401":
        raise SessionExpired(f"The FHIR server no longer accepts this session's token ({what}).")
    if reason == "HTTP 403":
        raise FhirForbidden(f"The FHIR server refused to give {what}.")
    if reason in ("HTTP 404", "HTTP 410"):
        raise NotInEhr(f"The EHR's FHIR server has no {what} ({reason}).")
    raise FhirUnavailable(f"Reading {what} failed: {reason}.")


def fetch_record(
    fetcher: FhirFetcher, service: ServiceDefinition, patient_id: str
) -> PatientRecord:
    queries = render_prefetch(service, {"context.patientId": patient_id})
    outcomes = fetcher.fetch_many(queries)  # the fetcher percent-encodes every search value
    patient_outcome = outcomes.pop(PATIENT_KEY)
    if not patient_outcome.ok:
        _raise_for(patient_outcome.error or "failed", "the patient's record")
    patient = patient_outcome.resources[0]
    if patient.get("id") != patient_id:
        raise FhirUnavailable("The FHIR server answered with another patient than requested.")
    resources: list[Resource] = [patient]
    seen = {f"Patient/{patient_id}"}
    unread: list[Unread] = []

    def could_not_read(key: str, reason: str) -> None:
        kind = service.prefetch[key].resource_type
        unread.append(Unread(key, kind, DATA_WORDS.get(kind, kind), reason))

    for key, outcome in outcomes.items():
        if not outcome.ok:
            if outcome.error == "HTTP 401":
                _raise_for(outcome.error, key)
            could_not_read(key, outcome.error or "failed")
            continue
        if any(patient_of(r) not in (None, patient_id) for r in outcome.resources):
            could_not_read(key, "the server returned another patient's data; not used")
            continue
        for resource in outcome.resources:
            ref = f"{resource.get('resourceType')}/{resource.get('id')}"
            if ref not in seen:
                seen.add(ref)
                resources.append(resource)
    return PatientRecord(patient=patient, resources=resources, unread=unread)


def read_resource(fetcher: FhirFetcher, reference: str, patient_id: str) -> Resource:
    """One `Type/id` read for the "where from" links, shown only if it is this patient's."""
    kind, _, rid = reference.partition("/")
    if not _TYPE.match(kind) or not _ID.match(rid):
        raise FhirForbidden(f"{reference!r} is not a FHIR reference the app can show.")
    outcome = fetcher.fetch(reference, reference, Deadline(SMART_FHIR_BUDGET_S))
    if outcome.error in ("HTTP 404", "HTTP 410"):
        # The reference comes from the page's address: shown apart, as code, not in the prose.
        message = f"The EHR's FHIR server has no such resource ({outcome.error})."
        raise NotInEhr(message, quoted=reference)
    if not outcome.ok:
        _raise_for(outcome.error or "failed", reference)
    resource = outcome.resources[0]
    if patient_of(resource) not in (None, patient_id):
        raise FhirForbidden(f"{reference} is not about the patient of this session.")
    return resource
