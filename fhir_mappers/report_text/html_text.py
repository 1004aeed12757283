"""Text of an HTML report (presentedForm text/html): tags stripped with the standard library's
`html.parser` (one linear pass), block elements and <br> turned into line breaks so that
synoptic "Item: Value" rows and table cells stay on lines of their own."""

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


def html_to_text(html: str) -> str:
    parser = _TextOnly()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)
