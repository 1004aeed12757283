"""Python warnings in a server worker become log lines that name the warning's kind and where it
was raised, not its text: a library's warning can quote the value it was handed (pydantic's
serializer warnings do; medspaCy's quote a report's words), and patient data must not reach a
log. The kind and place are enough to find the cause in the code."""

from __future__ import annotations

import logging
import warnings
from typing import TextIO

LOGGER = logging.getLogger("py.warnings")


def log_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """A `warnings.showwarning` that logs the kind and place only (the signature is that hook's;
    `message`, `file` and `line` are deliberately unused)."""
    LOGGER.warning(
        "Python warning %s raised at %s:%d (its text is not logged: it may quote patient data)",
        category.__name__,
        filename,
        lineno,
        extra={"warning_category": category.__name__, "warning_at": f"{filename}:{lineno}"},
    )


def route_warnings_to_log() -> None:
    """Process-wide; for a server worker (the CLI's warnings go to its user's terminal)."""
    warnings.showwarning = log_warning
