"""Building FHIR records around the report corpus (`tests/data/reports/`): a DiagnosticReport
carrying the text as presentedForm (plain, HTML, or a PDF rendered here with fpdf2) or as its
conclusion, plus the Observations, Procedure or earlier report a case asks for."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

REPORTS = Path(__file__).resolve().parent / "data" / "reports"
PATIENT = {"resourceType": "Patient", "id": "pt-text", "gender": "female"}
SUBJECT = {"reference": "Patient/pt-text"}
PATHOLOGY_CODE = {
    "coding": [
        {"system": "http://loinc.org", "code": "60568-3", "display": "Pathology Synoptic report"}
    ]
}


def case_ids() -> list[str]:
    return sorted(p.name.removesuffix(".expected.json") for p in REPORTS.glob("*.expected.json"))


def load(case_id: str) -> tuple[str, dict[str, Any]]:
    meta = json.loads((REPORTS / f"{case_id}.expected.json").read_text())
    ext = ".html" if meta["content_type"] == "text/html" else ".txt"
    return (REPORTS / f"{case_id}{ext}").read_text(), meta


def pdf_bytes(text: str) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    for line in text.splitlines():
        pdf.multi_cell(0, 5, line.replace("²", "2") or " ", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def scanned_pdf_bytes() -> bytes:
    """A PDF with only a drawing on it: no text layer, as a scanned page has."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 40, style="F")
    return bytes(pdf.output())


def report(
    text: str,
    content_type: str = "text/plain",
    *,
    rid: str = "rep-1",
    status: str = "final",
    as_conclusion: bool = False,
    when: str = "2024-03-04",
    identifier: str | None = None,
    pdf: bytes | None = None,
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "DiagnosticReport",
        "id": rid,
        "status": status,
        "code": PATHOLOGY_CODE,
        "subject": SUBJECT,
        "effectiveDateTime": when,
        "issued": f"{when}T12:00:00Z",
    }
    if identifier:
        resource["identifier"] = [{"system": "urn:example:accession", "value": identifier}]
    if as_conclusion:
        resource["conclusion"] = text
        return resource
    data = pdf if pdf is not None else text.encode()
    if content_type == "application/pdf" and pdf is None:
        data = pdf_bytes(text)
    resource["presentedForm"] = [
        {"contentType": content_type, "data": base64.b64encode(data).decode()}
    ]
    return resource


def record_for(case_id: str) -> tuple[list[dict[str, Any]], dict[str, Any], str]:
    """(resources, meta, ref of the report whose text is read)."""
    text, meta = load(case_id)
    status = meta.get("status", "final")
    resources: list[dict[str, Any]] = [PATIENT]
    ref = "DiagnosticReport/rep-1"
    if "earlier" in meta:
        resources.append(
            report(meta["earlier"], rid="rep-first", identifier="S24-1", when="2024-03-05")
        )
        resources.append(
            report(text, rid="rep-amended", status="amended", identifier="S24-1", when="2024-03-09")
        )
        ref = "DiagnosticReport/rep-amended"
    else:
        when = "2025-06-01" if meta.get("after_surgery") else "2024-03-04"
        resources.append(
            report(
                text,
                meta["content_type"],
                status=status,
                as_conclusion=meta.get("as") == "conclusion",
                when=when,
            )
        )
    if meta.get("after_surgery"):
        resources.append(
            {
                "resourceType": "Procedure",
                "id": "surgery",
                "status": "completed",
                "subject": SUBJECT,
                "code": {"text": "Distal pancreatectomy"},
                "performedDateTime": "2024-03-04",
            }
        )
    for observation in meta.get("observations", []):
        resources.append({**observation, "subject": SUBJECT, "effectiveDateTime": "2024-03-04"})
    return resources, meta, ref
