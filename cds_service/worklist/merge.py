"""Incremental runs (`--since`): rows of patients without new data are kept from the previous
worklist, but re-evaluated for the new day, so an exam that has fallen due or overdue since the
last run is shown as such.

The tier does not depend on the day; the schedule's state does. A kept row carries what the
surveillance plan is computed from (the schedule tier, the resection date, the dates of every
abdominal CT/MRI on record and the data that could lighten the schedule), so the plan is
recomputed with the same function the assessment uses (`scoring.surveillance`), for the same
site schedules. Out-of-scope and recurrence rows do not change with the day.
"""

from __future__ import annotations

from datetime import date

from cds_service.worklist.models import RowState, Worklist, WorklistRow
from cds_service.worklist.row_store import RowStore
from cds_service.worklist.rows import NO_RESECTION_DATE, plan_fields
from scoring.assess import _future_resection as future_resection_warning
from scoring.inputs import ClinicalInputs, ImagingEvent, ImagingState, Resection
from scoring.site_config import SiteConfig
from scoring.surveillance import plan_surveillance


class MergeError(ValueError):
    """The previous worklist cannot be merged with this run (another server or group)."""


def check_mergeable(previous: Worklist, *, fhir_server: str, group: str | None) -> None:
    if (previous.fhir_server or "").rstrip("/") != fhir_server.rstrip("/"):
        raise MergeError(
            f"the previous worklist is from {previous.fhir_server or 'an unknown server'},"
            f" not {fhir_server}"
        )
    if previous.group != group:
        raise MergeError(
            f"the previous worklist is for group {previous.group or '(none: all patients)'},"
            f" not {group or '(none: all patients)'}"
        )


def reevaluate(
    row: WorklistRow, *, today: date, due_within_days: int, site: SiteConfig
) -> WorklistRow:
    if row.state in (RowState.RECURRENCE, RowState.OUT_OF_SCOPE) or row.schedule_tier is None:
        return row.model_copy(
            update={"scored_at": today.isoformat(), "warnings": _warnings(row, today)}
        )
    resection = date.fromisoformat(row.resection_date) if row.resection_date else None
    plan = plan_surveillance(
        tier=row.schedule_tier,
        basis=row.schedule_basis or "",
        schedule=site.schedules()[row.schedule_tier],
        # as the assessment does: a resection dated after today cannot anchor a schedule
        anchor=resection if resection and resection <= today else None,
        today=today,
        imaging=tuple(
            ImagingEvent(date.fromisoformat(d), ImagingState.DONE, "") for d in row.imaging_dates
        ),
        suggest_chromogranin=False,
        lighter_if_known=[m for m in row.missing_data if m != NO_RESECTION_DATE],
    )
    fields = plan_fields(plan, today=today, due_within_days=due_within_days)
    return row.model_copy(
        update={**fields, "scored_at": today.isoformat(), "warnings": _warnings(row, today)}
    )


def _warnings(row: WorklistRow, today: date) -> list[str]:
    """The row's warnings with the one that depends on the day (a resection dated after today)
    stated as the assessment states it for `today`."""
    if not (row.resection_date and row.resection_source):
        return list(row.warnings)
    lead = f"{row.resection_source}: resection date {row.resection_date} is after today"
    kept = [w for w in row.warnings if not w.startswith(lead)]
    resection = Resection(date.fromisoformat(row.resection_date), row.resection_source)
    future = future_resection_warning(ClinicalInputs(resection=resection), today)
    return [*kept, future] if future else kept


def merge_into(
    store: RowStore,
    previous: Worklist,
    *,
    today: date,
    due_within_days: int,
    site: SiteConfig,
) -> None:
    """Add the previous rows (re-evaluated) and patients without a NET diagnosis of every
    patient this run did not re-score."""
    for row in previous.rows:
        if not store.was_scored(row.patient_id):
            store.add(reevaluate(row, today=today, due_within_days=due_within_days, site=site))
    for pid in previous.without_net_ids:
        if not store.was_scored(pid):
            store.add_without_net(pid)
