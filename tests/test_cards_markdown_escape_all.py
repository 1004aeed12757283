"""`escape_all` answers a whole batch of plain texts in one pass; it must give exactly
`escape_text` of each text, whatever the texts (the shortcut may only be taken when it is)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from cds_service.cards.markdown import escape_all, escape_fully, escape_text

# Characters each of escape_text's passes reacts to, block starts, spaces at either end, and
# separators a batch join could confuse with a piece boundary.
PIECES = st.lists(
    st.sampled_from(
        [
            *"ab wW.:/#+-=0)|`*_[]~\\&<>\t\n\r\u00a0\u2003\u0663",
            "www.",
            "https://",
            "1.",
            "- ",
            "> ",
            ";",
            "&amp;",
            "&#1;",
            "<b",
            "</",
            "<!",
            "<?",
            "<3",
        ]
    ),
    max_size=8,
).map("".join)


def reference(texts: list[str]) -> list[str]:
    return [escape_text(text) for text in texts]


@given(st.lists(PIECES, max_size=8))
@settings(max_examples=2000)
def test_batch_agrees_with_one_by_one_on_markdown_like_texts(texts):
    assert escape_all(texts) == reference(texts)


@given(st.lists(st.text(), max_size=6))
def test_batch_agrees_with_one_by_one_on_any_text(texts):
    assert escape_all(texts) == reference(texts)


@given(st.lists(st.sampled_from(["Tumour size", "2.6", "Observation/a-1", "", "G2", "12"])))
def test_batch_agrees_on_plain_texts(texts):
    assert escape_all(texts) == reference(texts)


def test_the_shortcut_is_not_taken_where_a_piece_needs_escaping():
    # Each is plain but for one piece; the batch must escape exactly that one.
    assert escape_all(["a", "1. b", "c"]) == ["a", "1\\. b", "c"]
    assert escape_all(["a", " b", "c"]) == ["a", "b", "c"]
    assert escape_all(["a", "- b", "c"]) == ["a", "\\- b", "c"]
    assert escape_all(["x", "#"]) == ["x", "\\#"]
    assert escape_all(["a_b", "c"]) == ["a\\_b", "c"]
    assert escape_all(["ab", "c  "]) == ["ab", "c"]
    assert escape_all([]) == []


@given(PIECES)
@settings(max_examples=2000)
def test_escape_text_agrees_with_the_full_escape_on_entities_and_tags(text):
    # escape_text's own shortcut lets an inert "<", ">" or "&" through: never a real one.
    assert escape_text(text) == escape_fully(text)


@given(
    st.lists(
        st.lists(
            st.sampled_from([*"ab 1.#-", *map(chr, range(0x20)), "\x7f", "\x85", "\xa0", "\u2028"]),
            max_size=6,
        ).map("".join),
        max_size=6,
    )
)
@settings(max_examples=2000)
def test_batch_agrees_on_control_characters_and_other_whitespace(texts):
    # The batch finds ASCII whitespace with one `in` per character and other whitespace with
    # `isprintable`: a control character that is not whitespace may take the shortcut.
    assert escape_all(texts) == reference(texts)
    assert escape_all(["a\x00b", "c"]) == ["a\x00b", "c"]
    assert escape_all(["a\x1fb", "c"]) == ["a b", "c"]
