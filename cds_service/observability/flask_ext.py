"""Observability and audit wired into one app: request timing, the `/metrics` endpoint, the
access log line per CDS call (for a hook call that made an assessment, with its card count and
tier), and the record of each assessment (audit + metrics)."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import Blueprint, Flask, Response, current_app, g, request

from cds_service.audit.errors import AuditStoreError
from cds_service.audit.records import AuditCard
from cds_service.audit.rows import hook_audit_row
from cds_service.audit.store import AuditRecorder
from cds_service.call_writes import CallNotRecorded, CallWrites
from cds_service.cards.models import Card
from cds_service.errors import ServiceError
from cds_service.feedback.models import FeedbackRequest
from cds_service.hooks.request import HookRequest
from cds_service.hooks.services import ServiceDefinition
from cds_service.observability.fhir_timing import instrument_session
from cds_service.observability.logs import bind_hook_instance
from cds_service.observability.metrics import Metrics, tier_label
from cds_service.state import ServiceState
from scoring.assessment import Assessment

log = logging.getLogger("cds_service.access")
bp = Blueprint("metrics", __name__)

_EXTENSION = "pannet_cds_observability"
# On `g`: (cards returned, tier) of the assessment this request recorded.
_OUTCOME = "pannet_cds_outcome"
# Endpoints worth an access-log line; probes and scrapes would drown them.
_LOGGED_ENDPOINTS = frozenset(
    {"hooks.call_service", "feedback.post_feedback", "hooks.discovery", "unmatched"}
)


class AuditUnavailable(ServiceError):
    """The assessment could not be recorded: no card leaves without its audit record."""

    status = 503
    code = "transient"


@dataclass(frozen=True)
class Observability:
    metrics: Metrics
    audit: AuditRecorder
    state: ServiceState

    def _observe_request(self, response: Response) -> Response:
        """The app's after-request function: the request's duration metric and access line.
        A method of the app's own `Observability`, so neither it nor the service state is
        looked up through `current_app` on every request."""
        # The request and `g` objects once, not through their proxies at every use.
        req = request._get_current_object()  # type: ignore[attr-defined]
        app_g = g._get_current_object()  # type: ignore[attr-defined]
        started = app_g.get("pannet_cds_started")
        if started is None:
            return response
        elapsed = time.perf_counter() - started
        endpoint = req.endpoint or "unmatched"
        service, hook = _service_labels(self.state, req.view_args)
        status_code = response.status_code
        status = str(status_code)
        self.metrics.request_duration(endpoint, service, hook, status).observe(elapsed)
        if endpoint in _LOGGED_ENDPOINTS:
            fields = {
                "endpoint": endpoint,
                "service": service,
                "status": status_code,
                "durationMs": round(elapsed * 1000, 2),
            }
            outcome: tuple[int, str] | None = app_g.get(_OUTCOME)
            if outcome is None:
                log.info("%s %s -> %s", req.method, endpoint, status, extra=fields)
            else:
                # An assessment recorded: its line and the access line are one (one write per
                # call).
                cards, tier = outcome
                fields["cards"], fields["tier"] = cards, tier
                log.info(
                    "%s %s -> %s: %d card(s), tier %s",
                    req.method,
                    endpoint,
                    status,
                    cards,
                    tier,
                    extra=fields,
                )
        return response


def observability() -> Observability:
    return current_app.extensions[_EXTENSION]


@bp.get("/metrics")
def metrics_endpoint() -> Response:
    body, content_type = observability().metrics.exposition()
    return Response(body, content_type=content_type)


def init_observability(app: Flask, state: ServiceState) -> Observability:
    metrics = Metrics()
    instrument_session(state.http, metrics)
    ext = Observability(
        metrics=metrics,
        audit=AuditRecorder(state.engine, state.settings.audit_retention_days),
        state=state,
    )
    app.extensions[_EXTENSION] = ext
    app.before_request(_start_timer)
    app.after_request(ext._observe_request)
    app.register_blueprint(bp)
    return ext


def _start_timer() -> None:
    g.pannet_cds_started = time.perf_counter()
    # gthread workers reuse threads: a previous request's hookInstance must not leak into this one.
    bind_hook_instance(None)


def _service_labels(state: ServiceState, view_args: dict[str, object] | None) -> tuple[str, str]:
    service_id = (view_args or {}).get("service_id")
    if service_id is None:
        return "", ""
    service = state.services.get(service_id)  # type: ignore[call-overload]
    # Unknown ids are caller-chosen text: one bounded label value for all of them.
    return (service.id, service.hook) if service is not None else ("unknown", "")


def record_assessment_call(
    state: ServiceState,
    service: ServiceDefinition,
    hook: HookRequest,
    assessment: Assessment,
    cards: Sequence[Card],
    writes: CallWrites | None = None,
) -> None:
    """Audit the assessment (raises `AuditUnavailable` if it cannot be stored), then count it.
    With `writes`, the record is committed in the call's one transaction (see
    `cds_service.call_writes`: a replayed token raises `Unauthorized`, a failed write
    `CallNotRecorded`, a 503)."""
    # Serialised before the transaction: on SQLite its write lock is held from the first
    # insert to the commit, and every other call of every worker waits for it.
    row = hook_audit_row(
        recorded_at=datetime.now(UTC),
        service_id=service.id,
        hook=hook.hook,
        hook_instance=hook.hook_instance,
        patient_ref=f"Patient/{hook.context.patient_id}",
        assessment=assessment,
        site=state.site,
        cards=[
            AuditCard(uuid=c.uuid, indicator=c.indicator.value, summary=c.summary) for c in cards
        ],
    )
    ext = observability()
    try:
        if writes is None:
            ext.audit.record(row)
        else:
            writes.add(lambda connection: ext.audit.record(row, connection))
            writes.commit()
            ext.audit.maybe_prune()
    except AuditStoreError as exc:
        log.error("audit record not written (%s)", type(exc.__cause__).__name__)
        raise AuditUnavailable("the assessment could not be recorded; retry later") from None
    except CallNotRecorded as exc:
        cause = exc.__cause__
        log.error("audit record not written (%s)", type(cause.__cause__ or cause).__name__)
        raise
    tier = tier_label(assessment.overall_tier)
    ext.metrics.assessment_count(service.id, service.hook, tier).inc()
    for card in cards:
        ext.metrics.card_count(service.id, tier, card.indicator.value).inc()
    # For the call's access line (`_observe_request`): how many cards, which tier (as the
    # hook's own log line said it: the tier's value, or None).
    setattr(g, _OUTCOME, (len(cards), str(assessment.overall_tier)))


def record_feedback_metrics(service_id: str, feedback: FeedbackRequest) -> None:
    counter = observability().metrics.feedback
    for item in feedback.feedback:
        counter.labels(service_id, item.outcome.value).inc()
