"""A readable summary of one FHIR resource for the "where from" view: what it is, its status, its
value and dates, and a report's own text, so a clinician need not read JSON (the JSON stays on
the page behind a toggle). Tolerant of any shape: an element it cannot read is left out, never
an error, since the page shows the full resource anyway."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any

from fhir_mappers.concepts import items, label
from fhir_mappers.report_text.html_text import html_to_text
from fhir_mappers.report_text.pdf_text import pdf_to_text

# The report text shown on the page, not the whole of a long report.
MAX_SHOWN_CHARS = 20_000
_WHAT = {
    "Observation": "Result",
    "DiagnosticReport": "Report",
    "Procedure": "Procedure",
    "Condition": "Diagnosis",
    "ServiceRequest": "Order",
    "ImagingStudy": "Imaging study",
    "MedicationRequest": "Medication order",
    "MedicationStatement": "Medication",
    "Specimen": "Specimen",
    "Patient": "Patient",
}


@dataclass(frozen=True)
class Summary:
    title: str
    rows: list[tuple[str, str]] = field(default_factory=list)
    texts: list[tuple[str, str]] = field(default_factory=list)  # (where, text) of a report


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _quantity(value: Any) -> str | None:
    if not isinstance(value, dict) or not isinstance(value.get("value"), int | float):
        return None
    unit = _text(value.get("unit")) or _text(value.get("code")) or ""
    comparator = _text(value.get("comparator")) or ""
    return f"{comparator}{value['value']:g} {unit}".strip()


def _value(resource: dict[str, Any]) -> str | None:
    """Observation.value[x] in words, as recorded (no interpretation)."""
    for key, read in (
        ("valueQuantity", _quantity),
        ("valueCodeableConcept", lambda v: label(v) or None),
        ("valueString", _text),
        ("valueInteger", lambda v: str(v) if isinstance(v, int) else None),
        ("valueBoolean", lambda v: {True: "yes", False: "no"}.get(v)),
        (
            "valueRange",
            lambda v: (
                " to ".join(filter(None, (_quantity(v.get("low")), _quantity(v.get("high")))))
                if isinstance(v, dict)
                else None
            ),
        ),
    ):
        if key in resource:
            shown = read(resource[key])
            if shown:
                return shown
    return None


def _when(resource: dict[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = resource.get(key)
        if isinstance(value, str):
            return value
        if isinstance(value, dict):
            start, end = _text(value.get("start")), _text(value.get("end"))
            if start or end:
                return " to ".join(filter(None, (start, end)))
    return None


def _form_text(form: Any) -> str | None:
    if not isinstance(form, dict) or not isinstance(form.get("data"), str):
        return None
    kind = str(form.get("contentType") or "").split(";")[0].strip().lower()
    try:
        raw = base64.b64decode(form["data"], validate=True)
    except (binascii.Error, ValueError):
        return None
    if kind == "application/pdf":
        return pdf_to_text(raw)[0] or None
    if kind in ("text/plain", "text/html"):
        decoded = raw.decode("utf-8", errors="replace")
        return html_to_text(decoded) if kind == "text/html" else decoded
    return None


def _report_texts(resource: dict[str, Any]) -> list[tuple[str, str]]:
    texts = []
    for i, form in enumerate(items(resource, "presentedForm")):
        text = _form_text(form)
        if text and text.strip():
            kind = form.get("contentType") if isinstance(form, dict) else None
            texts.append((f"Attached report {i + 1} ({kind})", text.strip()[:MAX_SHOWN_CHARS]))
    conclusion = _text(resource.get("conclusion"))
    if conclusion:
        texts.append(("Conclusion", conclusion[:MAX_SHOWN_CHARS]))
    return texts


def summarise(resource: dict[str, Any]) -> Summary:
    kind = str(resource.get("resourceType") or "Resource")
    what = label(resource.get("code")) or label(resource.get("medicationCodeableConcept"))
    if kind == "Patient":
        what = " ".join(
            filter(None, (_text(resource.get("gender")), _text(resource.get("birthDate"))))
        )
    title = f"{_WHAT.get(kind, kind)}: {what}" if what else _WHAT.get(kind, kind)
    candidates = [
        ("Value", _value(resource) if kind == "Observation" else None),
        ("Status", _text(resource.get("status"))),
        ("Clinical status", label(resource.get("clinicalStatus")) or None),
        ("Intent", _text(resource.get("intent")) if kind == "ServiceRequest" else None),
        ("Body site", label((items(resource, "bodySite") or [None])[0]) or None),
        ("Method", label(resource.get("method")) or None),
        (
            "Date",
            _when(
                resource,
                "effectiveDateTime",
                "effectivePeriod",
                "performedDateTime",
                "performedPeriod",
                "onsetDateTime",
                "occurrenceDateTime",
                "occurrencePeriod",
                "started",
                "authoredOn",
                "recordedDate",
            ),
        ),
        ("Issued", _text(resource.get("issued"))),
        ("Note", "; ".join(filter(None, (_text(n.get("text")) for n in _dicts(resource, "note"))))),
    ]
    rows = [(name, value) for name, value in candidates if value]
    return Summary(title, rows, _report_texts(resource) if kind == "DiagnosticReport" else [])


def _dicts(resource: dict[str, Any], key: str) -> list[dict[str, Any]]:
    return [n for n in items(resource, key) if isinstance(n, dict)]
