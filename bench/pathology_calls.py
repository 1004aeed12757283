"""Pathology sign-off calls for the text-reading cost: the report being signed with its
Observations only, and the same report also carrying a synoptic report (text/plain) and a PDF
in `presentedForm`. The text rows run only when the report reader (`fhir_mappers.report_text`)
is importable; without it pannet-cds would not read the text, so the row would measure nothing.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

from cds_service.sandbox.patients import demo_patients
from tests.support.cds_calls import pathology_report, prefetch_for, request_body

SERVICE_PATH = "/cds-services/pannet-cds-pathology-report-sign"

# A CAP-style synoptic summary (synthetic): the phrases a reader looks for, with a negation.
SYNOPTIC = """PANCREAS (ENDOCRINE) SYNOPTIC REPORT
Procedure: Distal pancreatectomy
Tumor site: Pancreatic tail
Tumor size: 2.6 cm (greatest dimension)
Histologic type: Well-differentiated neuroendocrine tumor
Histologic grade: G2
Ki-67 proliferation index: 7 %
Mitotic rate: 3 mitoses per 2 mm2
Lymphovascular invasion: Not identified
Perineural invasion: Present
Regional lymph nodes: 2 of 14 involved
Margins: Negative for tumor
"""


def reader_available(service_root: Path) -> bool:
    """Whether the measured source tree has the report reader (a package or a module)."""
    reader = service_root / "fhir_mappers" / "report_text"
    return (reader / "__init__.py").is_file() or reader.with_suffix(".py").is_file()


def _pdf(text: str) -> bytes:
    """A one-page PDF whose content stream shows `text` (one text line per report line)."""
    lines = [
        line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        for line in text.splitlines()
    ]
    stream = "BT /F1 10 Tf 40 800 Td 12 TL " + " ".join(f"({line}) '" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out


def pathology_bodies(*, with_text: bool) -> list[bytes]:
    """One sign-off call per demo patient: its pathology Observations contained in the report
    being signed, the rest of the record prefetched; `with_text` adds the synoptic report and
    its PDF as `presentedForm`."""
    out = []
    for patient in demo_patients():
        resources = [e["resource"] for e in patient.bundle["entry"]]
        observations = [r for r in resources if r["resourceType"] == "Observation"]
        report = pathology_report(patient.patient_id, observations)
        if with_text:
            report["presentedForm"] = [
                {
                    "contentType": "text/plain",
                    "data": base64.b64encode(SYNOPTIC.encode()).decode(),
                    "title": "Synoptic report",
                },
                {
                    "contentType": "application/pdf",
                    "data": base64.b64encode(_pdf(SYNOPTIC)).decode(),
                    "title": "Signed report (PDF)",
                },
            ]
        rest = [r for r in resources if r["resourceType"] != "Observation"]
        body = request_body(
            "pathology", patient.patient_id, prefetch=prefetch_for(rest), diagnosticReport=report
        )
        out.append(json.dumps(body).encode())
    return out
