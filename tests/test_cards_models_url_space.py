"""A card URL is refused when it holds whitespace: the regex search `_absolute_url` makes
finds exactly the characters `str.isspace` calls whitespace (every code point is tried)."""

from __future__ import annotations

import sys

import pytest

from cds_service.cards import models


def test_the_search_finds_exactly_the_characters_isspace_finds() -> None:
    differ = [
        code
        for code in range(sys.maxunicode + 1)
        if (models._SPACE.search(chr(code)) is not None) != chr(code).isspace()
    ]
    assert differ == []


@pytest.mark.parametrize("space", ["\u00a0", "\u2003", "\t", "\u3000", "\x1c", "\u0085"])
def test_a_url_with_whitespace_is_refused(space: str) -> None:
    with pytest.raises(ValueError, match="whitespace"):
        models._absolute_url(f"https://example.org/a{space}b")


def test_a_plain_url_passes() -> None:
    assert models._absolute_url("https://example.org/a?b=c") == "https://example.org/a?b=c"
