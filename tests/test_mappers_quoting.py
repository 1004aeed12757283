"""`quoted`'s shortcut for text it would not change gives what the full path gives."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from fhir_mappers.quoting import quoted


def _full(text: str, limit: int) -> str:
    # the function before its shortcut (whitespace collapsed, made encodable, then cut)
    one_line = " ".join(text[: limit * 4].split())
    safe = one_line.encode("utf-8", "replace").decode("utf-8")
    safe = "".join(c if c.isprintable() else "?" for c in safe)
    return safe if len(safe) <= limit else safe[: limit - 3] + "..."


_TRICKY = st.sampled_from([" ", "  ", "\t", "\n", "\u00a0", "\u2028", "\u3000", "\ud800", "é"])


@settings(max_examples=400)
@given(
    st.lists(st.one_of(st.text(max_size=30), _TRICKY), max_size=8).map("".join),
    st.integers(min_value=4, max_value=140),
)
def test_shortcut_equals_the_full_path(text: str, limit: int) -> None:
    assert quoted(text, limit) == _full(text, limit)


def test_examples() -> None:
    assert quoted("Observation/x-1") == "Observation/x-1"
    assert quoted(" a  b ") == "a b"
    assert quoted("a\tb\ud800") == "a b?"
    assert quoted("x" * 50, 40) == "x" * 37 + "..."
