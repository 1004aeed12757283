"""The list's order and its counts: most urgent state first (`STATE_ORDER`), then within a
state the most days overdue, or the soonest due date; patient id last, so a run is stable."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from cds_service.worklist.models import STATE_ORDER, RowState, WorklistCounts, WorklistRow

IN_SCOPE_STATES = frozenset(
    {RowState.OVERDUE, RowState.DUE, RowState.UNDETERMINED, RowState.ON_SCHEDULE}
)
_LAST = "9999-12-31"


def urgency_key(row: WorklistRow) -> tuple[int, int, str, str]:
    overdue = -(row.days_overdue or 0) if row.state == RowState.OVERDUE else 0
    due = row.next_due or _LAST
    return (STATE_ORDER.index(row.state), overdue, due, row.patient_id)


def ranked(rows: Iterable[WorklistRow]) -> list[WorklistRow]:
    return sorted(rows, key=urgency_key)


def count_rows(
    rows: list[WorklistRow],
    *,
    patients_exported: int,
    patients_scored: int,
    patients_without_net: int,
    lines_skipped: int,
) -> WorklistCounts:
    by_state = Counter(row.state for row in rows)
    by_tier = Counter(
        row.tier.value if row.tier else "undetermined"
        for row in rows
        if row.state in IN_SCOPE_STATES
    )
    return WorklistCounts(
        patients_exported=patients_exported,
        patients_scored=patients_scored,
        patients_without_net=patients_without_net,
        by_state={state: by_state[state] for state in STATE_ORDER if by_state[state]},
        by_tier=dict(sorted(by_tier.items())),
        lines_skipped=lines_skipped,
    )
