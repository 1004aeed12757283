"""What the worklist's HTML shows, computed from the Worklist: per row the state's words (what a
navigator acts on), the tier or possible tiers, the next exam, and the keys the table sorts by;
the counts and the tier chart's bars. No markup here: the templates escape every value."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from cds_service.cards.action import overdue_by
from cds_service.worklist.models import STATE_ORDER, RowState, Worklist, WorklistRow
from scoring.assessment import TIER_ORDER, tier_rank

STATE_LABELS: dict[RowState, str] = {
    RowState.OVERDUE: "Overdue",
    RowState.DUE: "Due soon",
    RowState.UNDETERMINED: "Tier undetermined",
    RowState.RECURRENCE: "Recurrence on record",
    RowState.ON_SCHEDULE: "On schedule",
    RowState.OUT_OF_SCOPE: "Out of scope",
}
UNDETERMINED = "undetermined"
COLUMNS = (
    ("patient", "Patient", "text"),
    ("state", "State", "text"),
    ("tier", "Tier", "number"),
    ("next", "Next exam", "text"),
    ("imaging", "Last abdominal imaging", "text"),
    ("sources", "Sources", "number"),
)
_LAST = "~"  # sorts after any date or name: rows without a value go to the end ascending
_BAR_ROW = 40  # px per chart row: a label line, then its bar


@dataclass(frozen=True)
class RowView:
    rank: int
    patient_id: str
    name: str
    name_sort: str
    birth_date: str | None
    mrn: str | None
    state: str
    headline: str
    details: list[str]
    warnings: list[str]
    tier: str | None
    tier_text: str
    tier_note: str | None
    tier_sort: int
    next_exam: str
    next_due: str | None
    next_sort: str
    last_imaging: str
    imaging_sort: str
    sources: list[str]
    href: str | None


@dataclass(frozen=True)
class Bar:
    key: str
    label: str
    count: int
    percent: int
    width: float
    text_y: int
    bar_y: int


@dataclass(frozen=True)
class PageView:
    title: str
    heading: str
    subtitle: str
    today: str
    due_within_days: int
    since: str | None
    state_counts: list[dict[str, object]]
    totals: str
    bars: list[Bar]
    chart_height: int
    chart_text: str
    no_chart: str
    rows: list[RowView]
    skipped: list[dict[str, str]]
    lines_skipped: int
    columns: list[dict[str, str]] = field(
        default_factory=lambda: [{"key": k, "label": lb, "type": t} for k, lb, t in COLUMNS]
    )


def _days_until(due: str | None, today: str) -> int | None:
    try:
        return (date.fromisoformat(due or "") - date.fromisoformat(today)).days
    except ValueError:
        return None


def _state_text(row: WorklistRow, today: str) -> tuple[str, list[str]]:
    """The state's headline and what a navigator needs to act on it."""
    exam = row.next_exam or "surveillance imaging"
    if row.state is RowState.OVERDUE:
        # The card's and the app's words for how long ("by 1 year 1 month"), not a day count.
        by = overdue_by(row.overdue_since, today, row.days_overdue)
        days = f" by {by}" if by else ""
        details = [f"{exam} due since {row.overdue_since or row.next_due or 'an unknown date'}"]
        if row.missed_dates:
            details.append("missed: " + ", ".join(row.missed_dates))
        return f"Overdue{days}", details
    if row.state is RowState.DUE:
        days = _days_until(row.next_due, today)
        when = "today" if days == 0 else f"in {days} days" if days is not None else ""
        return f"Due {row.next_due or '(date not stated)'}", [f"{exam} {when}".strip()]
    if row.state is RowState.UNDETERMINED:
        missing = ", ".join(row.missing_data) or "not named"
        return "Tier undetermined", [f"missing data: {missing}"]
    if row.state is RowState.RECURRENCE:
        return "Recurrence on record", [row.reason or "reason not stated"]
    if row.state is RowState.OUT_OF_SCOPE:
        return "Out of scope", [row.reason or "reason not stated"]
    return "On schedule", [f"next {exam} {row.next_due}"] if row.next_due else []


def _words(tier: str) -> str:
    """A tier key as the card and the app say it: "very-low" is "very low"."""
    return tier.replace("-", " ")


def _tier_cells(row: WorklistRow) -> tuple[str | None, str, str | None, int]:
    """Tier shown (None when undetermined), its text, a note, and its sort key."""
    if row.tier is not None:
        return row.tier.value, _words(row.tier.value), None, tier_rank(row.tier)
    note = None
    if row.schedule_tier is not None:
        note = f"schedule followed: {_words(row.schedule_tier.value)}"
    if row.possible_tiers:
        possible = sorted(row.possible_tiers, key=tier_rank)
        text = "possible: " + " or ".join(_words(t.value) for t in possible)
        return None, text, note, len(TIER_ORDER) + tier_rank(possible[-1])
    if row.state in (RowState.OUT_OF_SCOPE, RowState.RECURRENCE):
        return None, "—", note, 2 * len(TIER_ORDER) + 1
    return None, UNDETERMINED, note, 2 * len(TIER_ORDER)


def row_view(rank: int, row: WorklistRow, today: str, href: str | None = None) -> RowView:
    headline, details = _state_text(row, today)
    tier, tier_text, tier_note, tier_sort = _tier_cells(row)
    if row.next_due:
        next_exam = row.next_exam or "surveillance imaging"
    elif row.state in (RowState.RECURRENCE, RowState.OUT_OF_SCOPE):
        next_exam = "not on the post-resection schedule"
    else:
        next_exam = "not set"
    return RowView(
        rank=rank,
        patient_id=row.patient_id,
        name=row.name or "(no name recorded)",
        name_sort=(row.name or _LAST).casefold(),
        birth_date=row.birth_date,
        mrn=row.mrn,
        state=row.state.value,
        headline=headline,
        details=details,
        warnings=list(row.warnings),
        tier=tier,
        tier_text=tier_text,
        tier_note=tier_note,
        tier_sort=tier_sort,
        next_exam=next_exam,
        next_due=row.next_due,
        next_sort=row.next_due or _LAST,
        last_imaging=row.last_imaging or "none on record",
        imaging_sort=row.last_imaging or _LAST,
        sources=list(row.sources),
        href=href,
    )


def _bars(worklist: Worklist) -> list[Bar]:
    by_tier = dict(worklist.counts.by_tier)
    keys = [t.value for t in TIER_ORDER] + [UNDETERMINED]
    keys += sorted(k for k in by_tier if k not in keys)  # a key this page does not know yet
    present = [(k, by_tier.get(k, 0)) for k in keys if k in by_tier or k in TIER_ORDER]
    total = sum(n for _, n in present)
    if total == 0:
        return []
    return [
        Bar(
            key=key,
            label=_words(key),
            count=n,
            percent=round(100 * n / total),
            width=round(100 * n / total, 1),  # of the track: the whole cohort in scope
            text_y=i * _BAR_ROW + 15,
            bar_y=i * _BAR_ROW + 21,
        )
        for i, (key, n) in enumerate(present)
    ]


def page_view(worklist: Worklist, patient_href: Callable[[str], str] | None = None) -> PageView:
    counts = worklist.counts
    server = worklist.fhir_server or "(FHIR server not named)"
    group = f"Group/{worklist.group}" if worklist.group else "all patients"
    run_date = worklist.generated_at[:10]
    bars = _bars(worklist)
    totals = (
        f"{counts.patients_exported} patients exported, {counts.patients_scored} scored, "
        f"{counts.patients_without_net} without a NET diagnosis (not listed)"
    )
    if counts.lines_skipped:
        totals += f", {counts.lines_skipped} input(s) skipped"
    return PageView(
        title=f"Surveillance worklist {run_date} · {group} · {server}",
        heading=f"Surveillance worklist — {run_date}",
        subtitle=f"{server} · {group} · produced {worklist.generated_at}",
        today=worklist.today,
        due_within_days=worklist.due_within_days,
        since=worklist.since,
        state_counts=[
            {"state": s.value, "label": STATE_LABELS[s], "count": counts.by_state.get(s, 0)}
            for s in STATE_ORDER
        ],
        totals=totals,
        bars=bars,
        chart_height=len(bars) * _BAR_ROW,
        chart_text="; ".join(f"{b.label}: {b.count}" for b in bars),
        # Never "no patient in scope" for a list that has some: the counts are what is missing.
        no_chart="This worklist does not record its tier counts."
        if any(r.state is not RowState.OUT_OF_SCOPE for r in worklist.rows)
        else "No patient in scope.",
        rows=[
            row_view(i, row, worklist.today, patient_href(row.patient_id) if patient_href else None)
            for i, row in enumerate(worklist.rows)
        ],
        skipped=[{"where": s.where, "error": s.error} for s in worklist.skipped],
        lines_skipped=max(counts.lines_skipped, len(worklist.skipped)),
    )
