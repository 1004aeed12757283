"""The pathology report reader (issue 10, clinical.md §3.3): a DiagnosticReport's text
(presentedForm text/plain, text/html, application/pdf; conclusion; its results' valueString and
note) → the same inputs the Observation mappers give, each with its report and quoted phrase.

Pure functions, no I/O. Pipeline: `documents` (which reports, their text) → `segments` (lines /
sentences, sections) → `pipeline` (medspaCy target phrases + ConText) → `findings` (values and
presence per segment) → `reading` (one value per input) → `combine` (with the discrete Facts).
"""

from fhir_mappers.report_text.apply import apply_text
from fhir_mappers.report_text.reading import TextReading, TextValue, read_reports

__all__ = ["TextReading", "TextValue", "apply_text", "read_reports", "warm_up"]


def warm_up() -> None:
    """Load the whole reader and build the medspaCy pipeline now (see `pipeline.warm_up`), as a
    server worker does before its first call. Imported here, not at the top, because a process
    that scores records without report text (`pannet-cds score`) never needs them."""
    from fhir_mappers.report_text import findings, html_text  # noqa: F401  (loaded, not used)
    from fhir_mappers.report_text.pipeline import warm_up as build

    build()
