"""Hand-built worklists for the HTML page, the store and the SMART page tests: one row of every
state a navigator meets, with realistic dates and sources (overdue by 400 days, due in 10 days,
undetermined for a missing Ki-67, a recurrence and a metastatic-at-surgery exclusion)."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from cds_service.worklist.models import (
    RowState,
    SkippedInput,
    Worklist,
    WorklistCounts,
    WorklistRow,
)
from scoring.assessment import Tier

TODAY = date(2026, 12, 1)
HOSTILE_NAME = "<script>alert('x')</script> O'Brien & \"Sons\""


def _iso(days: int) -> str:
    return (TODAY + timedelta(days=days)).isoformat()


def sample_rows(prefix: str = "wl", hostile_name: str = HOSTILE_NAME) -> list[WorklistRow]:
    """Rows in the worklist's urgency order; patient ids are `{prefix}-...`."""
    today = TODAY.isoformat()
    return [
        WorklistRow(
            patient_id=f"{prefix}-overdue",
            name="Anna Overdue",
            birth_date="1961-04-12",
            mrn="MRN-1001",
            state=RowState.OVERDUE,
            tier=Tier.INTERMEDIATE,
            possible_tiers=[Tier.INTERMEDIATE],
            schedule_tier=Tier.INTERMEDIATE,
            resection_date="2023-05-20",
            next_exam="CT/MRI abdomen",
            next_due=_iso(-400),
            overdue_since=_iso(-400),
            days_overdue=400,
            missed_dates=[_iso(-400)],
            last_imaging="2024-05-02 CT abdomen (ImagingStudy/img-1001)",
            sources=[
                f"Condition/{prefix}-dx-1001",
                f"Observation/{prefix}-ki67-1001",
                f"Procedure/{prefix}-resection-1001",
            ],
            scored_at=today,
        ),
        WorklistRow(
            patient_id=f"{prefix}-due",
            name=hostile_name,
            birth_date="1958-09-30",
            mrn="MRN-1002",
            state=RowState.DUE,
            tier=Tier.LOW,
            possible_tiers=[Tier.LOW],
            schedule_tier=Tier.LOW,
            resection_date="2025-06-11",
            next_exam="CT/MRI abdomen",
            next_due=_iso(10),
            last_imaging="2025-12-04 MRI abdomen (DiagnosticReport/rep-1002)",
            sources=[f"Condition/{prefix}-dx-1002", f"Observation/{prefix}-size-1002"],
            scored_at=today,
        ),
        WorklistRow(
            patient_id=f"{prefix}-undetermined",
            name="Carla Unknown",
            birth_date="1970-01-05",
            mrn="MRN-1003",
            state=RowState.UNDETERMINED,
            possible_tiers=[Tier.LOW, Tier.INTERMEDIATE],
            schedule_tier=Tier.INTERMEDIATE,
            resection_date="2026-02-14",
            next_exam="CT/MRI abdomen",
            next_due=_iso(75),
            missing_data=["Ki-67 index"],
            sources=[f"Condition/{prefix}-dx-1003", f"Procedure/{prefix}-resection-1003"],
            warnings=["Ki-67 not recorded: the tier could be low or intermediate"],
            scored_at=today,
        ),
        WorklistRow(
            patient_id=f"{prefix}-recurrence",
            name="David Recurred",
            birth_date="1955-11-23",
            state=RowState.RECURRENCE,
            reason="liver metastasis on 2026-08-03 (Condition/"
            f"{prefix}-met-1004): left post-resection surveillance",
            resection_date="2022-03-01",
            last_imaging="2026-08-01 CT abdomen (ImagingStudy/img-1004)",
            sources=[f"Condition/{prefix}-dx-1004", f"Condition/{prefix}-met-1004"],
            scored_at=today,
        ),
        WorklistRow(
            patient_id=f"{prefix}-out",
            name="Eva Outside",
            birth_date="1966-07-07",
            mrn="MRN-1005",
            state=RowState.OUT_OF_SCOPE,
            reason=f"metastatic at surgery (Observation/{prefix}-m1-1005: pM1)",
            sources=[f"Condition/{prefix}-dx-1005", f"Observation/{prefix}-m1-1005"],
            scored_at=today,
        ),
    ]


def sample_worklist(
    fhir_server: str | None = "http://fhir.example.org/fhir",
    *,
    group: str | None = "net-clinic",
    generated_at: str = "2026-12-01T06:00:00Z",
    prefix: str = "wl",
    rows: list[WorklistRow] | None = None,
) -> Worklist:
    rows = sample_rows(prefix) if rows is None else rows
    in_scope = [r for r in rows if r.state not in (RowState.OUT_OF_SCOPE, RowState.RECURRENCE)]
    by_tier = Counter(r.tier.value if r.tier else "undetermined" for r in in_scope)
    return Worklist(
        generated_at=generated_at,
        today=TODAY.isoformat(),
        fhir_server=fhir_server,
        group=group,
        due_within_days=30,
        rows=rows,
        counts=WorklistCounts(
            patients_exported=len(rows) + 3,
            patients_scored=len(rows),
            patients_without_net=3,
            by_state=dict(Counter(r.state for r in rows)),
            by_tier=dict(by_tier),
            lines_skipped=2,
        ),
        skipped=[
            SkippedInput(where="Observation.ndjson line 17", error="not JSON"),
            SkippedInput(where="Condition/bad-1", error="subject is missing"),
        ],
    )
