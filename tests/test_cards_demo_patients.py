"""The card of every shipped demo patient, read as a surgeon reads it (issue 14): the detail starts
with what to do, an overdue exam says since when and why, the summary and the schedule agree, and
no card of the demo patients or of the real-world corpus shows escaped entities or nested
parentheses."""

from __future__ import annotations

import html
import re
from datetime import date

import pytest
from markdown_it import MarkdownIt

from cds_service.cards.summary import TIER_WORDS
from cds_service.cards.wording import without_codes
from scoring.assessment import Assessment
from tests.cards_demo import TODAY, card_for, corpus_assessments, demo_assessments

GFM = MarkdownIt("commonmark").enable("table").enable("strikethrough")
ENTITY = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]*|#[0-9]+|#x[0-9A-Fa-f]+);")

# Today (all demo patients overdue), a day before p01-p05's first exam is due, and two weeks
# before it (due now): the first lines must be the action in every state.
DAYS = (TODAY, date(2024, 6, 1), date(2024, 8, 20))
DEMO = {day: demo_assessments(day) for day in DAYS}
CASES = [pytest.param(day, name, id=f"{name}@{day}") for day in DAYS for name in DEMO[day]]
EVERY_CARD = {**DEMO[TODAY], **corpus_assessments()}


def lead(detail: str) -> str:
    """The detail up to the tier line: what the clinician reads first."""
    return detail.split("**Risk tier:**", 1)[0]


def visible(markdown: str) -> str:
    """The text a clinician sees once the Markdown is rendered."""
    return html.unescape(re.sub(r"<[^>]+>", "", GFM.render(markdown)))


def nested_parentheses(line: str) -> bool:
    # "node(s)" and "4(11)" are part of their word, not a parenthetical.
    line = re.sub(r"\w\([^()]*\)", "", line)
    depth = 0
    for char in line:
        if char == "(":
            depth += 1
            if depth > 1:
                return True
        elif char == ")":
            depth = max(0, depth - 1)
    return False


def test_the_demo_has_an_overdue_high_and_a_low_patient():
    tiers = {
        (a.overall_tier, a.surveillance.overdue) for a in DEMO[TODAY].values() if a.surveillance
    }
    assert ("high", True) in tiers and any(t == "low" for t, _ in tiers)


@pytest.mark.parametrize(("day", "name"), CASES)
def test_detail_starts_with_the_exam_and_its_date(day, name):
    a: Assessment = DEMO[day][name]
    plan = a.surveillance
    assert plan is not None
    detail = card_for(a).detail
    first = detail.splitlines()[0]
    assert "CT or MRI" in first
    when = plan.overdue_since if plan.overdue else plan.next_due
    assert when and when in first
    # The action comes before the tier, the schedule and every table.
    top = lead(detail)
    assert "###" not in top and "|" not in top
    for item in plan.lighter_if_known:
        assert without_codes(item) in top
    assert detail.index("**Risk tier:**") < detail.index("### Scores") < detail.index("| Factor")
    assert detail.index("| Factor") < detail.index("### Inputs read from the record")


@pytest.mark.parametrize("name", list(DEMO[TODAY]))
def test_overdue_detail_says_no_imaging_since_resection_and_how_many_exams_missed(name):
    a = DEMO[TODAY][name]
    plan = a.surveillance
    assert plan is not None and plan.overdue and plan.last_imaging is None
    top = lead(card_for(a).detail)
    assert f"overdue since {plan.overdue_since}" in top.splitlines()[0]
    assert f"No abdominal CT/MRI on record since resection on {plan.anchor_date}" in top
    n = len(plan.missed_dates)
    assert f"{n} scheduled exam{'s' if n > 1 else ''} missed" in top


def test_p06_unimaged_since_2019_is_told_so_with_the_time_overdue():
    top = lead(card_for(DEMO[TODAY]["p06"]).detail)
    assert top.startswith(
        "**Abdominal CT or MRI is overdue since 2019-09-04, by 7 years 2 months: order it now.**"
    )
    assert "No abdominal CT/MRI on record since resection on 2019-03-04; 10 scheduled exams" in top


@pytest.mark.parametrize(("day", "name"), CASES)
def test_summary_names_the_schedule_when_it_differs_from_the_tier(day, name):
    a = DEMO[day][name]
    card = card_for(a)
    plan = a.surveillance
    assert plan is not None and plan.tier is not None
    schedule = f"{TIER_WORDS[plan.tier]} schedule"
    if plan.tier != a.overall_tier:
        assert schedule in card.summary
        assert f"**Schedule:** {TIER_WORDS[plan.tier]}," in card.detail
    else:
        assert "schedule" not in card.summary
    if a.overall_tier is None:
        assert "incomplete data" in card.summary


def test_a_low_patient_on_the_very_low_schedule_is_not_summarised_as_plain_low():
    card = card_for(DEMO[TODAY]["p02"])
    assert card.summary.startswith("NET recurrence risk: low (Zaidi RRS 0–1/10), very low schedule")
    assert "**Schedule:** very low, G1, N0, < 2 cm and low risk." in card.detail


@pytest.mark.parametrize("name", list(EVERY_CARD))
def test_overdue_surveillance_is_never_info(name):
    a = EVERY_CARD[name]
    if a.surveillance is not None and a.surveillance.overdue:
        assert card_for(a).indicator != "info"


@pytest.mark.parametrize("name", list(EVERY_CARD))
def test_no_escaped_entities_or_nested_parentheses_in_card_text(name):
    card = card_for(EVERY_CARD[name])
    for text in (card.summary, card.detail):
        assert not ENTITY.search(text), ENTITY.findall(text)
        seen = visible(text)
        assert not ENTITY.search(seen)
        assert [line for line in seen.splitlines() if nested_parentheses(line)] == []


@pytest.mark.parametrize("name", list(EVERY_CARD))
def test_zaidi_rrs_is_spelled_out_once(name):
    card = card_for(EVERY_CARD[name])
    if "Zaidi RRS" in card.summary:
        assert card.detail.count("the Recurrence Risk Score of Zaidi et al. 2019") == 1
        assert card.detail.index("Zaidi RRS, the Recurrence Risk Score") < card.detail.index("###")


@pytest.mark.parametrize("name", list(EVERY_CARD))
def test_each_citation_links_the_article_or_says_it_is_a_search(name):
    detail = card_for(EVERY_CARD[name]).detail
    if "### Citations" not in detail:
        return
    section = detail.split("### Citations", 1)[1]
    for item in (line for line in section.splitlines() if line.startswith("- ")):
        url = re.search(r"\]\(<([^>]+)>\)", item)
        assert url, item
        if not url.group(1).startswith(("https://doi.org/", "https://pubmed.ncbi.nlm.nih.gov/3")):
            assert "a PubMed search: no DOI or PMID is confirmed" in item


def test_the_entity_and_nesting_checks_can_fail():
    assert ENTITY.search("Tumour size &gt; 2 cm")
    assert nested_parentheses("WHO grade >= 2 (G2 (reported))")
    assert not nested_parentheses("4 positive node(s) (Observation/x); 2018;4(11):1597")
