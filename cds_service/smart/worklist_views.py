"""The SMART app's worklist page (issue 15): after a practitioner launch (no patient in context,
user-level scopes), the latest worklist stored for the launch's FHIR server, ranked, each row
opening that patient's page.

A row opens its patient in a launch of its own: a new session holding the practitioner's token
with that patient in context, so the patient page, its what-if, orders and "where from" views
work unchanged and two patients opened in two tabs stay apart. The EHR's FHIR server still
decides what the token may read; the app adds no access of its own.
"""

from __future__ import annotations

import re
import time
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import Response, redirect, render_template, request, url_for
from werkzeug.exceptions import NotFound

from cds_service.smart.errors import BadInput, SessionExpired, SessionInvalid, SmartError
from cds_service.smart.launch_views import drop_stale_cookies, start_launch
from cds_service.smart.oauth import TokenContext
from cds_service.smart.practitioner import reads_any_patient
from cds_service.smart.sessions import (
    ACTIVE_LIFETIME_S,
    Loaded,
    SmartSession,
    Stage,
    new_launch_id,
    new_secret,
)
from cds_service.smart.state import smart_state
from cds_service.smart.web import browser_secret, served_over_https, set_browser_cookie
from cds_service.state import service_state
from cds_service.worklist.html_page import asset, render_worklist_body
from cds_service.worklist.models import Worklist
from cds_service.worklist.store import WorklistStoreError, latest_worklist

# The app's CSP allows scripts and styles from itself only: the worklist's are served as files.
ASSETS = {"worklist.css": "text/css", "worklist.js": "text/javascript"}
# A weekly run is the routine: past this the page says the list may be out of date.
STALE_AFTER_DAYS = 8
_PATIENT_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


class WorklistUnavailable(SmartError):
    status = 503
    title = "The worklist could not be read"
    hint = "Try again in a moment; if it persists, tell the team that runs pannet-cds."


class NotPractitionerLaunch(SmartError):
    status = 403
    title = "The worklist needs a practitioner launch"
    hint = (
        "Open the worklist from the EHR's menu (not from a patient's chart), or sign in to it "
        "from the app's start page."
    )


@dataclass(frozen=True)
class PractitionerSession:
    loaded: Loaded
    secret: str
    token: TokenContext

    @property
    def session(self) -> SmartSession:
        return self.loaded.session


def _https() -> bool:
    return served_over_https(request, service_state().settings.base_url)


def _open_practitioner(lid: str) -> PractitionerSession:
    secret = browser_secret(request, lid, https=_https())
    if secret is None:
        raise SessionInvalid("The browser did not send the app's session cookie.")
    loaded = smart_state().store.load(lid, secret)
    token = loaded.session.token
    if loaded.session.stage is not Stage.ACTIVE or token is None:
        raise SessionInvalid("This launch did not finish signing in.")
    if token.expires_at is not None and token.expires_at <= time.time():
        raise SessionExpired("The EHR's authorization for this session has run out.")
    if token.patient or not reads_any_patient(token.scope):
        raise NotPractitionerLaunch("This launch's authorization covers one patient only.")
    return PractitionerSession(loaded, secret, token)


def practitioner_launch() -> Response:
    return start_launch(practitioner=True)


def _age_days(worklist: Worklist) -> int | None:
    try:
        produced = datetime.fromisoformat(worklist.generated_at)
    except ValueError:
        return None
    produced = produced if produced.tzinfo else produced.replace(tzinfo=UTC)
    return max((datetime.now(UTC) - produced).days, 0)


def worklist_page(lid: str) -> str:
    active = _open_practitioner(lid)
    iss = active.session.iss
    try:
        worklist = latest_worklist(service_state().engine, iss)
    except WorklistStoreError as exc:
        raise WorklistUnavailable(str(exc)) from None
    body = None
    age = None
    if worklist is not None:
        body = render_worklist_body(
            worklist, lambda pid: url_for("smart.worklist_patient", lid=lid, pid=pid)
        )
        age = _age_days(worklist)
    return render_template(
        "smart/worklist.html",
        lid=None,  # no patient page belongs to this launch
        user=active.token.user,
        banner=None,
        patient_name=None,
        iss=iss,
        worklist=worklist,
        body=body,
        age_days=age,
        stale=age is not None and age >= STALE_AFTER_DAYS,
    )


def open_patient(lid: str, pid: str) -> Response:
    """A new launch for patient `pid` with this practitioner's token, and its patient page."""
    active = _open_practitioner(lid)
    if not _PATIENT_ID.match(pid):
        raise BadInput("That is not a FHIR patient id.", hint="Go back to the worklist.")
    token = active.token.model_copy(
        update={
            "patient": pid,
            # The EHR shows no banner for a patient it did not open: the app must name them.
            "need_patient_banner": True,
            "app_context": None,
            "encounter": None,
            "fhir_context": [],
            "intent": None,
        }
    )
    session = active.session
    child = SmartSession(
        iss=session.iss,
        stage=Stage.ACTIVE,
        redirect_uri=session.redirect_uri,
        token_endpoint=session.token_endpoint,
        requested_scope=session.requested_scope,
        token=token,
        worklist_lid=lid,
    )
    store = smart_state().store
    child_lid, secret = new_launch_id(), new_secret()
    store.create(child_lid, secret, child)
    store.save(store.load(child_lid, secret), secret, child, extend=True)  # an active lifetime
    # The worklist's own launch becomes the newest, so opening many patients never makes the
    # browser drop the worklist's cookie (the oldest launches' cookies go first).
    # (SessionInvalid: another tab extended it at the same moment, which does the same.)
    with suppress(SessionInvalid):
        store.save(active.loaded, active.secret, session, extend=True)
    https = _https()
    response = redirect(url_for("smart.patient_page", lid=child_lid))
    drop_stale_cookies(response, smart_state(), https=https)
    config = smart_state().config
    set_browser_cookie(response, child_lid, secret, config, https=https, max_age=ACTIVE_LIFETIME_S)
    return response


def worklist_asset(name: str) -> Response:
    if name not in ASSETS:
        raise NotFound()
    return Response(asset(name), mimetype=ASSETS[name])
