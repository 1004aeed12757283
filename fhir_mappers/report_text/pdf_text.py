"""Text layer of a PDF report (presentedForm application/pdf) with pypdf.

A PDF without a text layer (a scan) gives no text and a warning: the reader never guesses what
an image says (no OCR)."""

from __future__ import annotations

import io
import logging

from fhir_mappers.report_text.limits import MAX_PDF_PAGES, MAX_PDF_STREAM_BYTES, MAX_REPORT_CHARS

_NULL = logging.NullHandler()


def _quiet_pypdf() -> None:
    # pypdf logs what it repairs with snippets of the file's bytes ("Invalid Elementary Object
    # starting with b'...'"): report content, which must never reach the service's logs. Set on
    # every call: the service's logging set-up may run after the first PDF and reset loggers.
    logger = logging.getLogger("pypdf")
    logger.propagate = False
    if _NULL not in logger.handlers:
        logger.addHandler(_NULL)


def pdf_to_text(data: bytes) -> tuple[str, str | None]:
    """(text, problem): problem says why no (or only part of the) text could be had."""
    _quiet_pypdf()
    from pypdf import PdfReader, apply_configuration  # lazy: only reports with a PDF pay
    from pypdf.errors import DeprecationError, PyPdfError

    # pypdf's own limits are 75 MB per decoded stream; a report's text needs far less, and a
    # decompression bomb inside the 5 MiB request body must cost little (a thread-safe
    # ContextVar configuration, for this extraction only).
    limits = {
        name: MAX_PDF_STREAM_BYTES
        for name in (
            "zlib_maximum_output_length",
            "lzw_maximum_output_length",
            "run_length_maximum_output_length",
            "brotli_maximum_output_length",
            "array_based_stream_maximum_output_length",
            "image_maximum_buffer_size",
        )
    }
    with apply_configuration(
        **limits, stream_decoding_work_maximum_length=4 * MAX_PDF_STREAM_BYTES
    ):
        return _extract(PdfReader, (PyPdfError, DeprecationError), data)


def _extract(
    reader_class: type, pdf_errors: tuple[type[Exception], ...], data: bytes
) -> tuple[str, str | None]:
    try:
        reader = reader_class(io.BytesIO(data))
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
    # what pypdf raises on malformed files (found by mutating PDFs: an unknown filter name is
    # a NotImplementedError, a removed one a DeprecationError, a wrong object type an
    # AttributeError); anything else is a bug to see, not a PDF to skip
    except (
        *pdf_errors,
        AttributeError,
        IndexError,
        ZeroDivisionError,
        ValueError,
        KeyError,
        TypeError,
        OSError,
        RecursionError,
        NotImplementedError,
    ) as exc:
        return "", f"PDF could not be read ({type(exc).__name__})"
    text = "\n".join(texts)
    if not text.strip():
        return "", "PDF has no text layer (a scanned image?); its content was not read"
    if count > MAX_PDF_PAGES:
        return text, f"PDF has {count} pages; only the first {MAX_PDF_PAGES} were read"
    return text, None
