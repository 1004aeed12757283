"""Safe GitHub-Flavored Markdown pieces for card details.

Anything that came from a patient record (labels, notes, free text, references) goes through
`escape_text`, so Markdown or HTML in it renders as literal text in the EHR and cannot inject
links, images, scripts or table structure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

# CommonMark lets any ASCII punctuation be backslash-escaped; these are the ones that can start
# or end Markdown syntax (emphasis, links, images, headings, lists, tables, autolinks, code).
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~:=^$\"'])")
_HTML_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_WHITESPACE = re.compile(r"\s+")
_SAFE_URL = re.compile(r"^[A-Za-z0-9\-._~:/?#\[\]@!$&'*+,;=%]+$")


def escape_text(value: object) -> str:
    """Render any value as inert inline Markdown text on a single line."""
    text = _WHITESPACE.sub(" ", str(value)).strip()
    # Entities (not backslashes) for HTML, so even a renderer that passes raw HTML through
    # shows `<script>` as text.
    text = "".join(_HTML_ENTITIES.get(ch, ch) for ch in text)
    return _MD_SPECIAL.sub(r"\\\1", text)


def safe_url(url: str | None) -> str | None:
    """The URL if it is an absolute http(s) URL made only of plain URL characters, else None."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    if not _SAFE_URL.match(url):
        return None
    return url


def link(label: str, url: str | None) -> str:
    """`[label](url)` when the URL is safe; otherwise the label and URL as plain text."""
    target = safe_url(url)
    if target is None:
        return escape_text(label) if not url else f"{escape_text(label)} ({escape_text(url)})"
    return f"[{escape_text(label)}](<{target}>)"


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A GFM table. Cells must already be escaped (escape_text escapes `|`)."""
    lines = [
        "| " + " | ".join(headers) + " |",
        "|" + "|".join("---" for _ in headers) + "|",
    ]
    lines.extend("| " + " | ".join(cell or " " for cell in row) + " |" for row in rows)
    return "\n".join(lines)


def bullets(items: Iterable[str]) -> str:
    """A bullet list. Items must already be escaped."""
    return "\n".join(f"- {item}" for item in items)
