"""Record text quoted in a warning: one line, bounded, and always encodable as UTF-8.

Warnings end up on cards, in the CLI's JSON and in the audit trail, so a hostile id or value
(lone surrogates, control characters, megabytes of text) must not break or flood them.
"""

from __future__ import annotations

_LIMIT = 120


def quoted(text: str, limit: int = _LIMIT) -> str:
    """`text` cut to `limit` characters (whitespace collapsed, unencodable characters as '?')."""
    if (
        len(text) <= limit
        and text.isprintable()
        # In a printable string the only whitespace is the ASCII space (tabs, newlines, other
        # spaces and surrogates are not printable), so split/join changes it only here.
        and not (text.startswith(" ") or text.endswith(" ") or "  " in text)
    ):
        return text  # the common case (ids, types, codes): nothing below would change it
    head = text[: limit * 4]  # bound the work before splitting
    one_line = " ".join(head.split())
    safe = one_line.encode("utf-8", "replace").decode("utf-8")
    safe = "".join(c if c.isprintable() else "?" for c in safe)
    return safe if len(safe) <= limit else safe[: limit - 3] + "..."
