"""The list's order: most urgent state first (`STATE_ORDER`), then within a state the most days
overdue, or the soonest due date; patient id last, so a run is stable. The row store sorts by
these keys (stored as columns)."""

from __future__ import annotations

from cds_service.worklist.models import STATE_ORDER, RowState, WorklistRow

IN_SCOPE_STATES = frozenset(
    {RowState.OVERDUE, RowState.DUE, RowState.UNDETERMINED, RowState.ON_SCHEDULE}
)
_LAST = "9999-12-31"


def urgency_key(row: WorklistRow) -> tuple[int, int, str, str]:
    overdue = -(row.days_overdue or 0) if row.state == RowState.OVERDUE else 0
    due = row.next_due or _LAST
    return (STATE_ORDER.index(row.state), overdue, due, row.patient_id)
