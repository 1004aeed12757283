"""The worklist as CSV (for a spreadsheet) and as JSON (the `Worklist` model, for scripts and
for the next incremental run to merge with), written row by row from an iterator, so a list of
100,000 patients is never held in memory to be written."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
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


def write_csv(rows: Iterable[WorklistRow], out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([_cell(row, column) for column in CSV_COLUMNS])


def write_json(
    header: Worklist, rows: Iterable[WorklistRow], without_net: Iterable[str], out: TextIO
) -> None:
    """`header` with `rows` and `without_net` in place of its own (empty) lists: the same
    document `Worklist.model_dump_json` gives, one row per line."""
    fields = header.model_dump(mode="json", exclude={"rows", "without_net_ids"})
    out.write("{\n")
    for key, value in fields.items():
        out.write(f"  {json.dumps(key)}: {json.dumps(value)},\n")
    out.write('  "rows": [')
    for number, row in enumerate(rows):
        out.write(("\n    " if number == 0 else ",\n    ") + row.model_dump_json())
    out.write('\n  ],\n  "without_net_ids": [')
    for number, pid in enumerate(without_net):
        out.write(("" if number == 0 else ", ") + json.dumps(pid))
    out.write("]\n}\n")
