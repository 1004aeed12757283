"""Surveillance plan -> draft FHIR R4 orders (cds-api.md "Cards", `suggestions`).

Pure functions: JSON-ready resources without `id` (the CDS client creates the drafts). What is
drafted: one imaging ServiceRequest for the next due exam (CT or MRI, clinical.md §4), a serum
chromogranin A ServiceRequest only when the plan suggests it, and a CarePlan listing the whole
schedule. The resources are valid FHIR R4B by construction: tests/test_orders*.py check every
shape against the `fhir.resources` models (a property test over plans), not each call.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from fhir_mappers.order_codes import (
    CHROMOGRANIN_A,
    IMAGING_SERVICES,
    ImagingModality,
    OrderableService,
)
from scoring.assessment import SurveillancePlan, Tier, fields_of

__all__ = [
    "DEFAULT_WINDOW",
    "ImagingModality",
    "OrderDraftError",
    "OrderWindow",
    "order_window",
    "surveillance_orders",
    "surveillance_orders_by_modality",
]

# FHIR R4 id: [A-Za-z0-9\-\.]{1,64}
_PATIENT_REF = re.compile(r"^Patient/[A-Za-z0-9\-.]{1,64}$")
CONDITION_REF = re.compile(r"^Condition/[A-Za-z0-9\-.]{1,64}$")


class OrderDraftError(ValueError):
    """A draft order cannot be built; the message names the argument or element at fault."""


@dataclass(frozen=True)
class OrderWindow:
    """How far around the due date a drafted exam may be performed.

    The spec gives due dates, not windows. Site-independent defaults: a month of lead time so
    the exam can be booked before it is due, and a month of grace after it. Both are shorter
    than the shortest interval of the default schedule (6 months), so consecutive windows never
    overlap and an exam is never drafted for later than one month past its due date.
    """

    lead: timedelta = timedelta(days=30)
    grace: timedelta = timedelta(days=30)


DEFAULT_WINDOW = OrderWindow()


def order_window(
    next_due: date, *, today: date, overdue: bool, window: OrderWindow = DEFAULT_WINDOW
) -> tuple[date, date]:
    """(start, end) of the occurrence window. Overdue exams start today: a window in the past
    could not be booked, and postponing to the next regular date would skip an exam."""
    if overdue or next_due < today:
        return today, today + window.grace
    return max(today, next_due - window.lead), next_due + window.grace


def _parse_date(value: str, where: str) -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise OrderDraftError(f"{where}: {value!r} is not a date (YYYY-MM-DD)") from exc


def _parse_dates(values: list[str]) -> list[date]:
    try:
        return [date.fromisoformat(value) for value in values]
    except (TypeError, ValueError):
        # Only now the message naming the first bad one (built for every date, it cost more).
        return [
            _parse_date(value, f"SurveillancePlan.schedule_dates[{i}]")
            for i, value in enumerate(values)
        ]


def _check_refs(patient_ref: str, reason_ref: str | None) -> None:
    if not _PATIENT_REF.match(patient_ref):
        raise OrderDraftError(f"patient_ref: {patient_ref!r} is not a Patient/<id> reference")
    if reason_ref is not None and not CONDITION_REF.match(reason_ref):
        raise OrderDraftError(f"reason_ref: {reason_ref!r} is not a Condition/<id> reference")


def _note(plan: dict[str, Any], next_due: date | None) -> str:
    """The order's note, as the EHR shows it to whoever books the exam. It names the schedule
    followed, not a risk: an undetermined tier is scheduled by its highest possible tier, and
    the note must not state that risk as established. Overdue says since when (the first exam
    missed since the last imaging), not the latest missed due date. `plan`: the plan's fields
    (`fields_of`)."""
    tier = plan["tier"]
    if tier is None:
        words = "undetermined"
    else:
        # `.value` is a Python-level property of the enum
        words = (tier._value_ if type(tier) is Tier else tier.value).replace("-", " ")
    overdue, since = plan["overdue"], plan["overdue_since"]
    if overdue and since:
        missed = len(plan["missed_dates"])
        exams = f"{missed} scheduled exam{'s' if missed != 1 else ''} missed"
        due = f" Surveillance imaging is overdue since {since} ({exams})."
    elif overdue:
        due = " Surveillance imaging is overdue."
    elif next_due is not None:
        due = f" Next imaging due {next_due.isoformat()}."
    else:
        due = ""
    return (
        f"Default surveillance schedule of the {words} tier ({plan['basis']}).{due}"
        " This is a default schedule to be confirmed by the treating team."
    )


def _service_request(
    service: OrderableService,
    *,
    patient_ref: str,
    reason_ref: str | None,
    period: tuple[str, str],
    authored: str,
    note: str,
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "status": "draft",
        "intent": "order",
        "category": service.category_as_fhir(),
        "priority": "routine",
        "code": service.code_as_fhir(),
        "subject": {"reference": patient_ref},
        "occurrencePeriod": {"start": period[0], "end": period[1]},
        "authoredOn": authored,
        "note": [{"text": note}],
    }
    if reason_ref is not None:
        resource["reasonReference"] = [{"reference": reason_ref}]
    return resource


@dataclass(frozen=True)
class _Schedule:
    """What a plan's drafts share whatever the modality, worked out once per plan: the dates
    as text, each exam's status and month, the note."""

    note: str
    today: str
    window: tuple[str, str] | None  # the imaging request's occurrence period; None: none due
    events: tuple[tuple[str, str, int | None], ...]  # (date, status, month) per exam, by date
    period: tuple[str, str] | None  # the CarePlan's period; None: no CarePlan
    chromogranin: bool  # the plan suggests a chromogranin A request


def _iso_texts(values: list[str], dates: list[date]) -> list[str]:
    """`[d.isoformat() for d in dates]`, `dates` parsed from `values`: a value already in that
    form (YYYY-MM-DD: `fromisoformat` takes no other 10-character form with dashes there) is
    its own text, without formatting the date again."""
    return [
        value if len(value) == 10 and value[4] == "-" == value[7] else parsed.isoformat()
        for value, parsed in zip(values, dates, strict=True)
    ]


def _schedule(
    plan: SurveillancePlan, *, today: date, window: OrderWindow, care_plan: bool
) -> _Schedule:
    fields = fields_of(plan)  # ten fields are read: one dict for them
    next_text = fields["next_due"]
    next_due = _parse_date(next_text, "SurveillancePlan.next_due") if next_text else None
    texts = fields["schedule_dates"]
    dates = _parse_dates(texts)
    occurrence = None
    if next_due is not None:
        start, end = order_window(next_due, today=today, overdue=fields["overdue"], window=window)
        occurrence = (start.isoformat(), end.isoformat())
    events: tuple[tuple[str, str, int | None], ...] = ()
    period = None
    if dates and care_plan:
        if dates == sorted(dates):  # the plan's own order (a sort is stable)
            texts = _iso_texts(texts, dates)
        else:
            dates.sort()
            texts = [planned.isoformat() for planned in dates]
        # exams before the next due one may or may not have been done: "unknown", not "done"
        pending_from = next_due if next_due is not None else today
        months = fields["schedule_months"]
        if len(months) != len(dates):
            months = [None] * len(dates)
        events = tuple(
            (text, "not-started" if planned >= pending_from else "unknown", month)
            for text, planned, month in zip(texts, dates, months, strict=True)
        )
        anchor_text = fields["anchor_date"]
        anchor = _parse_date(anchor_text, "SurveillancePlan.anchor_date") if anchor_text else None
        first = texts[0] if anchor is None else _iso_texts([anchor_text], [anchor])[0]
        period = (first, events[-1][0])
    return _Schedule(
        note=_note(fields, next_due),
        today=today.isoformat(),
        window=occurrence,
        events=events,
        period=period,
        chromogranin=fields["suggest_chromogranin"],
    )


def _care_plan(
    schedule: _Schedule,
    period: tuple[str, str],
    *,
    service: OrderableService,
    patient_ref: str,
    reason_ref: str | None,
) -> dict[str, Any]:
    activities = [
        {
            "detail": {
                "kind": "ServiceRequest",
                "code": service.code_as_fhir(),
                "status": status,
                "scheduledTiming": {"event": [planned]},
                "description": service.text
                if month is None
                else f"{service.text}, month {month} after resection",
            }
        }
        for planned, status, month in schedule.events
    ]
    resource: dict[str, Any] = {
        "resourceType": "CarePlan",
        "status": "draft",
        "intent": "plan",
        "title": "Surveillance imaging after resection of a neuroendocrine tumour",
        "description": schedule.note,
        "subject": {"reference": patient_ref},
        "period": {"start": period[0], "end": period[1]},
        "created": schedule.today,
        "activity": activities,
        "note": [{"text": schedule.note}],
    }
    if reason_ref is not None:
        resource["addresses"] = [{"reference": reason_ref}]
    return resource


def _drafts(
    schedule: _Schedule,
    service: OrderableService,
    *,
    patient_ref: str,
    reason_ref: str | None,
) -> list[dict[str, Any]]:
    # Fresh dicts for each modality (a caller may edit its drafts); only the strs are shared.
    drafts: list[dict[str, Any]] = []
    if schedule.window is not None:
        services = [service, CHROMOGRANIN_A] if schedule.chromogranin else [service]
        drafts += [
            _service_request(
                each,
                patient_ref=patient_ref,
                reason_ref=reason_ref,
                period=schedule.window,
                authored=schedule.today,
                note=schedule.note,
            )
            for each in services
        ]
    if schedule.period is not None:
        drafts.append(
            _care_plan(
                schedule,
                schedule.period,
                service=service,
                patient_ref=patient_ref,
                reason_ref=reason_ref,
            )
        )
    return drafts


def surveillance_orders_by_modality(
    plan: SurveillancePlan,
    *,
    patient_ref: str,
    reason_ref: str | None,
    modalities: Iterable[ImagingModality],
    today: date,
    window: OrderWindow = DEFAULT_WINDOW,
    include_care_plan: bool = True,
) -> dict[ImagingModality, list[dict[str, Any]]]:
    """`surveillance_orders` for each of `modalities`, the plan's dates and note worked out
    once for all of them (the card offers CT and MRI: half the parsing and formatting)."""
    _check_refs(patient_ref, reason_ref)
    services = [
        # an ImagingModality already: without the enum's Python-level call
        (m, IMAGING_SERVICES[m if type(m) is ImagingModality else ImagingModality(m)])
        for m in modalities
    ]
    schedule = _schedule(plan, today=today, window=window, care_plan=include_care_plan)
    return {
        m: _drafts(
            schedule,
            service,
            patient_ref=patient_ref,
            reason_ref=reason_ref,
        )
        for m, service in services
    }


def surveillance_orders(
    plan: SurveillancePlan,
    *,
    patient_ref: str,
    reason_ref: str | None,
    modality: ImagingModality,
    today: date,
    window: OrderWindow = DEFAULT_WINDOW,
    include_care_plan: bool = True,
) -> list[dict[str, Any]]:
    """Draft resources for one surveillance alternative (CT or MRI), in this order: imaging
    ServiceRequest (only when an exam is due), chromogranin A ServiceRequest (only with the
    imaging request and when the plan suggests it), CarePlan (when the plan has a schedule).
    """
    by_modality = surveillance_orders_by_modality(
        plan,
        patient_ref=patient_ref,
        reason_ref=reason_ref,
        modalities=(modality,),
        today=today,
        window=window,
        include_care_plan=include_care_plan,
    )
    return by_modality[modality]
