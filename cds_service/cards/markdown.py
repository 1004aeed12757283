"""Safe GitHub-Flavored Markdown pieces for card details.

Anything that came from a patient record (labels, notes, free text, references) goes through
`escape_text`, so Markdown or HTML in it renders as literal text in the EHR and cannot inject
links, images, scripts or table structure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

# Inline syntax that can start anywhere: escapes, code, emphasis, links/images, tables,
# strikethrough. (CommonMark lets any ASCII punctuation be backslash-escaped.)
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
# Block syntax only counts at the start of a line or list item: headings, lists, quotes, rules.
_BLOCK_START = re.compile(r"^(?:([#+\-=])(?=\s|$|\1)|>|\d+(?=[.)](?:\s|$)))")
# GFM extended autolinks ("https://...", "www.") turn bare text into links.
_AUTOLINK = re.compile(r"(?i)(?<=[a-z])(:)(?=//)|(?<=www)(\.)")
# Only a "<" that could open a tag, comment or autolink is made an entity ("<script" cannot run
# even in a renderer that passes raw HTML through); a "<" or ">" before a space or digit, as in
# "Ki-67 < 3 %", is plain text in CommonMark and stays as written, so a clinician reading the
# Markdown as text never sees "&lt;". An "&" is escaped only where it would start an entity.
_MARKUP_OPEN = re.compile(r"<(?=[A-Za-z/!?])")
_ENTITY_START = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
_WHITESPACE = re.compile(r"\s+")
_SAFE_URL = re.compile(r"^[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+$")


# Text the first four passes below would not change (but for trimming spaces) skips them: no
# special or entity character, no "://" or "www." (autolinks), no whitespace but single spaces.
# A card escapes ~100 values, most of them plain words and numbers; this check is one pass.
_NEEDS_ESCAPING = re.compile(r"[\\`*_\[\]|~&<>]|://|[^\S ]|  |(?i:www\.)")


def escape_text(value: object) -> str:
    """Render any value as inert inline Markdown text on a single line."""
    text = str(value)
    if _NEEDS_ESCAPING.search(text) is None:
        # A block marker or a number first could still start a heading, list or rule.
        return _BLOCK_START.sub(_escape_block_start, text.strip(" "), count=1)
    return escape_fully(text)


def escape_fully(text: str) -> str:
    """`escape_text` without the shortcut for plain text (the shortcut's reference)."""
    text = _WHITESPACE.sub(" ", text).strip()
    text = _INLINE_SPECIAL.sub(r"\\\1", text)
    text = _ENTITY_START.sub(r"\\&", text)
    text = _MARKUP_OPEN.sub("&lt;", text)
    text = _AUTOLINK.sub(lambda m: "\\" + (m.group(1) or m.group(2)), text)
    return _BLOCK_START.sub(_escape_block_start, text, count=1)


def _escape_block_start(match: re.Match[str]) -> str:
    token = match.group(0)
    # "1." / "1)" start an ordered list: escape the delimiter, not the digits.
    return token + "\\" if token[0].isdigit() else "\\" + token


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


def _nested_group(line: str) -> tuple[int, int] | None:
    """The span of the first parenthetical opened after a space inside another one, if any."""
    stack: list[int] = []
    for index, char in enumerate(line):
        if char == "(":
            stack.append(index)
        elif char == ")" and stack:
            start = stack.pop()
            if stack and start > 0 and line[start - 1] == " ":
                return start, index
    return None


def flatten_parens(text: str) -> str:
    """Nested parentheses read badly: "G3 (derived from Ki-67 only (no mitotic count))" becomes
    "G3 (derived from Ki-67 only, no mitotic count)". A parenthesis attached to its word, as in
    "node(s)" or "4(11)", and link syntax are left alone."""
    lines = text.split("\n")
    for number, line in enumerate(lines):
        while (span := _nested_group(line)) is not None:
            start, end = span
            line = line[: start - 1].rstrip(",") + ", " + line[start + 1 : end] + line[end + 1 :]
        lines[number] = line
    return "\n".join(lines)


def aside(text: str, extra: str | None) -> str:
    """`text (extra)`, both already escaped; nested parentheses in it are flattened."""
    return flatten_parens(f"{text} ({extra})") if extra else text
