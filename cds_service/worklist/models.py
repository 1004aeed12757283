"""The worklist as data: what `pannet-cds worklist --format json` writes, what the HTML page
and the SMART app's worklist page render, and what an incremental (`--since`) run merges with.

The shape is a contract between the export/scoring side and the renderers; change it in one
place, here, and bump `WORKLIST_FORMAT_VERSION` when a field changes meaning.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from scoring.assessment import Tier

WORKLIST_FORMAT_VERSION = 1


class RowState(StrEnum):
    """Why the row is on the list, most urgent first (the list's sort order)."""

    OVERDUE = "overdue"  # a surveillance exam is past due with no imaging since
    DUE = "due"  # an exam falls due within the window
    UNDETERMINED = "undetermined"  # tier not determined and the missing data would change it
    RECURRENCE = "recurrence"  # recurrence on record: left post-resection surveillance
    ON_SCHEDULE = "on-schedule"  # in scope, nothing due within the window
    OUT_OF_SCOPE = "out-of-scope"  # NET on record but excluded (why: `reason`)


STATE_ORDER: tuple[RowState, ...] = tuple(RowState)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WorklistRow(_Model):
    patient_id: str = Field(description="the Patient's logical id on the FHIR server")
    name: str | None = None
    birth_date: str | None = None
    mrn: str | None = None
    state: RowState
    reason: str | None = Field(
        default=None, description="out of scope or recurrence: why, with its source"
    )
    tier: Tier | None = Field(default=None, description="overall tier; null when undetermined")
    possible_tiers: list[Tier] = Field(default_factory=list)
    schedule_tier: Tier | None = Field(
        default=None, description="the tier whose schedule is followed (conservative if unknown)"
    )
    resection_date: str | None = None
    next_exam: str | None = Field(default=None, description="what is due, e.g. 'CT/MRI abdomen'")
    next_due: str | None = None
    overdue_since: str | None = None
    days_overdue: int | None = None
    missed_dates: list[str] = Field(default_factory=list)
    last_imaging: str | None = Field(default=None, description="last abdominal imaging on record")
    missing_data: list[str] = Field(
        default_factory=list, description="data whose recording would change the schedule"
    )
    sources: list[str] = Field(default_factory=list, description="FHIR references (Type/id)")
    warnings: list[str] = Field(default_factory=list)
    scored_at: str = Field(description="ISO date the row was computed for (the assessment's today)")
    # Optional additions (issue 15, bulk side):
    last_imaging_source: str | None = Field(
        default=None, description="the resource (Type/id) the last imaging date came from"
    )
    resection_source: str | None = Field(
        default=None, description="the resource (Type/id) the resection date came from"
    )
    schedule_basis: str | None = Field(
        default=None, description="why this schedule (the surveillance plan's basis)"
    )
    imaging_dates: list[str] = Field(
        default_factory=list,
        description="dates of every abdominal CT/MRI done or ordered on record, so a later"
        " incremental run can re-evaluate the schedule for its own today",
    )
    record_read_on: str | None = Field(
        default=None,
        description="ISO date the patient's record was last read from the server (an"
        " incremental run keeps rows of unchanged patients, re-evaluated for its today)",
    )


class SkippedInput(_Model):
    """A line or resource of the export that could not be used; the run goes on without it."""

    where: str = Field(description="file and line, or resource Type/id")
    error: str


class WorklistCounts(_Model):
    patients_exported: int = 0
    patients_scored: int = 0
    patients_without_net: int = Field(
        default=0, description="exported but no NET diagnosis: counted, not listed"
    )
    by_state: dict[RowState, int] = Field(default_factory=dict)
    by_tier: dict[str, int] = Field(
        default_factory=dict, description="tier (or 'undetermined') → rows in scope"
    )
    lines_skipped: int = 0


class Worklist(_Model):
    format_version: int = WORKLIST_FORMAT_VERSION
    generated_at: str = Field(description="ISO date-time of the run (UTC)")
    today: str = Field(description="ISO date the schedules were evaluated for")
    fhir_server: str | None = None
    group: str | None = None
    since: str | None = Field(default=None, description="the --since of an incremental run")
    due_within_days: int
    rows: list[WorklistRow] = Field(description="sorted by urgency (STATE_ORDER, then dates)")
    counts: WorklistCounts
    skipped: list[SkippedInput] = Field(
        default_factory=list, description="the first errors (all are counted in `counts`)"
    )
    # Optional additions (issue 15, bulk side):
    transaction_time: str | None = Field(
        default=None,
        description="the export's transactionTime (server clock): the --since of the next run",
    )
    without_net_ids: list[str] = Field(
        default_factory=list,
        description="ids of exported patients without a NET diagnosis (counted, not listed),"
        " so an incremental run can recount them",
    )
