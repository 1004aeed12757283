"""What every patient page needs: the active session (checked), a fetcher with the user's token,
the record read from the EHR and its assessment by the shared scoring pipeline."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import g, request

from cds_service.smart.case_header import age_on, medical_record_number
from cds_service.smart.errors import RecordUnusable, SessionExpired, SessionInvalid
from cds_service.smart.oauth import TokenContext
from cds_service.smart.record import PatientRecord, Unread, fetch_record, fetcher_for
from cds_service.smart.sessions import Loaded, SmartSession, Stage
from cds_service.smart.state import smart_state
from cds_service.smart.web import browser_secret, served_over_https
from cds_service.state import service_state
from fhir_mappers.errors import FhirInputError
from fhir_mappers.record import inputs_from_resources
from scoring.assess import assess
from scoring.assessment import Assessment
from scoring.inputs import ClinicalInputs

PAGE_SERVICE = "pannet-cds-patient-view"
# The words the page, its warnings and the card use for data a failed query did not deliver.
UNREAD_PHRASE = "Could not be read from the EHR"
_SCOPE = re.compile(r"^(?:patient|user)/(\*|[A-Za-z]+)\.([a-z*]+)$")


@dataclass(frozen=True)
class ActiveSession:
    loaded: Loaded
    secret: str
    token: TokenContext
    patient_id: str

    @property
    def session(self) -> SmartSession:
        return self.loaded.session


@dataclass(frozen=True)
class Analysis:
    record: PatientRecord
    inputs: ClinicalInputs
    assessment: Assessment
    today: date


def open_session(lid: str) -> ActiveSession:
    secret = browser_secret(
        request, lid, https=served_over_https(request, service_state().settings.base_url)
    )
    if secret is None:
        raise SessionInvalid("The browser did not send the app's session cookie.")
    loaded = smart_state().store.load(lid, secret)
    token = loaded.session.token
    if loaded.session.stage is not Stage.ACTIVE or token is None or not token.patient:
        raise SessionInvalid("This launch did not finish signing in.")
    if token.expires_at is not None and token.expires_at <= time.time():
        raise SessionExpired("The EHR's authorization for this session has run out.")
    # The page header links back to the worklist this patient was opened from (base.html).
    g.worklist_lid = loaded.session.worklist_lid
    return ActiveSession(loaded, secret, token, token.patient)


def analyse(active: ActiveSession) -> Analysis:
    state = service_state()
    fetcher = fetcher_for(active.session.iss, active.token.access_token, state.http)
    record = fetch_record(fetcher, state.services[PAGE_SERVICE], active.patient_id)
    today = date.today()
    try:
        inputs = inputs_from_resources(
            record.resources,
            extra_codes=state.site.extra_code_keys(),
            fhir_base=fetcher.base_url,
        )
    except FhirInputError as exc:
        raise RecordUnusable(str(exc)) from None
    assessment = assess(inputs, today=today, site=state.site)
    if record.unread:
        notes = [unread_warning(u) for u in record.unread]
        assessment = assessment.model_copy(update={"warnings": [*assessment.warnings, *notes]})
    return Analysis(record, inputs, assessment, today)


def unread_warning(unread: Unread) -> str:
    return (
        f"{UNREAD_PHRASE}: {unread.data} ({unread.reason}); what it holds is shown as unknown, "
        "not as absent"
    )


def may_create(scope: str, resource_type: str) -> bool:
    """Whether granted SMART scopes (v2 `.c`/`.cruds` or v1 `.write`/`.*`) allow a create."""
    for item in scope.split():
        match = _SCOPE.match(item)
        if not match or match.group(1) not in ("*", resource_type):
            continue
        perms = match.group(2)
        if perms in ("write", "*") or (set(perms) <= set("cruds") and "c" in perms):
            return True
    return False


def human_name(resource: dict[str, Any]) -> str | None:
    """The first usable HumanName of a Patient or Practitioner, as the EHR records it."""
    names = resource.get("name") or []
    for entry in names if isinstance(names, list) else []:
        if isinstance(entry, dict):
            given = " ".join(g for g in entry.get("given") or [] if isinstance(g, str))
            family = entry.get("family") if isinstance(entry.get("family"), str) else None
            name = entry.get("text") or " ".join(p for p in (given, family) if p)
            if isinstance(name, str) and name.strip():
                return name
    return None


def banner(patient: dict[str, Any], today: date) -> dict[str, Any]:
    """Name, sex, birth date and age, the MRN (or else the first identifier), as recorded."""
    identifiers = [i for i in patient.get("identifier") or [] if isinstance(i, dict)]
    mrn = medical_record_number(patient)
    return {
        "name": human_name(patient) or "(no name recorded)",
        "gender": patient.get("gender"),
        "birth_date": patient.get("birthDate"),
        "age": age_on(patient.get("birthDate"), today),
        "mrn": mrn,
        "identifier": None if mrn else (identifiers[0].get("value") if identifiers else None),
        "id": patient.get("id"),
    }
