"""`bullets` joins once, the "- " riding on the separator: it must give what one f-string per
item gave (kept here as the reference), for lists, other iterables and non-str items."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cds_service.cards.markdown import bullets


def _reference(items) -> str:
    return "\n".join([f"- {item}" for item in items])


@given(st.lists(st.text()))
def test_bullets_equal_one_fstring_per_item(items: list[str]) -> None:
    assert bullets(items) == _reference(items)
    assert bullets(iter(items)) == _reference(items)
    assert bullets(item for item in items) == _reference(items)


def test_bullets_of_non_str_items() -> None:
    assert bullets([1, "a", None]) == _reference([1, "a", None])
    assert bullets([]) == "" and bullets(()) == ""
