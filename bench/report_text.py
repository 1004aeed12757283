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
    "100k dense findings (990-char lines)": ((("no lvi " * 200)[:990] + "\n") * 200)[:100_000],
    "100k dense clauses": ((("no lvi, " * 200)[:990] + "\n") * 200)[:100_000],
    "100k dense sentences": ((("LVI present. " * 200)[:990] + "\n") * 200)[:100_000],
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


def _text_operator_pdf(operators: int) -> bytes:
    """A one-page PDF whose FlateDecode content stream holds `operators` text operators."""
    import io
    import zlib

    ops = b"BT /F1 12 Tf 10 10 Td (lymphovascular invasion present) Tj ET\n" * operators
    stream = zlib.compress(ops, 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


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
    near_limit = _text_operator_pdf(3_200)  # ~198 KB decoded: just under the stream limit
    bomb = _text_operator_pdf(1_500_000)  # 270 KB inflating to 93 MB: refused
    for name, data in (
        ("PDF, 198 KB content stream", near_limit),
        ("PDF decompression bomb", bomb),
    ):
        rows.append(
            (name, (lambda d=data: inputs_from_resources(_record("", "application/pdf", d))), 3)
        )
    print(f"{'case':40} CPU ms per call")
    for name, call, repeat in rows:
        call()
        print(f"{name:40} {_cpu(call, repeat):8.1f}")


if __name__ == "__main__":
    main()
