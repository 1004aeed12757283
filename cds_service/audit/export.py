"""Audit records as CSV or JSON for clinical review, written as they are read (no size limit)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from enum import StrEnum
from typing import TextIO

from cds_service.audit.records import AuditRecord

# Flat columns first; nested lists are JSON text in their cell so a spreadsheet keeps one row
# per assessment and nothing is lost.
CSV_COLUMNS = (
    "id",
    "recorded_at",
    "service_id",
    "hook",
    "hook_instance",
    "patient_ref",
    "assessed_on",
    "overall_tier",
    "possible_tiers",
    "in_scope",
    "scope_code",
    "score_versions",
    "inputs",
    "warnings",
    "cards",
)


class ExportFormat(StrEnum):
    CSV = "csv"
    JSON = "json"


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def write_csv(records: Iterable[AuditRecord], out: TextIO) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    count = 0
    for record in records:
        row = record.model_dump(mode="json")
        writer.writerow([_csv_cell(row[column]) for column in CSV_COLUMNS])
        count += 1
    return count


def write_json(records: Iterable[AuditRecord], out: TextIO) -> int:
    """A JSON array of records, one per line inside it."""
    count = 0
    out.write("[")
    for record in records:
        out.write(",\n" if count else "\n")
        out.write(record.model_dump_json())
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


def export_records(records: Iterable[AuditRecord], out: TextIO, fmt: ExportFormat) -> int:
    """Write `records` to `out`; returns how many."""
    if fmt is ExportFormat.CSV:
        return write_csv(records, out)
    return write_json(records, out)
