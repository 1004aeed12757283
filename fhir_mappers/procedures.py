"""The curative resection: the earliest completed resection Procedure (clinical.md §1, §3).

A final pathology report of a resection specimen stands in when no Procedure is on record; its
performed date is then the specimen's collection date, or None.
"""

from __future__ import annotations

from datetime import date

from fhir_mappers.clinical_codes import NOT_CURATIVE_TEXT, RESECTION, RESECTION_TEXT
from fhir_mappers.concepts import concept, label
from fhir_mappers.index import Entry, RecordIndex
from fhir_mappers.timing import first_span
from scoring.inputs import Resection


def resection_procedures(index: RecordIndex, warnings: list[str]) -> list[Resection]:
    """Completed curative resections, earliest first (undated last)."""
    found: list[Resection] = []
    for entry in index.of_type("Procedure"):
        code = concept(entry.raw.get("code"))
        if not (code.has_any(RESECTION) or code.says(RESECTION_TEXT)):
            continue
        if code.says(NOT_CURATIVE_TEXT):
            warnings.append(f"{entry.ref}: not a curative resection ('{code.text[:60]}'); ignored")
            continue
        status = entry.raw.get("status")
        if status != "completed":
            warnings.append(f"{entry.ref}: resection with status '{status}' not used")
            continue
        model = index.model(entry)
        performed = _performed(model, entry, warnings)
        found.append(Resection(performed, entry.ref, label(entry.raw.get("code"))))
    return sorted(found, key=lambda r: (r.performed is None, r.performed or date.max, r.source))


def _performed(model: object, entry: Entry, warnings: list[str]) -> date | None:
    when = first_span(
        getattr(model, "performedDateTime", None), getattr(model, "performedPeriod", None)
    )
    if when is None:
        warnings.append(f"{entry.ref}: resection without a performed date")
        return None
    if when.first != when.last:
        warnings.append(f"{entry.ref}: performed date imprecise; used {when.first.isoformat()}")
    return when.first


def report_standing_in(index: RecordIndex, entry: Entry, specimen: Entry | None) -> Resection:
    """A Resection read from a resection pathology report (no Procedure on record)."""
    performed = None
    if specimen is not None:
        model = index.model(specimen)
        collection = getattr(model, "collection", None)
        when = (
            first_span(
                getattr(collection, "collectedDateTime", None),
                getattr(collection, "collectedPeriod", None),
            )
            if collection
            else None
        )
        performed = when.first if when else None
    description = label(entry.raw.get("code")) or "resection specimen report"
    return Resection(performed, entry.ref, description)
