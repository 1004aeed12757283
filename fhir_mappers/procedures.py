"""The curative resection: the earliest completed resection Procedure (clinical.md §1, §3).

A Procedure is a resection when its code is a resection code (CPT, ICD-10-PCS, OPS), its text
names one (English, German and the other IG languages), or it is a generic excision /
resection whose body site is the pancreas or a GEP organ. A final pathology report of a
resection specimen stands in when no Procedure is on record; its date is then the specimen's
collection date, else the report's effective date, else (with a warning) its issue date.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fhir_mappers import resection_codes as rc
from fhir_mappers.clinical_codes import OTHER_GEP_TEXT, PANCREAS_TEXT
from fhir_mappers.concepts import Concept, concept, label
from fhir_mappers.index import Entry, RecordIndex
from fhir_mappers.quoting import quoted
from fhir_mappers.timing import first_span, span
from scoring.inputs import Resection

# MII onko examples (Procedure-mii-exa-onko-operation-1.json) send status "final", which is not
# an R4 Procedure status; it never means planned or stopped, so it is read as completed (warned).
_READ_AS_COMPLETED = frozenset({"final"})


def is_resection(code: Concept, body_site: Concept) -> bool:
    if code.has_any(rc.RESECTION) or code.says_stemmed(rc.RESECTION_TEXT, rc.RESECTION_STEMS):
        return True
    for system, value in code.codings:
        bare = value.strip().upper()
        if system in rc.ICD10PCS_SYSTEMS and rc.ICD10PCS_RESECTION.fullmatch(bare):
            return True
        if system in rc.OPS_SYSTEMS and bare.split(".")[0] in rc.OPS_RESECTION_PREFIXES:
            return True
    # a generic resection counts on a GEP organ; the body site is read only for one
    if not code.says_stemmed(rc.GENERIC_RESECTION_TEXT, rc.GENERIC_RESECTION_STEMS):
        return False
    return (
        body_site.has_any(rc.PANCREAS_BODY_SITE)
        or body_site.says(PANCREAS_TEXT)
        or body_site.says(OTHER_GEP_TEXT)
    )


def resection_procedures(index: RecordIndex, warnings: list[str]) -> list[Resection]:
    """Completed curative resections, earliest first (undated last)."""
    found: list[Resection] = []
    for entry in index.of_type("Procedure"):
        code = entry.code
        if not is_resection(code, concept(entry.raw.get("bodySite"))):
            continue
        if code.says_stemmed(rc.NOT_CURATIVE_TEXT, rc.NOT_CURATIVE_STEMS):
            warnings.append(f"{entry.ref}: not a curative resection ('{code.text[:60]}'); ignored")
            continue
        status = entry.raw.get("status")
        if isinstance(status, str) and status in _READ_AS_COMPLETED:
            warnings.append(
                f"{entry.ref}: status '{status}' is not a Procedure status; read as completed"
            )
        elif status != "completed":
            warnings.append(
                f"{entry.ref}: resection with status '{quoted(str(status), 40)}' not used"
            )
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


def report_standing_in(
    index: RecordIndex, entry: Entry, specimen: Entry | None, warnings: list[str] | None = None
) -> Resection:
    """A Resection read from a resection pathology report (no Procedure on record)."""
    notes = warnings if warnings is not None else []
    performed = _collected(index, specimen)
    report: Any = index.model(entry)
    if performed is None:
        when = first_span(report.effectiveDateTime, report.effectivePeriod)
        performed = when.first if when else None
        if performed is not None:
            notes.append(
                f"{entry.ref}: resection date taken from the report's effective date "
                f"{performed.isoformat()} (no resection Procedure or specimen collection date)"
            )
    if performed is None:
        issued = span(report.issued)
        performed = issued.first if issued else None
        if performed is not None:
            notes.append(
                f"{entry.ref}: resection date taken from the report's issue date "
                f"{performed.isoformat()}; the surgery was on or before it: please record it"
            )
    if performed is None:
        notes.append(f"{entry.ref}: resection report without any date")
    description = label(entry.raw.get("code")) or "resection specimen report"
    return Resection(performed, entry.ref, description)


def _collected(index: RecordIndex, specimen: Entry | None) -> date | None:
    if specimen is None:
        return None
    collection = getattr(index.model(specimen), "collection", None)
    if collection is None:
        return None
    when = first_span(
        getattr(collection, "collectedDateTime", None),
        getattr(collection, "collectedPeriod", None),
    )
    return when.first if when else None
