"""The SMART app's blueprint: its routes as one table, its pages' headers, and one error page
for the `SmartError` family."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, render_template, request
from flask.blueprints import BlueprintSetupState
from werkzeug.exceptions import HTTPException

from cds_service.cards.action import M_UNKNOWN_CAVEAT, metastasis_status_unknown
from cds_service.cards.detail_scores import STATUS_WORDS
from cds_service.cards.source import SEARCH_NOTE, is_search_url
from cds_service.cards.wording import value_words, without_codes
from cds_service.smart import launch_views, page_views, worklist_views
from cds_service.smart.errors import SmartError
from cds_service.smart.state import init_smart, smart_state
from cds_service.smart.summary_text import warning_parts
from cds_service.smart.web import apply_headers

log = logging.getLogger(__name__)

bp = Blueprint(
    "smart",
    __name__,
    url_prefix="/smart",
    template_folder="templates",
    static_folder="static",
)

_LID = "/p/<string(length=32):lid>"
_WL = "/w/<string(length=32):lid>"  # a practitioner launch: its worklist
_ROUTES = (
    ("/", "start_page", launch_views.start_page, ["GET"]),
    ("/launch", "launch", launch_views.launch, ["GET"]),
    ("/callback", "callback", launch_views.callback, ["GET"]),
    (f"{_LID}/", "patient_page", page_views.patient_page, ["GET"]),
    (f"{_LID}/what-if", "what_if", page_views.what_if, ["POST"]),
    (f"{_LID}/orders/review", "review_orders", page_views.review_orders, ["POST"]),
    (f"{_LID}/orders/place", "place_orders", page_views.place, ["POST"]),
    (f"{_LID}/resource/<kind>/<rid>", "resource", page_views.resource_view, ["GET"]),
    ("/worklist/launch", "worklist_launch", worklist_views.practitioner_launch, ["GET"]),
    ("/worklist/assets/<name>", "worklist_asset", worklist_views.worklist_asset, ["GET"]),
    (f"{_WL}/", "worklist_page", worklist_views.worklist_page, ["GET"]),
    (f"{_WL}/patient/<pid>", "worklist_patient", worklist_views.open_patient, ["GET"]),
)
for rule, endpoint, view, methods in _ROUTES:
    bp.add_url_rule(rule, endpoint, view, methods=methods)
# The card's words on the page: missing data without LOINC codes, enum values as words, a score's
# status as words, a warning's resource as a source link
# (not "factors-only"), a citation that is a PubMed search said to be one.
bp.add_app_template_filter(without_codes, "without_codes")
bp.add_app_template_filter(value_words, "value_words")
bp.add_app_template_filter(warning_parts, "warning_parts")
bp.add_app_template_filter(lambda status: STATUS_WORDS[status], "status_words")
bp.add_app_template_test(is_search_url, "search_url")
bp.add_app_template_global(SEARCH_NOTE, "search_note")
bp.add_app_template_test(metastasis_status_unknown, "m_status_unknown")
bp.add_app_template_global(M_UNKNOWN_CAVEAT, "m_unknown_caveat")


@bp.record_once
def _setup(state: BlueprintSetupState) -> None:
    init_smart(state.app)


@bp.after_request
def _headers(response: Response) -> Response:
    return apply_headers(response, smart_state().config)


def _page(
    status: int,
    title: str,
    message: str,
    hint: str,
    quoted: str | None = None,
    *,
    back: bool = False,
) -> tuple[str, int]:
    lid = (request.view_args or {}).get("lid") if back else None
    return (
        render_template(
            "smart/error.html",
            title=title,
            message=message,
            hint=hint,
            quoted=quoted,
            banner=None,
            back_lid=lid,
        ),
        status,
    )


@bp.errorhandler(SmartError)
def _smart_error(exc: SmartError) -> tuple[str, int]:
    log.info("SMART app: %s (%d)", type(exc).__name__, exc.status)
    return _page(exc.status, exc.title, exc.message, exc.hint, exc.quoted, back=exc.session_usable)


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> tuple[str, int]:
    status = exc.code or 500
    return _page(status, exc.name, exc.description or "", "Go back to the patient page.")


@bp.errorhandler(Exception)
def _unexpected(exc: Exception) -> tuple[str, int]:
    # The type only: an unexpected error's message may quote patient data or a token.
    log.error("SMART app: unexpected %s", type(exc).__name__)
    return _page(
        500,
        "Something went wrong",
        "The app hit an unexpected error.",
        "Nothing was changed in the record. Launch the app again from the EHR.",
    )
