"""`escape_text` skips its passes for plain text; the shortcut must never change the result."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cds_service.cards.markdown import escape_fully, escape_text

# Characters each pass reacts to, mixed with letters, digits and several kinds of whitespace.
MARKDOWN_ALPHABET = st.sampled_from(
    [*"ab wW.:/#+-=0123456789)|`*_[]~\\&<>\t\n\u00a0\u2003\u0663", "www.", "https://"]
)


@given(st.text())
def test_shortcut_agrees_with_the_full_escape_on_any_text(text):
    assert escape_text(text) == escape_fully(text)


@given(st.lists(MARKDOWN_ALPHABET, max_size=12).map("".join))
def test_shortcut_agrees_with_the_full_escape_on_markdown_like_text(text):
    assert escape_text(text) == escape_fully(text)


def test_plain_words_are_returned_trimmed_and_block_starts_still_escaped():
    assert escape_text("  Tumour size ") == "Tumour size"
    assert escape_text("1. not a list") == "1\\. not a list"
    assert escape_text("# not a heading") == "\\# not a heading"
    assert escape_text(42) == "42"
