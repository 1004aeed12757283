"""`flatten_parens` skips text in which no parenthesis opens inside another; the shortcut must
never change the result of the full scan (the function as it was before the shortcut)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cds_service.cards.markdown import aside, flatten_parens


def _nested_group(line: str) -> tuple[int, int] | None:
    stack: list[int] = []
    for index, char in enumerate(line):
        if char == "(":
            stack.append(index)
        elif char == ")" and stack:
            start = stack.pop()
            if stack and start > 0 and line[start - 1] == " ":
                return start, index
    return None


def flatten_by_scanning(text: str) -> str:
    """The reference: every line scanned character by character."""
    lines = text.split("\n")
    for number, line in enumerate(lines):
        while (span := _nested_group(line)) is not None:
            start, end = span
            line = line[: start - 1].rstrip(",") + ", " + line[start + 1 : end] + line[end + 1 :]
        lines[number] = line
    return "\n".join(lines)


PARENS_ALPHABET = st.sampled_from([*"() ,a1\n\r", " (", "((", "))", ")("])
PARENS_TEXT = st.lists(PARENS_ALPHABET, max_size=30).map("".join)


@given(PARENS_TEXT)
def test_shortcut_agrees_with_the_full_scan_on_parenthesis_heavy_text(text):
    assert flatten_parens(text) == flatten_by_scanning(text)


@given(st.text())
def test_shortcut_agrees_with_the_full_scan_on_any_text(text):
    assert flatten_parens(text) == flatten_by_scanning(text)


@given(PARENS_TEXT, st.none() | PARENS_TEXT)
def test_aside_agrees_with_the_full_scan(text, extra):
    assert aside(text, extra) == (flatten_by_scanning(f"{text} ({extra})") if extra else text)


def test_nested_parentheses_are_still_flattened():
    assert flatten_parens("G3 (derived from Ki-67 only (no mitotic count))") == (
        "G3 (derived from Ki-67 only, no mitotic count)"
    )
    assert flatten_parens("a (b (c) d (e)) f\nnode(s) (x)") == "a (b, c d, e) f\nnode(s) (x)"
