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


def _line(detail: str, head: str) -> str:
    return next(line for line in detail.splitlines() if line.lstrip("- ").startswith(head))


@pytest.mark.parametrize("name", [n for n, a in EVERY_CARD.items() if a.surveillance])
def test_the_schedule_is_explained_in_the_same_words_twice(name):
    # rw15 was "possible: low, high" beside "Basis: possible tiers low / intermediate / high"
    # (the schedule's tiers, with the guideline floor): two lists of possible tiers that differ.
    detail = card_for(EVERY_CARD[name]).detail
    said = _line(detail, "**Schedule:**").removeprefix("**Schedule:** ")
    assert _line(detail, "**Schedule tier:**").removeprefix("- **Schedule tier:** ") + "." == said
    assert "possible tiers" not in detail.replace("**Risk tier:** not determined", "")


def test_an_undetermined_tier_under_the_floor_does_not_wait_for_data_that_change_nothing():
    # rw16: low or intermediate, node-positive: intermediate whatever the symptoms are.
    detail = card_for(EVERY_CARD["rw16"]).detail
    assert "**Schedule:** intermediate, the highest tier still possible; the missing" in detail
    assert "until the missing data are recorded" not in detail
    p04 = card_for(EVERY_CARD["p04"]).detail
    assert "**Schedule:** high, the highest tier still possible, until the missing data are" in p04


def test_an_input_enum_value_is_shown_as_words():
    # rw13: a small-bowel NET; the input is the enum value "other-gep".
    detail = card_for(EVERY_CARD["rw13"]).detail
    row = _line(detail, "| Primary site |")
    assert "| gastro-entero-pancreatic site other than the pancreas |" in row
    assert "other-gep" not in detail


def test_a_guideline_flag_names_each_source_once():
    # rw12: nodes examined and positive both read from one report: one reference, not two.
    flags = card_for(EVERY_CARD["rw12"]).detail.split("### Guideline flags", 1)[1]
    line = _line(flags, "Lymph-node positive:")
    assert line.startswith("- Lymph-node positive: no (DiagnosticReport/rw12-surgpath)")
    p01 = card_for(EVERY_CARD["p01"]).detail
    assert "no (Observation/pannet-demo-p01-08, Observation/pannet-demo-p01-07)" in p01


def test_a_whole_number_input_reads_as_the_factor_tables_say_it():
    # p01: "Ki-67 3-20 % (Ki-67 6 %)" in the factor table, so "6" in the input table, not "6.0".
    detail = card_for(EVERY_CARD["p01"]).detail
    assert _line(detail, "| Ki-67 index (%) |").startswith("| Ki-67 index (%) | 6 |")
    assert _line(detail, "| Tumour greatest dimension (cm) |").startswith(
        "| Tumour greatest dimension (cm) | 2.6 |"
    )


def test_a_text_derived_input_row_says_read_from_the_report_text_once():
    # rw12: the value cell is marked; the note quotes the phrase without saying it again.
    detail = card_for(EVERY_CARD["rw12"]).detail
    row = _line(detail, "| Regional lymph nodes examined |")
    assert row.count("read from the report text") == 1
    assert "'REGIONAL LYMPH NODES (POSITIVE/EXAMINED): 0/14'" in row


def _with_order(when: str):
    import json
    from datetime import date
    from pathlib import Path

    from cds_service.scoring_pipeline import assess_payload

    bundle = json.loads((Path(__file__).parent / "data/cases/p03.bundle.json").read_text())
    order = {
        "resourceType": "ServiceRequest",
        "id": "order1",
        "status": "active",
        "intent": "order",
        "subject": {"reference": "Patient/p03"},
        "code": {"coding": [{"system": "http://loinc.org", "code": "79103-8"}]},
        "authoredOn": "2026-11-30",
        "occurrenceDateTime": when,
    }
    bundle["entry"].append({"resource": order})
    return assess_payload(bundle, today=date(2026, 12, 1))


def test_an_ordered_exam_is_not_called_the_last_ct_mri():
    # A CT ordered for 2026-12-10 (after today) is not an exam done: the card said
    # "Last abdominal CT/MRI: 2026-12-10".
    detail = card_for(_with_order("2026-12-10")).detail
    assert "Last abdominal CT/MRI" not in detail
    assert "- Abdominal CT/MRI ordered for 2026-12-10, not yet done." in detail
    assert "- **Abdominal CT/MRI ordered:** 2026-12-10, not yet done (ServiceRequest/order1)" in (
        detail
    )


def test_a_recurrence_card_does_not_explain_itself_as_metastasis_at_surgery():
    # rw08, rw18-rw20: recurrence on record; the patient has left post-resection surveillance.
    for name in ("rw08", "rw18", "rw20"):
        detail = card_for(EVERY_CARD[name]).detail
        assert "without distant metastasis at surgery" not in detail
        assert "has left post-resection surveillance" in detail
        assert "No surveillance schedule is suggested." in detail
    metastatic = card_for(EVERY_CARD["rw02"]).detail
    assert "without distant metastasis at surgery" in metastatic


def test_a_recurrence_summary_says_recurrence_on_record():
    assert card_for(EVERY_CARD["rw18"]).summary == (
        "NET recurrence risk not assessed: recurrence on record (see details)"
    )
    assert card_for(EVERY_CARD["rw02"]).summary == (
        "NET recurrence risk not assessed: outside the scores' populations (see details)"
    )


def test_a_card_flag_resting_on_report_text_is_marked():
    # rw12: nodes read from the report text; Ki-67 discrete.
    flags = card_for(EVERY_CARD["rw12"]).detail.split("### Guideline flags", 1)[1]
    node = _line(flags, "Lymph-node positive:")
    assert node.endswith("(DiagnosticReport/rw12-surgpath) — read from the report text — confirm")
    assert "report text" not in _line(flags, "Ki-67 > 5 %:")


def test_a_factor_read_from_report_text_is_marked_in_its_table():
    # rw12: the node factor comes from the report text, tumour size from a discrete result.
    detail = card_for(EVERY_CARD["rw12"]).detail
    scores = detail.split("### Scores", 1)[1].split("### Inputs", 1)[0]
    node = _line(scores, "| Lymph-node positive")
    assert "| absent (read from the report text) |" in node
    assert "report text" not in _line(scores, "| Tumour size > 2 cm")
