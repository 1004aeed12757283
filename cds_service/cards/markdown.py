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


# The first characters `_BLOCK_START` can match; `\d` is str.isdecimal (Unicode category Nd).
_BLOCK_FIRST = frozenset("#+-=>")


# `_NEEDS_ESCAPING` tries five alternatives at every position; these checks, each one pass in C,
# answer "no match" for most text ~3x faster, and send the rest to the regex itself. Each is
# implied by a branch: whitespace other than a space is not printable (Unicode Z* or C*), and
# "www." contains "w." or "W.".
_SPECIAL_CHAR = re.compile(r"[\\`*_\[\]|~&<>]")


def _only_inert_specials(text: str, start: int) -> bool:
    """No special character from `start` on (the first) but a "<", ">" or "&" that
    `escape_fully` leaves as it is ("Ki-67 > 20 %"): a ">" counts only at a block start, which
    the plain path checks."""
    return (
        _INLINE_SPECIAL.search(text, start) is None
        and _MARKUP_OPEN.search(text, start) is None
        and _ENTITY_START.search(text, start) is None
    )


def escape_text(value: object) -> str:
    """Render any value as inert inline Markdown text on a single line."""
    text = value if type(value) is str else str(value)
    special = _SPECIAL_CHAR.search(text)
    surely_plain = (
        (special is None or _only_inert_specials(text, special.start()))
        and text.isprintable()
        and "  " not in text
        and "://" not in text
        and "w." not in text
        and "W." not in text
    )
    if surely_plain or _NEEDS_ESCAPING.search(text) is None:
        # A block marker or a number first could still start a heading, list or rule.
        text = text.strip(" ")
        first = text[:1]
        if first in _BLOCK_FIRST or first.isdecimal():
            # `_BLOCK_START` is anchored: a match at 0 or none (a date, "2.6 cm": none).
            block = _BLOCK_START.match(text)
            if block is not None:
                return _escape_block_start(block) + text[block.end() :]
        return text
    return escape_fully(text)


# `_BLOCK_START` after every "\n": over "\n" + texts joined by "\n" (none containing one), a
# match exactly where `_BLOCK_START.match` matches one of them (a piece's end meets `\s` or
# `\Z` where `_BLOCK_START` meets `$`). The leading literal lets the search skip from one "\n"
# to the next (~4x faster than `(?m)^`).
_BLOCK_START_AFTER_NEWLINE = re.compile(r"\n(?:([#+\-=])(?=\s|\Z|\1)|>|\d+(?=[.)](?:\s|\Z)))")


# `_INLINE_SPECIAL`'s characters and ASCII whitespace other than a space, each found with one
# `in` (a memchr in C, ~20x fewer instructions than a regex's step per character); whitespace
# that is not ASCII is not printable.
_UNSAFE_CHARS = "\\`*_[]|~\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f"


def escape_all(texts: list[str]) -> list[str]:
    """`[escape_text(t) for t in texts]`: a detail table escapes ~60 cells, nearly all
    plain. A few passes over all of them at once (in C) show they are: no piece has anything
    `escape_fully` changes (checked on their concatenation, where a match across two pieces
    only sends them all down the slow path), none begins or ends with a space, none starts a
    block. Then `escape_text` would return each as it is; otherwise each is escaped alone."""
    try:
        flat = "".join(texts)
    except TypeError:  # not all str: escape_text turns each into one
        return [escape_text(text) for text in texts]
    if not (
        any(char in flat for char in _UNSAFE_CHARS)
        # "<", ">" and "&" as `escape_fully` treats them: a ">" only at a block start (below)
        or ("<" in flat and _MARKUP_OPEN.search(flat) is not None)
        or ("&" in flat and _ENTITY_START.search(flat) is not None)
        # Whitespace beyond ASCII is not printable; only the pieces beyond ASCII can hold it
        # (a few labels with "²" or "≥": each alone, not the whole batch, is read char by char).
        or not (flat.isascii() or all([t.isprintable() for t in texts if not t.isascii()]))
        or "  " in flat
        or "://" in flat
        or "w." in flat
        or "W." in flat
    ):
        lined = "\n" + "\n".join(texts)
        if (
            lined[-1:] != " "
            and " \n" not in lined
            and "\n " not in lined
            and _BLOCK_START_AFTER_NEWLINE.search(lined) is None
        ):
            return list(texts)
    return [escape_text(text) for text in texts]


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
    lines.extend(["| " + " | ".join([cell or " " for cell in row]) + " |" for row in rows])
    return "\n".join(lines)


def bullets(items: Iterable[str]) -> str:
    """A bullet list. Items must already be escaped."""
    listed = items if type(items) is list else list(items)
    if not listed:
        return ""
    try:
        # One join: the "- " of each item but the first rides on the separator.
        return "- " + "\n- ".join(listed)
    except TypeError:  # an item that is not a str: the f-string converts it
        return "\n".join([f"- {item}" for item in listed])


# A parenthetical can only be nested if, at some point, a "(" opens while another is open, and
# the first time that happens no parenthesis stands between the two "(" (the depth was 1 all the
# while). So text without "(" ... "(" free of parentheses has nothing to flatten: most lines.
_TWO_OPEN = re.compile(r"\([^()\n]*\(")
# The only characters `_nested_group`'s scan acts on.
_PAREN = re.compile(r"[()]")


def _nested_group(line: str) -> tuple[int, int] | None:
    """The span of the first parenthetical opened after a space inside another one, if any.
    Only the parentheses are visited (the scan's other characters change nothing)."""
    stack: list[int] = []
    for match in _PAREN.finditer(line):
        index = match.start()
        if line[index] == "(":
            stack.append(index)
        elif stack:
            start = stack.pop()
            if stack and start > 0 and line[start - 1] == " ":
                return start, index
    return None


def flatten_parens(text: str) -> str:
    """Nested parentheses read badly: "G3 (derived from Ki-67 only (no mitotic count))" becomes
    "G3 (derived from Ki-67 only, no mitotic count)". A parenthesis attached to its word, as in
    "node(s)" or "4(11)", and link syntax are left alone."""
    match = _TWO_OPEN.search(text)
    if match is None:
        return text
    # Only the lines holding a match are rescanned (a match never spans a "\n"); the text
    # between them is copied as it is, not split into its ~150 lines and joined again.
    pieces: list[str] = []
    done = 0  # text[:done] is in `pieces`
    while match is not None:
        start = text.rfind("\n", 0, match.start()) + 1
        end = text.find("\n", match.end())
        if end == -1:
            end = len(text)
        line = text[start:end]
        while (span := _nested_group(line)) is not None:
            first, last = span
            line = line[: first - 1].rstrip(",") + ", " + line[first + 1 : last] + line[last + 1 :]
        pieces += (text[done:start], line)
        done = end
        match = _TWO_OPEN.search(text, end)
    pieces.append(text[done:])
    return "".join(pieces)


def aside(text: str, extra: str | None) -> str:
    """`text (extra)`, both already escaped; nested parentheses in it are flattened."""
    if not extra:
        return text
    if "(" not in text and "(" not in extra:
        return f"{text} ({extra})"  # one parenthesis: nothing nested
    return flatten_parens(f"{text} ({extra})")
