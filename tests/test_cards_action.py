"""The detail's first lines (cards/action.py): the exam to order, when, how long overdue and since
when, which data to record; then the tier and the schedule in words that agree."""

from __future__ import annotations

import pytest
from cards_factories import assessment, card_args, plan, undetermined, ventin, zaidi

from cds_service.cards.action import overdue_by
from cds_service.cards.builder import build_assessment_card
from cds_service.cards.detail import build_detail
from cds_service.cards.markdown import escape_text, flatten_parens
from scoring.assessment import InputResult, Tier


def first_lines(a) -> list[str]:
    return build_detail(a).split("**Risk tier:**", 1)[0].strip().splitlines()


def test_overdue_after_earlier_imaging_says_since_that_imaging_and_the_due_date():
    overdue = plan(
        Tier.HIGH,
        overdue=True,
        next_due="2026-03-04",
        overdue_since="2025-09-04",
        days_overdue=453,
        missed=["2025-09-04", "2026-03-04"],
        last_imaging="2025-01-02",
    )
    lines = first_lines(
        assessment(Tier.HIGH, surveillance=overdue).model_copy(update={"today": "2026-12-01"})
    )
    assert lines[0] == (
        "**Abdominal CT or MRI is overdue since 2025-09-04, by 1 year 2 months: order it now.**"
    )
    assert "- No abdominal CT/MRI since 2025-01-02; due 2025-09-04; 2 scheduled exams missed " in (
        "\n".join(lines)
    )
    assert "on record since resection" not in "\n".join(lines)


def test_overdue_without_any_imaging_says_so_from_the_resection():
    overdue = plan(
        Tier.HIGH,
        overdue=True,
        overdue_since="2025-03-04",
        missed=["2025-03-04", "2026-03-04"],
        last_imaging=None,
    )
    text = "\n".join(first_lines(assessment(Tier.HIGH, surveillance=overdue)))
    assert (
        "No abdominal CT/MRI on record since resection on 2024-09-04; 2 scheduled exams missed, "
        "the first due 2025-03-04." in text
    )


@pytest.mark.parametrize(
    ("since", "today", "days", "words"),
    [
        ("2024-09-04", "2026-12-01", 818, "2 years 2 months"),
        ("2019-09-04", "2026-12-01", 2645, "7 years 2 months"),
        ("2026-11-20", "2026-12-01", 11, "11 days"),
        ("2025-12-01", "2026-12-01", 365, "1 year"),
        ("2026-10-01", "2026-12-01", 61, "2 months"),
        (None, "not a date", 40, "40 days"),
        (None, "not a date", None, None),
    ],
)
def test_overdue_by_counts_whole_months_and_years(since, today, days, words):
    assert overdue_by(since, today, days) == words


def test_due_now_and_upcoming_lead_with_the_date():
    due_now = assessment(Tier.LOW, surveillance=plan(Tier.LOW, due_now=True))
    assert first_lines(due_now)[0] == "**Abdominal CT or MRI is due on 2025-03-04: order it now.**"
    upcoming = first_lines(assessment(Tier.LOW))
    assert upcoming[0] == "**Next abdominal CT or MRI: 2025-03-04, month 6 after resection.**"
    assert "- Nothing is due now." in upcoming


def test_no_resection_date_asks_for_it_first():
    a = assessment(Tier.LOW, surveillance=plan(Tier.LOW, anchor=None, next_due=None))
    assert first_lines(a)[0].startswith("**No resection date on record: record it")


def test_data_to_record_come_before_the_tier():
    lines = first_lines(undetermined())
    assert "- **Record, as they could allow a lighter schedule:** Ki-67 index." in lines


def test_factors_only_missing_data_are_not_offered_as_settling_the_tier():
    a = assessment(None, scores=[ventin(unknown_sex=True)], surveillance=plan(Tier.HIGH))
    assert not any("settle the tier" in line for line in first_lines(a))


def test_tier_line_spells_out_the_score_and_the_schedule_agrees():
    detail = build_detail(assessment(Tier.LOW, surveillance=plan(Tier.VERY_LOW)))
    assert (
        "**Risk tier:** low. Zaidi RRS, the Recurrence Risk Score of Zaidi et al. 2019: "
        "1 of 10 points." in detail
    )
    assert "**Schedule:** very low, Zaidi RRS tier." in detail


def test_undetermined_schedule_gives_one_plain_sentence_why():
    detail = build_detail(undetermined())
    assert (
        "**Schedule:** high, the highest tier still possible, until the missing data are recorded."
        in detail
    )
    no_tier = assessment(None, scores=[ventin()], surveillance=plan(Tier.HIGH))
    assert "**Schedule:** high, as nothing in the record shows a lower risk." in build_detail(
        no_tier
    )


def test_chromogranin_is_part_of_the_action():
    a = assessment(Tier.HIGH, surveillance=plan(Tier.HIGH, chromogranin=True))
    assert any("Serum chromogranin A with the imaging" in line for line in first_lines(a))


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("Ki-67 > 5 %", "Ki-67 > 5 %"),
        ("G1, N0, < 2 cm", "G1, N0, < 2 cm"),
        ("AT&T", "AT&T"),
        ("> quoted", "\\> quoted"),
        ("<b>bold</b>", "&lt;b>bold&lt;/b>"),
        ("&lt;b&gt;", "\\&lt;b\\&gt;"),
    ],
)
def test_comparison_signs_stay_as_written_and_markup_stays_inert(text, escaped):
    assert escape_text(text) == escaped


def test_nested_parentheses_are_flattened_but_word_parentheses_stay():
    assert flatten_parens("WHO grade >= 2 (G2 (reported))") == "WHO grade >= 2 (G2, reported)"
    assert flatten_parens("Lymph-node positive (4 positive node(s))") == (
        "Lymph-node positive (4 positive node(s))"
    )
    assert flatten_parens("JAMA Oncol 2018;4(11):1597") == "JAMA Oncol 2018;4(11):1597"


def test_factor_detail_in_parentheses_is_not_nested():
    score = zaidi(points=4, tier=Tier.INTERMEDIATE)
    factors = [f.model_copy(update={"detail": "G2 (reported)"}) for f in score.factors]
    detail = build_detail(
        assessment(Tier.INTERMEDIATE, scores=[score.model_copy(update={"factors": factors})])
    )
    assert "(G2, reported)" in detail and "(G2 (reported))" not in detail


def test_a_high_schedule_is_said_to_meet_the_guideline_floor():
    flags = ["Lymph-node positive: yes → at least intermediate-intensity surveillance"]
    high = build_detail(assessment(Tier.HIGH, guideline_flags=flags))
    assert "The high schedule meets the intermediate-intensity floor." in high
    low = build_detail(assessment(Tier.LOW, guideline_flags=["Ki-67 > 5 %: no"]))
    assert "floor" not in low


def test_a_resection_date_after_today_is_named_and_not_called_missing():
    future = InputResult(id="resection", label="Resection", value="2027-05-01")
    a = assessment(
        Tier.LOW, surveillance=plan(Tier.LOW, anchor=None, next_due=None), inputs=[future]
    )
    card = build_assessment_card(a, **card_args())
    assert card.detail.startswith(
        "**The recorded resection date, 2027-05-01, cannot be used: correct it"
    )
    assert card.summary.endswith("no usable resection date to schedule from")
    assert "clinically indicated" not in card.summary


def test_the_last_imaging_is_named_when_nothing_is_overdue():
    lines = first_lines(
        assessment(Tier.LOW, surveillance=plan(Tier.LOW, last_imaging="2024-12-01"))
    )
    assert "- Last abdominal CT/MRI: 2024-12-01." in lines


def _m_status(value: bool | None) -> InputResult:
    return InputResult(
        id="metastatic_at_surgery", label="Distant metastasis at surgery", value=value
    )


def test_a_tier_shown_while_m_status_is_unknown_says_it_assumes_no_metastasis():
    detail = build_detail(assessment(Tier.LOW, inputs=[_m_status(None)]))
    caveat = "**Distant metastasis at surgery:** not recorded. The tier and schedule assume"
    assert caveat in detail
    # beside the tier, before the long tables
    assert detail.index(caveat) < detail.index("### ")


def test_no_caveat_when_m0_is_recorded():
    detail = build_detail(assessment(Tier.LOW, inputs=[_m_status(False)]))
    assert "**Distant metastasis at surgery:**" not in detail
