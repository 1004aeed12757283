"""Launch: EHR launch (`iss` + `launch`) and standalone launch (`iss` only), the OAuth callback,
and the start page. SMART App Launch 2.x, https://hl7.org/fhir/smart-app-launch/app-launch.html
"""

from __future__ import annotations

import hmac
import json
import re
import secrets

from flask import Response, redirect, render_template, request, url_for

from cds_service.hooks.fhir_client import Deadline
from cds_service.smart.config import IssuerConfig, default_scope, normalise_iss
from cds_service.smart.discovery import discover
from cds_service.smart.errors import (
    AuthorizationDenied,
    AuthorizationFailed,
    MissingIssuer,
    SessionInvalid,
    UnknownIssuer,
)
from cds_service.smart.identity import SignedInUser, verify_id_token
from cds_service.smart.oauth import TokenContext, exchange_code, start_authorization
from cds_service.smart.page_context import human_name
from cds_service.smart.practitioner import practitioner_scope, reads_any_patient
from cds_service.smart.record import fetcher_for
from cds_service.smart.sessions import (
    ACTIVE_LIFETIME_S,
    AUTHORIZING_LIFETIME_S,
    SmartSession,
    Stage,
    new_launch_id,
    new_secret,
)
from cds_service.smart.state import SmartState, smart_state
from cds_service.smart.web import (
    MAX_BROWSER_LAUNCHES,
    browser_launches,
    browser_secret,
    drop_browser_cookie,
    served_over_https,
    set_browser_cookie,
)
from cds_service.state import service_state

PAGE_SERVICE = "pannet-cds-patient-view"
USER_READ_BUDGET_S = 5.0
_USER_REFERENCE = re.compile(
    r"^(?:Practitioner|PractitionerRole|Patient|RelatedPerson|Person)/[A-Za-z0-9\-.]{1,64}$"
)


def _base_url() -> str:
    return (service_state().settings.base_url or request.host_url).rstrip("/")


def _https() -> bool:
    return served_over_https(request, service_state().settings.base_url)


def start_page() -> str:
    return render_template("smart/start.html", issuers=sorted(smart_state().config.issuers))


def launch() -> Response:
    return start_launch(practitioner=False)


def start_launch(*, practitioner: bool) -> Response:
    """Send the browser to the EHR's sign-in. A practitioner launch (the worklist) asks for
    user-level scopes and expects no patient in context."""
    iss = (request.args.get("iss") or "").strip()
    launch_id = request.args.get("launch") or None
    if not iss:
        raise MissingIssuer("The app was opened without the EHR's FHIR server address (iss).")
    state = smart_state()
    issuer = state.config.issuer(iss)
    if issuer is None:
        raise UnknownIssuer(
            "The app is not configured for the FHIR server it was opened with.", quoted=iss
        )
    iss = normalise_iss(iss)
    http = service_state().http
    smart_config = discover(iss, http)
    service = service_state().services[PAGE_SERVICE]
    types = [spec.resource_type for spec in service.prefetch.values()]
    if practitioner:
        scope = practitioner_scope(types, ehr_launch=launch_id is not None)
    else:
        scope = issuer.scope or default_scope(types, ehr_launch=launch_id is not None)
    redirect_uri = f"{_base_url()}/smart/callback"
    # Always a new secret, made here: never one the browser brought along (session fixation).
    secret = new_secret()
    lid = new_launch_id()
    oauth_state = f"{lid}.{secrets.token_urlsafe(24)}"
    start = start_authorization(
        iss=iss,
        issuer=issuer,
        config=smart_config,
        redirect_uri=redirect_uri,
        scope=scope,
        state=oauth_state,
        launch=launch_id,
    )
    session = SmartSession(
        iss=iss,
        stage=Stage.AUTHORIZING,
        state=oauth_state,
        code_verifier=start.code_verifier,
        nonce=start.nonce,
        launch=launch_id,
        redirect_uri=redirect_uri,
        token_endpoint=smart_config.token_endpoint,
        requested_scope=scope,
    )
    state.store.create(lid, secret, session)
    response = redirect(start.url)
    https = _https()
    drop_stale_cookies(response, state, https=https)
    set_browser_cookie(
        response, lid, secret, state.config, https=https, max_age=AUTHORIZING_LIFETIME_S
    )
    return response


def drop_stale_cookies(response: Response, state: SmartState, *, https: bool) -> None:
    """Forget cookies of launches that ended, and the oldest beyond MAX_BROWSER_LAUNCHES - 1
    (this launch adds one)."""
    held = browser_launches(request, https=https)
    expiry = state.store.expiry_of(held)
    live = sorted(expiry, key=expiry.__getitem__, reverse=True)
    keep = set(live[: MAX_BROWSER_LAUNCHES - 1])
    for lid in held:
        if lid not in keep:
            drop_browser_cookie(response, lid, state.config, https=https)


def callback() -> Response:
    oauth_state = request.args.get("state") or ""
    lid = oauth_state.split(".", 1)[0]
    state = smart_state()
    https = _https()
    secret = browser_secret(request, lid, https=https)
    if secret is None:
        raise SessionInvalid("The browser did not send the app's session cookie back.")
    loaded = state.store.load(lid, secret)
    session = loaded.session
    if (
        session.stage is not Stage.AUTHORIZING
        or not session.state
        or not hmac.compare_digest(session.state, oauth_state)
    ):
        raise SessionInvalid("The sign-in answer does not belong to a launch in progress.")
    error = request.args.get("error")
    if error == "access_denied":
        raise AuthorizationDenied("Access to the patient's record was declined at sign-in.")
    if error:
        raise AuthorizationFailed("The EHR's sign-in answered with an error.", quoted=error)
    issuer = state.config.issuer(session.iss)
    if issuer is None:
        raise SessionInvalid("The EHR of this launch is no longer configured.")
    exchanged = exchange_code(
        issuer=issuer,
        token_endpoint=session.token_endpoint,
        redirect_uri=session.redirect_uri,
        authorization_response=request.url,
        state=oauth_state,
        code_verifier=session.code_verifier or "",
        requested_scope=session.requested_scope,
    )
    token = exchanged.context
    # No patient, but user-level access: a practitioner launch, for the worklist.
    practitioner = not token.patient and reads_any_patient(token.scope)
    if not practitioner:
        _check_context(token)
    if exchanged.id_token is not None:
        token = token.model_copy(
            update={
                "user": _signed_in_user(
                    session.iss, issuer, exchanged.id_token, token, session.nonce
                )
            }
        )
    active = session.model_copy(
        update={
            "stage": Stage.ACTIVE,
            "token": token,
            "state": None,
            "code_verifier": None,
            "nonce": None,
        }
    )
    # Signed in: a new secret, so the one that was in the browser during the sign-in opens
    # nothing from now on.
    signed_in = new_secret()
    state.store.save(loaded, secret, active, extend=True, rotate_to=signed_in)
    response = redirect(
        url_for("smart.worklist_page" if practitioner else "smart.patient_page", lid=lid)
    )
    set_browser_cookie(
        response, lid, signed_in, state.config, https=https, max_age=ACTIVE_LIFETIME_S
    )
    return response


def _signed_in_user(
    iss: str, issuer: IssuerConfig, id_token: str, token: TokenContext, nonce: str | None
) -> SignedInUser:
    """The id_token's user, verified; named from their FHIR resource when the token has no
    name and `fhirUser` is a resource on this EHR's FHIR server (a failed read leaves the name
    out)."""
    http = service_state().http
    user = verify_id_token(
        id_token, config=discover(iss, http), client_id=issuer.client_id, nonce=nonce, http=http
    )
    if user.name or not user.fhir_user:
        return user
    # An absolute URL on this FHIR server, or (as the public SMART launcher sends it) relative.
    reference = user.fhir_user.removeprefix(f"{iss}/")
    if not _USER_REFERENCE.match(reference):
        return user  # not a plain Type/id read on this server: shown as the URL it is
    fetcher = fetcher_for(iss, token.access_token, http)
    outcome = fetcher.fetch("fhirUser", reference, Deadline(USER_READ_BUDGET_S))
    name = human_name(outcome.resources[0]) if outcome.ok else None
    return user.model_copy(update={"name": name})


def _check_context(token: TokenContext) -> None:
    if not token.patient:
        raise AuthorizationFailed(
            "The EHR did not say which patient the app is for (no patient in the token response)."
        )
    if token.app_context:
        try:
            context = json.loads(token.app_context)
        except ValueError:
            return  # appContext is the EHR's free text; only a JSON patient id is checked
        card_patient = context.get("patientId") if isinstance(context, dict) else None
        if card_patient is not None and card_patient != token.patient:
            raise AuthorizationFailed(
                "The card that opened the app was for another patient than the EHR's launch."
            )
