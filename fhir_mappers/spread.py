"""Distant metastasis at surgery, and recurrence after it, from the events of `spread_events`
(clinical.md §1).

- Metastatic at surgery: True when a metastasis is recorded on or before the resection date or
  on the resection specimen; False only when an M0 is recorded on the same terms; unknown
  otherwise (never M0 by default).
- Recurrence: a recurrence concept whenever recorded; a progression, or a metastasis first
  recorded, after the resection; a metastasis whose date cannot be compared with the resection
  (at surgery or after, either way the patient is outside post-resection surveillance). Never
  False: no record of recurrence is not proof of none.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from fhir_mappers.selection import NO_FACT
from fhir_mappers.spread_events import Event, Kind
from scoring.inputs import Fact

TEXT_LABEL = "read from the report text"


class Timing(StrEnum):
    AT_SURGERY = "at or before surgery"
    AFTER = "after surgery"
    UNKNOWN = "date not comparable to surgery"


def timing(event: Event, surgery: date | None) -> Timing:
    if event.at_resection:
        return Timing.AT_SURGERY
    if event.when is None or surgery is None:
        return Timing.UNKNOWN
    if event.when.on_or_before(surgery):
        return Timing.AT_SURGERY
    if event.when.after(surgery):
        return Timing.AFTER
    return Timing.UNKNOWN


def describe(event: Event) -> str:
    if event.quote:
        label = TEXT_LABEL if event.ref.startswith("DiagnosticReport/") else "read from its text"
        return f'{event.what} ({event.ref}), {label}: "{event.quote}"; please confirm'
    return f"{event.what} ({event.ref})"


def _fact(value: bool | None, hits: list[Event], lead: str) -> Fact[bool]:
    refs = tuple(dict.fromkeys(e.ref for e in hits))
    more = f" (+{len(hits) - 1} more)" if len(hits) > 1 else ""
    return Fact(value, refs, f"{lead}: {describe(hits[0])}{more}")


def metastatic_at_surgery(events: list[Event], surgery: date | None) -> Fact[bool]:
    present: list[Event] = []
    absent: list[Event] = []
    unclear: list[Event] = []
    for event in events:
        if event.kind not in (Kind.METASTASIS, Kind.NO_METASTASIS):
            continue
        when = timing(event, surgery)
        if event.kind is Kind.METASTASIS and when is Timing.AT_SURGERY:
            present.append(event)
        elif event.kind is Kind.METASTASIS and when is Timing.UNKNOWN:
            unclear.append(event)
        elif event.kind is Kind.NO_METASTASIS and when is Timing.AT_SURGERY:
            absent.append(event)
    if present:
        return _fact(True, present, "distant metastasis recorded at or before surgery")
    if unclear:
        return _fact(None, unclear, "metastasis on record, date not comparable to surgery")
    if absent:
        return _fact(False, absent, "M0 recorded")
    return Fact(note="M category / distant metastasis not recorded")


def recurrence(events: list[Event], surgery: date | None, warnings: list[str]) -> Fact[bool]:
    hits: list[Event] = []
    for event in events:
        when = timing(event, surgery)
        counts_whenever = event.kind is Kind.RECURRENCE
        if counts_whenever or (event.kind is Kind.PROGRESSION and when is Timing.AFTER):
            hits.append(event)
        elif event.kind is Kind.PROGRESSION:
            warnings.append(f"{event.ref}: {event.what} not dated after the resection; not used")
        elif event.kind is Kind.METASTASIS and when is Timing.AFTER:
            hits.append(_relabel(event, "metastasis first recorded after the resection"))
        elif event.kind is Kind.METASTASIS and when is Timing.UNKNOWN:
            hits.append(_relabel(event, "metastasis on record, at or after surgery"))
    if not hits:
        return NO_FACT
    return _fact(True, hits, "recurrence on record")


def _relabel(event: Event, what: str) -> Event:
    return Event(event.ref, event.kind, event.when, f"{what}: {event.what}", quote=event.quote)
