"""The worklist as CSV (for a spreadsheet) and as JSON (the `Worklist` model, for scripts and
for the next incremental run to merge with)."""

from __future__ import annotations

import csv
from typing import TextIO

from cds_service.worklist.models import Worklist, WorklistRow

CSV_COLUMNS: tuple[str, ...] = (
    "state",
    "days_overdue",
    "next_exam",
    "next_due",
    "overdue_since",
    "missed_dates",
    "patient_id",
    "name",
    "birth_date",
    "mrn",
    "tier",
    "possible_tiers",
    "schedule_tier",
    "resection_date",
    "last_imaging",
    "last_imaging_source",
    "missing_data",
    "reason",
    "sources",
    "warnings",
    "scored_at",
)
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection, OWASP):
# a patient name or a server's text must stay text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(row: WorklistRow, column: str) -> str:
    value = getattr(row, column)
    if value is None:
        return ""
    if isinstance(value, list):
        separator = " " if column == "sources" else "; "
        text = separator.join(str(getattr(v, "value", v)) for v in value)
    else:
        text = str(getattr(value, "value", value))
    return "'" + text if text.startswith(_FORMULA_START) else text


def write_csv(worklist: Worklist, out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in worklist.rows:
        writer.writerow([_cell(row, column) for column in CSV_COLUMNS])


def write_json(worklist: Worklist, out: TextIO) -> None:
    out.write(worklist.model_dump_json(indent=2))
    out.write("\n")
