"""Which DiagnosticReports are read, and the text each one carries (clinical.md §3.3).

Read: status final, amended, corrected or appended. Not read (with a warning): preliminary,
partial, registered, cancelled, entered-in-error, unknown. An amended or corrected report
replaces the reports it shares an identifier with (the same report, earlier version).

Only pathology reports are read (`is_pathology_report`): a radiology report's "mass measuring
3.5 cm" is not the tumour's pathological size, nor its hedged impression a pathological finding.

A report's text: each `presentedForm` (text/plain, text/html, application/pdf; base64 `data`
only, a `url` is not fetched), its `conclusion`, and the `valueString` / `note` of its final
results. One unreadable report costs only itself.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from fhir_mappers.concepts import concept, field, items, label, text_of
from fhir_mappers.errors import FhirInputError
from fhir_mappers.index import Entry, RecordIndex
from fhir_mappers.report_text.limits import MAX_REPORT_CHARS
from fhir_mappers.report_text.pdf_text import pdf_to_text
from fhir_mappers.timing import Span, first_span

READ_STATUSES = ("final", "amended", "corrected", "appended")

_V2_0074 = "http://terminology.hl7.org/CodeSystem/v2-0074"
_LOINC = "http://loinc.org"
# DiagnosticReport.category / code values that make a report a pathology report.
PATHOLOGY_CODES: frozenset[tuple[str, str]] = frozenset(
    {
        (
            _V2_0074,
            "SP",
        ),  # Surgical Pathology (HL7 v2 table 0074, FHIR R4 DiagnosticReport.category)
        (_V2_0074, "PAT"),  # Pathology (gross & histopath, not surgical)
        (_V2_0074, "CP"),  # Cytopathology
        (_LOINC, "LP7839-6"),  # LOINC part "Pathology" (US Core DiagnosticReport category)
        (_LOINC, "11526-1"),  # Pathology study
        (_LOINC, "11529-5"),  # Surgical pathology study
        (_LOINC, "60567-5"),  # Comprehensive pathology report panel
        (_LOINC, "60568-3"),  # Pathology Synoptic report
        (_LOINC, "22637-3"),  # Pathology report final diagnosis Narrative
        (_LOINC, "22634-0"),  # Pathology report gross observation Narrative
        (_LOINC, "22635-7"),  # Pathology report microscopic observation Narrative
    }
)
_PATHOLOGY_TEXT = r"patholog|histolog|synoptic|cytolog|specimen"
REPLACING_STATUSES = ("amended", "corrected")
RESULT_STATUSES = ("final", "amended", "corrected")


@dataclass(frozen=True)
class Piece:
    """One stretch of report text and where in the report it came from."""

    where: str  # e.g. "presentedForm[0] (application/pdf)", "conclusion"
    text: str


@dataclass(frozen=True)
class ReportText:
    entry: Entry
    pieces: tuple[Piece, ...]
    when: Span | None

    @property
    def ref(self) -> str:
        return self.entry.ref


def readable_reports(index: RecordIndex, warnings: list[str]) -> list[ReportText]:
    reports = index.of_type("DiagnosticReport")
    replaced = _replaced(reports)
    out: list[ReportText] = []
    for entry in reports:
        status = entry.raw.get("status")
        if not _has_text(entry) or not is_pathology_report(entry):
            continue
        if status not in READ_STATUSES:
            warnings.append(f"{entry.ref}: report with status '{status}'; its text was not read")
            continue
        if entry.ref in replaced:
            warnings.append(
                f"{entry.ref}: replaced by {replaced[entry.ref]}; its text was not read"
            )
            continue
        try:
            model = index.model(entry)
        except FhirInputError as exc:
            warnings.append(f"{exc}; its text was not read")
            continue
        pieces = _pieces(index, entry, warnings)
        when = first_span(model.effectiveDateTime, model.effectivePeriod, model.issued)
        out.append(ReportText(entry, tuple(pieces), when))
    return out


def is_pathology_report(entry: Entry) -> bool:
    described = concept(entry.raw.get("category")) | concept(entry.raw.get("code"))
    return described.has_any(PATHOLOGY_CODES) or described.says(_PATHOLOGY_TEXT)


def _has_text(entry: Entry) -> bool:
    raw = entry.raw
    return bool(raw.get("presentedForm") or raw.get("conclusion") or raw.get("result"))


def _replaced(reports: list[Entry]) -> dict[str, str]:
    """Reports replaced by an amended/corrected one sharing an identifier: ref -> replacing ref."""
    by_identifier: dict[tuple[str, str], list[Entry]] = {}
    for entry in reports:
        for ident in items(entry.raw, "identifier"):
            system, value = text_of(field(ident, "system")), text_of(field(ident, "value"))
            if value:
                by_identifier.setdefault((system, value), []).append(entry)
    out: dict[str, str] = {}
    for group in by_identifier.values():
        if len(group) < 2:
            continue
        newest = max(group, key=_version_rank)
        if newest.raw.get("status") not in REPLACING_STATUSES:
            continue
        for entry in group:
            if entry is not newest:
                out[entry.ref] = newest.ref
    return out


def _version_rank(entry: Entry) -> tuple[bool, str, str]:
    raw = entry.raw
    issued = raw.get("issued") if isinstance(raw.get("issued"), str) else ""
    updated = field(raw, "meta", "lastUpdated")
    return (
        raw.get("status") in REPLACING_STATUSES,
        issued,
        updated if isinstance(updated, str) else "",
    )


def _pieces(index: RecordIndex, entry: Entry, warnings: list[str]) -> list[Piece]:
    pieces: list[Piece] = []
    for i, form in enumerate(items(entry.raw, "presentedForm")):
        piece = _attachment(entry, i, form, warnings)
        if piece is not None:
            pieces.append(piece)
    conclusion = entry.raw.get("conclusion")
    if isinstance(conclusion, str) and conclusion.strip():
        pieces.append(Piece("conclusion", conclusion))
    for result in items(entry.raw, "result"):
        target = index.resolve(field(result, "reference"), entry)
        if target is None or target.rtype != "Observation":
            continue
        if target.raw.get("status") not in RESULT_STATUSES:
            continue
        name = label(target.raw.get("code")) or concept(target.raw.get("code")).text
        value = target.raw.get("valueString")
        if isinstance(value, str) and value.strip():
            text = f"{name}: {value}" if name else value
            pieces.append(Piece(f"{target.ref} valueString", text))
        for note in items(target.raw, "note"):
            text = field(note, "text")
            if isinstance(text, str) and text.strip():
                pieces.append(Piece(f"{target.ref} note", text))
    return [_capped(entry, p, warnings) for p in pieces]


def _attachment(entry: Entry, i: int, form: object, warnings: list[str]) -> Piece | None:
    kind = text_of(field(form, "contentType")).split(";")[0].strip().lower()
    where = f"presentedForm[{i}] ({kind or 'no contentType'})"
    data = field(form, "data")
    if not isinstance(data, str) or not data:
        if field(form, "url"):
            warnings.append(f"{entry.ref}: {where} is only a URL; it was not fetched or read")
        return None
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        warnings.append(f"{entry.ref}: {where} is not valid base64; not read")
        return None
    if kind == "application/pdf":
        text, problem = pdf_to_text(raw)
        if problem:
            warnings.append(f"{entry.ref}: {where}: {problem}")
        return Piece(where, text) if text else None
    if kind not in ("text/plain", "text/html"):
        warnings.append(f"{entry.ref}: {where}: content type not read")
        return None
    decoded = raw.decode("utf-8", errors="replace")
    if kind == "text/plain":
        return Piece(where, decoded)
    from fhir_mappers.report_text.html_text import html_to_text  # only records with HTML pay

    return Piece(where, html_to_text(decoded))


def _capped(entry: Entry, piece: Piece, warnings: list[str]) -> Piece:
    if len(piece.text) <= MAX_REPORT_CHARS:
        return piece
    warnings.append(
        f"{entry.ref}: {piece.where} has {len(piece.text):,} characters; only the first "
        f"{MAX_REPORT_CHARS:,} were read"
    )
    return Piece(piece.where, piece.text[:MAX_REPORT_CHARS])
