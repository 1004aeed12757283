"""CDS Hooks discovery and service calls: request → gathered record → assessment → cards."""

from __future__ import annotations

import uuid
from datetime import date

from flask import Blueprint, Response, jsonify, request
from werkzeug.wsgi import get_content_length

from cds_service.blueprints.request_body import authenticate, json_body, require_json
from cds_service.call_writes import CallWrites, settle_unrecorded_jti, start_call_writes
from cds_service.card_links import app_context_json, card_links
from cds_service.cards.builder import build_assessment_card, uuid5_text
from cds_service.cards.models import Card
from cds_service.cards.policy import HookKind, should_show_card
from cds_service.errors import (
    BadRequest,
    NotFound,
    PreconditionFailed,
    TooLarge,
    TooManyRequests,
    quoted,
)
from cds_service.feedback.store import IssuedCard, add_issued_cards
from cds_service.hooks.errors import BadHookRequest, RequiredDataUnavailable, TooMuchData
from cds_service.hooks.gather import describe_data, gather_resources, make_fetcher
from cds_service.hooks.request import HookRequest, parse_hook_request
from cds_service.hooks.services import ContextKind, ServiceDefinition, discovery_document
from cds_service.observability.flask_ext import record_assessment_call
from cds_service.observability.logs import bind_hook_instance
from cds_service.scoring_pipeline import assess_resources
from cds_service.state import ServiceState, service_state
from cds_service.suggested_orders import suggested_orders
from fhir_mappers.errors import FhirInputError
from fhir_mappers.order_codes import ImagingModality
from scoring.assessment import Assessment

bp = Blueprint("hooks", __name__)
bp.after_request(settle_unrecorded_jti)  # a call that ends before its commit spends its jti

_HOOK_KINDS: dict[ContextKind, HookKind] = {
    ContextKind.PATIENT_VIEW: HookKind.PATIENT_VIEW,
    ContextKind.ORDER_SIGN: HookKind.ORDER_SIGN,
    ContextKind.ENCOUNTER_DISCHARGE: HookKind.ENCOUNTER_DISCHARGE,
    ContextKind.PATHOLOGY_SIGN: HookKind.PATHOLOGY_SIGN,
}
# Cards of one call keep their uuid when the EHR retries it, so feedback stays idempotent.
_CARD_NAMESPACE = uuid.UUID("6f1c2d0e-8a4b-4c1e-9a53-2f7d7b1c0a11")


@bp.before_app_request
def _json_posts_only() -> None:
    # Every POST under /cds-services (calls and feedback) carries JSON; any other body, such as
    # a cross-origin HTML form's text/plain one, is refused before it is read. A method the path
    # does not serve stays a 405; a POST without a body is answered by the view (400 or 404).
    req = request._get_current_object()  # type: ignore[attr-defined]  # once, not per use
    has_body = _has_body(req.environ)
    if (
        req.method == "POST"
        and req.path.startswith("/cds-services")
        and req.routing_exception is None
        and has_body
    ):
        require_json()


def _has_body(environ: dict[str, object]) -> bool:
    """`bool(request.content_length) or "Transfer-Encoding" in request.headers`, read from the
    WSGI environ as those two do (the same Content-Length parsing): `content_length` asked the
    request's headers for Transfer-Encoding, and an absent one raised and caught werkzeug's
    BadRequestKeyError on every call (tests/test_server_has_body.py compares the two)."""
    return bool(get_content_length(environ)) or "HTTP_TRANSFER_ENCODING" in environ


@bp.get("/cds-services")
def discovery() -> Response:
    return jsonify(discovery_document(service_state().services))


def lookup_service(state: ServiceState, service_id: str) -> ServiceDefinition:
    service = state.services.get(service_id)
    if service is None:
        raise NotFound(f"no CDS service with id {service_id!r}; see GET /cds-services")
    return service


@bp.post("/cds-services/<service_id>")
def call_service(service_id: str) -> Response:
    state = service_state()
    service = lookup_service(state, service_id)
    client = authenticate(state, record_jti=False)
    issuer = client.issuer if client is not None else None
    _throttle(state, issuer)
    # jti, issued card and audit record: one transaction at the end (cds_service.call_writes)
    writes = start_call_writes(state.engine, state.verifier, client)
    try:
        hook_request = parse_hook_request(json_body(), service)
    except BadHookRequest as exc:
        raise BadRequest(exc.message) from None
    bind_hook_instance(hook_request.hook_instance)
    assessment, failed = _assess(state, service, hook_request, issuer)
    cards = _cards(state, service, hook_request, assessment, writes, issuer)
    if failed and (not cards or not assessment.in_scope):
        # Silence, or "not assessed", must rest on the whole record: the data that could not be
        # fetched (e.g. the diagnosis or the resection) may be exactly what would change it.
        raise PreconditionFailed(
            "the record is incomplete; could not be read from the FHIR server: "
            + "; ".join(
                f"{describe_data(service.prefetch[key], None)}: {reason}"
                for key, reason in failed.items()
            ),
            expression=sorted(failed),
        )
    # Also notes the card count and tier for the call's one log line, the access line.
    record_assessment_call(state, service, hook_request, assessment, cards, writes)
    return jsonify({"cards": [card.to_wire() for card in cards]})


def _throttle(state: ServiceState, issuer: str | None) -> None:
    """429 with Retry-After when this client (issuer, or peer address with auth off) has used
    up its calls for now."""
    if state.rate_limiter is None:
        return
    client = f"iss:{issuer}" if issuer is not None else f"ip:{request.remote_addr}"
    wait_s = state.rate_limiter.retry_after(client)
    if wait_s is not None:
        raise TooManyRequests(
            f"too many calls from this client; at most {state.rate_limiter.rate:g} per second "
            f"per worker (bursts of {state.rate_limiter.burst}); retry after {wait_s} s",
            headers={"Retry-After": str(wait_s)},
        )


def _assess(
    state: ServiceState, service: ServiceDefinition, hook: HookRequest, issuer: str | None
) -> tuple[Assessment, dict[str, str]]:
    """The assessment, and the prefetch keys whose data could not be had (key → why)."""
    budget = state.settings.fhir_budget_seconds
    fetcher = make_fetcher(hook, state.http, budget, policy=state.fhir_servers, issuer=issuer)
    try:
        gathered = gather_resources(hook, service, fetcher, budget)
    except BadHookRequest as exc:
        raise BadRequest(exc.message) from None
    except TooMuchData as exc:
        raise TooLarge(exc.message) from None
    except RequiredDataUnavailable as exc:
        raise PreconditionFailed(str(exc), expression=exc.keys) from None
    try:
        assessment = assess_resources(
            gathered.resources,
            today=date.today(),
            site=state.site,
            fhir_base=hook.fhir_server,
        )
    except FhirInputError as exc:
        # The mappers' message may quote the record's (or a FHIR server's) text.
        raise BadRequest(f"FHIR data not usable: {quoted(exc)}") from None
    if gathered.failed:
        notes = [
            f"Not available from the FHIR server: {key} ({reason})"
            for key, reason in gathered.failed.items()
        ]
        assessment = assessment.model_copy(update={"warnings": [*assessment.warnings, *notes]})
    return assessment, gathered.failed


def _cards(
    state: ServiceState,
    service: ServiceDefinition,
    hook: HookRequest,
    assessment: Assessment,
    writes: CallWrites,
    issuer: str | None,
) -> list[Card]:
    if not should_show_card(_HOOK_KINDS[service.context_kind], assessment):
        return []
    card_uuid = uuid5_text(_CARD_NAMESPACE.bytes, f"{service.id}|{hook.hook_instance}")
    orders = suggested_orders(assessment, hook.context.patient_id)
    # The request's own host only without a configured base URL, which then wins anyway:
    # working out `host_url` (IRI decoding, trusted-host check) is not free.
    links = card_links(state.settings, state.settings.base_url or request.host_url, hook, card_uuid)
    card = build_assessment_card(
        assessment,
        service_id=service.id,
        ct_orders=orders.get(ImagingModality.CT, []),
        mri_orders=orders.get(ImagingModality.MRI, []),
        smart_launch_url=links.smart_launch_url,
        absolute_url=links.absolute_url,
        app_context=app_context_json(links.app_context),
        card_uuid=card_uuid,
        orders_json_ready=True,  # suggested_orders builds them from str, lists and dicts only
    )
    issued = [IssuedCard.of(card, tier=_tier_word(assessment))]
    # Committed with the audit record: a card is issued only with its audit record.
    writes.add(
        lambda connection: add_issued_cards(
            connection,
            service_id=service.id,
            hook=hook.hook,
            hook_instance=hook.hook_instance,
            cards=issued,
            issuer=issuer,
        )
    )
    return [card]


def _tier_word(assessment: Assessment) -> str | None:
    return assessment.overall_tier.value if assessment.overall_tier else None
