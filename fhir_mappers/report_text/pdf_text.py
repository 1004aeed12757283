"""Text layer of a PDF report (presentedForm application/pdf) with pypdf.

A PDF without a text layer (a scan) gives no text and a warning: the reader never guesses what
an image says (no OCR)."""

from __future__ import annotations

import io

from fhir_mappers.report_text.limits import MAX_PDF_PAGES, MAX_REPORT_CHARS


def pdf_to_text(data: bytes) -> tuple[str, str | None]:
    """(text, problem): problem says why no (or only part of the) text could be had."""
    from pypdf import PdfReader  # lazy: only reports with a PDF pay for the import
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = reader.pages
        count = len(pages)
        texts: list[str] = []
        size = 0
        for page in list(pages)[:MAX_PDF_PAGES]:
            text = page.extract_text() or ""
            texts.append(text)
            size += len(text)
            if size > MAX_REPORT_CHARS:
                break
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        return "", f"PDF could not be read ({type(exc).__name__})"
    text = "\n".join(texts)
    if not text.strip():
        return "", "PDF has no text layer (a scanned image?); its content was not read"
    if count > MAX_PDF_PAGES:
        return text, f"PDF has {count} pages; only the first {MAX_PDF_PAGES} were read"
    return text, None
