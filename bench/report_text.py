"""CPU per call of the report reader (issue 10 / 11.1): reading a typical synoptic report, a
narrative one, a PDF, and 100,000-character hostile strings, in-process, single thread.

    PYTHONPATH=. .venv/bin/python -m bench.report_text

Prints the per-call CPU time (process_time) of each, after one warm-up call that builds the
medspaCy pipeline (done once per process; its cost is printed separately).
"""

from __future__ import annotations

import base64
import time

from fhir_mappers.record import inputs_from_resources
from fhir_mappers.report_text.findings import read_text
from fhir_mappers.report_text.pipeline import pipeline

SYNOPTIC = """FINAL DIAGNOSIS:
Pancreas, distal pancreatectomy: well-differentiated neuroendocrine tumor.
Procedure: Distal pancreatectomy
Tumor Site: Pancreatic tail
Tumor Size: Greatest dimension: 3.2 cm
Histologic Grade: G2
Mitotic Rate: 3 mitoses/2 mm2
Ki-67 Labeling Index: 8 %
Lymphovascular Invasion: Not identified
Perineural Invasion: Present
Margins: Uninvolved by tumor
Number of Lymph Nodes Examined: 14
Number of Lymph Nodes Involved: 0
Pathologic Stage Classification (pTNM, AJCC 8th Edition): pT2 pN0
"""
NARRATIVE = (
    "The tumor measures 2.1 x 1.8 x 1.5 cm. With a Ki-67 index of 3.1% the tumor is grade 2. "
    "No lymphovascular invasion is identified. Metastatic NET is present in 2 of 12 lymph nodes.\n"
) * 5
HOSTILE = {
    "100k letters": "a" * 100_000,
    "100k of '1 x '": ("Tumor size: " + "1 x " * 25_000)[:100_000],
    "100k of negated findings": ("no lymphovascular invasion, " * 3_600)[:100_000],
    "100k synoptic lines": ("Lymphovascular invasion: present\n" * 3_100)[:100_000],
}


def _record(text: str, content_type: str = "text/plain", data: bytes | None = None) -> list:
    payload = data if data is not None else text.encode()
    return [
        {"resourceType": "Patient", "id": "b"},
        {
            "resourceType": "DiagnosticReport",
            "id": "r",
            "status": "final",
            "code": {"text": "Surgical pathology"},
            "subject": {"reference": "Patient/b"},
            "presentedForm": [
                {"contentType": content_type, "data": base64.b64encode(payload).decode()}
            ],
        },
    ]


def _cpu(call, repeat: int) -> float:
    start = time.process_time()
    for _ in range(repeat):
        call()
    return (time.process_time() - start) / repeat * 1000


def main() -> None:
    start = time.process_time()
    pipeline()
    print(f"pipeline build (once per process): {(time.process_time() - start) * 1000:.0f} ms CPU")
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    for line in SYNOPTIC.splitlines():
        pdf.multi_cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
    pdf_data = bytes(pdf.output())
    no_text = [{"resourceType": "Patient", "id": "b"}]
    rows = [
        ("record without report text", lambda: inputs_from_resources(no_text), 200),
        ("synoptic report (text/plain)", lambda: inputs_from_resources(_record(SYNOPTIC)), 50),
        ("narrative report", lambda: inputs_from_resources(_record(NARRATIVE)), 50),
        (
            "synoptic report (PDF)",
            lambda: inputs_from_resources(_record("", "application/pdf", pdf_data)),
            20,
        ),
    ]
    rows += [(name, (lambda t=text: read_text(t)), 2) for name, text in HOSTILE.items()]
    print(f"{'case':40} CPU ms per call")
    for name, call, repeat in rows:
        call()
        print(f"{name:40} {_cpu(call, repeat):8.1f}")


if __name__ == "__main__":
    main()
