"""Text of an HTML report (presentedForm text/html): tags stripped with the standard library's
`html.parser`, block elements and <br> turned into line breaks so that synoptic "Item: Value"
rows and table cells stay on lines of their own.

`html.parser` rescans an unfinished construct ("<a " with no ">", "<!--" with no "-->") each
time it meets one, which is quadratic on hostile input ("<a " * 33,000 took minutes). A linear
pre-pass (`_defuse`) drops comments and escapes every "<" that does not open a tag closed
within `_MAX_TAG` characters, so the parser only ever sees bounded constructs."""

from __future__ import annotations

from html.parser import HTMLParser

_BLOCKS = frozenset(
    [
        "p",
        "div",
        "br",
        "tr",
        "li",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "table",
        "thead",
        "tbody",
        "ul",
        "ol",
        "dl",
        "dt",
        "dd",
        "section",
        "article",
        "pre",
    ]
)
_CELLS = frozenset(("td", "th"))
_SKIPPED = frozenset(("script", "style", "head", "title"))


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0
        self._cells_in_row = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self._skipping += 1
        elif tag in _CELLS:
            # "<td>Tumor Size</td><td>3.2 cm</td>" reads as the line "Tumor Size: 3.2 cm"
            if self._cells_in_row:
                self.parts.append(": ")
            self._cells_in_row += 1
        elif tag in _BLOCKS:
            self._cells_in_row = 0
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCKS:
            self._cells_in_row = 0
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


_MAX_TAG = 2_000


def _defuse(html: str) -> str:
    out: list[str] = []
    pos = 0
    comments_closed = True
    while True:
        lt = html.find("<", pos)
        if lt == -1:
            out.append(html[pos:])
            return "".join(out)
        out.append(html[pos:lt])
        if html.startswith("<!--", lt):
            end = html.find("-->", lt + 4) if comments_closed else -1
            if end != -1:
                pos = end + 3  # a comment: dropped
                continue
            comments_closed = False  # no later "<!--" can be closed either
        gt = html.find(">", lt + 1, lt + 1 + _MAX_TAG)
        nested = html.find("<", lt + 1, gt) if gt != -1 else -1
        if gt == -1 or nested != -1 or html.startswith("<![", lt) or html.startswith("<!--", lt):
            out.append("&lt;")  # not a bounded tag: text
            pos = lt + 1
            continue
        out.append(html[lt : gt + 1])
        pos = gt + 1


def html_to_text(html: str) -> str:
    parser = _TextOnly()
    parser.feed(_defuse(html))
    parser.close()
    return "".join(parser.parts)
