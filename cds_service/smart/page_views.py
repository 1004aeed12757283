"""The patient page and its actions: what if, order review and placing, resource view."""

from __future__ import annotations

import hmac
import json
import secrets
from datetime import date
from typing import Any

from flask import render_template, request

from cds_service.smart.case_header import case_header
from cds_service.smart.errors import BadInput, SessionInvalid
from cds_service.smart.page_context import (
    ActiveSession,
    Analysis,
    analyse,
    banner,
    may_create,
    open_session,
)
from cds_service.smart.placing import digest, order_title, orderable, place_orders
from cds_service.smart.record import fetcher_for, read_resource
from cds_service.smart.resource_summary import summarise
from cds_service.smart.sessions import PendingOrder
from cds_service.smart.state import smart_state
from cds_service.smart.summary_text import flag_lines, overdue_text, undetermined_reason
from cds_service.smart.timeline import build_timeline
from cds_service.smart.unread_inputs import unread_inputs
from cds_service.smart.web import check_csrf
from cds_service.smart.whatif import (
    apply_what_if,
    editable_fields,
    entries,
    parse_confirmations,
    parse_form,
    text_fields,
)
from cds_service.state import service_state
from cds_service.suggested_orders import suggested_orders
from fhir_mappers.order_codes import ImagingModality
from scoring.assess import assess


def _common(lid: str, active: ActiveSession, analysis: Analysis) -> dict[str, Any]:
    token = active.token
    plan = analysis.assessment.surveillance
    patient = banner(analysis.record.patient, analysis.today)
    return {
        "lid": lid,
        "csrf": active.session.csrf,
        "banner": patient if token.need_patient_banner else None,
        # Named on every page even when the EHR shows its own banner (need_patient_banner false)
        "patient_name": patient["name"],
        "user": token.user,
        "from_card": token.app_context is not None,
        "assessment": analysis.assessment,
        "today": analysis.today.isoformat(),
        "case": case_header(analysis.assessment),
        "flags": flag_lines(analysis.inputs, plan.tier if plan else None),
        "why_undetermined": undetermined_reason(analysis.assessment),
        "overdue": overdue_text(plan, analysis.assessment.today) if plan else None,
    }


def _drafts(active: ActiveSession, analysis: Analysis) -> dict[ImagingModality, list[dict]]:
    by_modality = suggested_orders(analysis.assessment, active.patient_id)
    return {modality: orderable(drafts) for modality, drafts in by_modality.items()}


def patient_page(lid: str) -> str:
    active = open_session(lid)
    analysis = analyse(active)
    return _render_patient(lid, active, analysis)


def _render_patient(
    lid: str,
    active: ActiveSession,
    analysis: Analysis,
    *,
    form_error: str = "",
    form_values: dict[str, str] | None = None,
) -> str:
    drafts = _drafts(active, analysis)
    return render_template(
        "smart/patient.html",
        **_common(lid, active, analysis),
        timeline=build_timeline(
            analysis.assessment.surveillance, analysis.inputs.imaging, analysis.today
        ),
        missing=list(dict.fromkeys(m for s in analysis.assessment.scores for m in s.missing)),
        unread=analysis.record.unread,
        unread_inputs=unread_inputs(
            analysis.assessment.inputs, {u.resource_type for u in analysis.record.unread}
        ),
        whatif_fields=editable_fields(analysis.inputs),
        text_fields=text_fields(analysis.inputs),
        text_values={i.id: i for i in analysis.assessment.inputs if i.read_from_text},
        form_error=form_error,
        form_values=form_values or {},
        can_order=may_create(active.token.scope, "ServiceRequest"),
        has_orders=any(drafts.values()),
        order_titles={m.value: [order_title(d) for d in ds] for m, ds in drafts.items()},
    )


def what_if(lid: str) -> tuple[str, int] | str:
    active = open_session(lid)
    check_csrf(request.form.get("csrf"), active.session)
    analysis = analyse(active)
    texts = text_fields(analysis.inputs)
    raw = {k: v for k, v in request.form.items() if k != "csrf"}
    form, error = parse_form(raw, editable_fields(analysis.inputs) + texts)
    confirmed, confirm_error = parse_confirmations(raw, texts, form)
    if form is None or confirm_error or not (form.entered() or confirmed):
        message = error or confirm_error or "Enter at least one value to see what it would change."
        page = _render_patient(lid, active, analysis, form_error=message, form_values=raw)
        return page, 400
    inputs = apply_what_if(analysis.inputs, form, confirmed)
    hypothetical = assess(inputs, today=analysis.today, site=service_state().site)
    return render_template(
        "smart/whatif.html",
        **_common(lid, active, analysis),
        hypothetical=hypothetical,
        hypothetical_why=undetermined_reason(hypothetical),
        hypothetical_overdue=overdue_text(hypothetical.surveillance, hypothetical.today)
        if hypothetical.surveillance
        else None,
        entered=entries(analysis.inputs, form, confirmed),
    )


def _modality(value: str | None) -> ImagingModality:
    try:
        return ImagingModality(value or "")
    except ValueError:
        raise BadInput("Choose CT or MRI for the surveillance imaging.") from None


def review_orders(lid: str) -> str:
    active = open_session(lid)
    check_csrf(request.form.get("csrf"), active.session)
    modality = _modality(request.form.get("modality"))
    analysis = analyse(active)
    return _render_review(lid, active, analysis, modality)


def _render_review(
    lid: str,
    active: ActiveSession,
    analysis: Analysis,
    modality: ImagingModality,
    notice: str = "",
) -> str:
    drafts = _drafts(active, analysis).get(modality, [])
    ticket = secrets.token_urlsafe(24)
    pending = PendingOrder(ticket=ticket, modality=modality.value, digest=digest(drafts))
    smart_state().store.save(
        active.loaded,
        active.secret,
        active.session.model_copy(update={"pending_order": pending}),
        extend=True,
    )
    return render_template(
        "smart/review.html",
        **_common(lid, active, analysis),
        modality=modality.value,
        drafts=[(order_title(d), d) for d in drafts],
        ticket=ticket,
        notice=notice,
        can_order=may_create(active.token.scope, "ServiceRequest"),
    )


def place(lid: str) -> str | tuple[str, int]:
    active = open_session(lid)
    session = active.session
    check_csrf(request.form.get("csrf"), session)
    ticket = request.form.get("ticket") or ""
    pending = session.pending_order
    if pending is None or not hmac.compare_digest(pending.ticket, ticket):
        if session.placed and session.placed_ticket == ticket:
            return render_template(
                "smart/placed.html", lid=lid, results=session.placed, already=True, banner=None
            )
        raise SessionInvalid("These orders were not reviewed in this session; review them again.")
    if not may_create(active.token.scope, "ServiceRequest"):
        raise BadInput("Your authorization does not allow creating ServiceRequests.")
    analysis = analyse(active)
    modality = _modality(pending.modality)
    drafts = _drafts(active, analysis).get(modality, [])
    if not drafts:
        raise BadInput("No surveillance order is due, so there is nothing to place.")
    if digest(drafts) != pending.digest:
        notice = "The record changed since you reviewed these orders; please review them again."
        return _render_review(lid, active, analysis, modality, notice), 409
    store = smart_state().store
    # Consume the ticket before anything is sent: a second submit fails here, not at the EHR.
    store.save(
        active.loaded,
        active.secret,
        session.model_copy(update={"pending_order": None}),
        extend=True,
    )
    results = place_orders(session.iss, active.token.access_token, drafts, service_state().http)
    reloaded = store.load(lid, active.secret)
    store.save(
        reloaded,
        active.secret,
        reloaded.session.model_copy(
            update={"placed": [r.model_dump() for r in results], "placed_ticket": ticket}
        ),
        extend=True,
    )
    return render_template(
        "smart/placed.html",
        **_common(lid, active, analysis),
        results=[r.model_dump() for r in results],
        already=False,
    )


def resource_view(lid: str, kind: str, rid: str) -> str:
    active = open_session(lid)
    fetcher = fetcher_for(active.session.iss, active.token.access_token, service_state().http)
    resource = read_resource(fetcher, f"{kind}/{rid}", active.patient_id)
    patient = (
        resource
        if kind == "Patient"
        else read_resource(fetcher, f"Patient/{active.patient_id}", active.patient_id)
    )
    named = banner(patient, date.today())
    return render_template(
        "smart/resource.html",
        lid=lid,
        reference=f"{kind}/{rid}",
        summary=summarise(resource),
        pretty=json.dumps(resource, indent=2, ensure_ascii=False),
        banner=named if active.token.need_patient_banner else None,
        patient_name=named["name"],
        user=active.token.user,
    )
