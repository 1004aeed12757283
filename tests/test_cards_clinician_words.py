"""Card text read as a clinician reads it (issue 14 review): no codes in running text, enum values
as words, the schedule's basis in the same words as the tier line, each source named once."""

from __future__ import annotations

import re

import pytest

from cds_service.cards.wording import without_codes
from tests.cards_demo import card_for
from tests.test_cards_demo_patients import EVERY_CARD

LOINC_IN_TEXT = re.compile(r"LOINC \d+-\d")


def test_without_codes_drops_only_the_code():
    assert without_codes("Ki-67 index (LOINC 29593-1)") == "Ki-67 index"
    assert without_codes("WHO grade (LOINC 33732-9), or Ki-67 with mitotic count") == (
        "WHO grade, or Ki-67 with mitotic count"
    )
    assert without_codes("regional lymph nodes positive (LOINC 21893-3) or pN category") == (
        "regional lymph nodes positive or pN category"
    )
    assert without_codes("adjuvant therapy after surgery") == "adjuvant therapy after surgery"


@pytest.mark.parametrize("name", list(EVERY_CARD))
def test_no_loinc_code_in_the_card_text(name):
    card = card_for(EVERY_CARD[name])
    assert not LOINC_IN_TEXT.search(card.summary)
    assert LOINC_IN_TEXT.findall(card.detail) == []


def test_the_missing_data_are_still_named_without_their_codes():
    detail = card_for(EVERY_CARD["p04"]).detail
    assert "**Record, as they could allow a lighter schedule:** symptoms at presentation" in detail
    assert "; Ki-67 index." in detail
    assert "WHO grade, or Ki-67 with mitotic count" in detail
