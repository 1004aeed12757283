"""Property: whatever the assessment, the card builds, validates and keeps the summary short."""

from __future__ import annotations

import re

from cards_factories import assert_survives_its_wire_form, card_args
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from cds_service.cards.builder import build_assessment_card
from cds_service.cards.source import SURVEILLANCE_CITATION_URL
from scoring.assessment import (
    Assessment,
    FactorResult,
    ScoreResult,
    ScoreStatus,
    SurveillancePlan,
    Tier,
)

tiers = st.sampled_from(list(Tier))
text = st.text(max_size=300)
small = st.integers(min_value=-(10**9), max_value=10**9)

factors = st.builds(
    FactorResult,
    id=text,
    label=text,
    value=st.none() | st.booleans(),
    weight=st.none() | small,
    points=st.none() | small,
    source=st.none() | text,
    sources=st.lists(text, max_size=3),
    detail=st.none() | text,
)

scores = st.builds(
    ScoreResult,
    id=st.sampled_from(["zaidi-rrs-2019", "ventin-2025", "zheng-lms-2025"]) | text,
    title=text,
    citation=text,
    citation_url=st.sampled_from(["https://doi.org/10.1/x", "javascript:x", ""]) | text,
    status=st.sampled_from(list(ScoreStatus)),
    weights_origin=st.none() | st.sampled_from(["published", "site-configured"]) | text,
    points=st.none() | small,
    points_range=st.none() | st.lists(small, min_size=0, max_size=3),
    max_points=st.none() | small,
    tier=st.none() | tiers,
    possible_tiers=st.lists(tiers, max_size=4),
    factors=st.lists(factors, max_size=4),
    present=small,
    unknown=small,
    missing=st.lists(text, max_size=3),
    reason=st.none() | text,
    notes=st.lists(text, max_size=2),
)

plans = st.builds(
    SurveillancePlan,
    tier=st.none() | tiers,
    basis=text,
    anchor_date=st.none() | text,
    schedule_months=st.lists(small, max_size=12),
    schedule_dates=st.lists(st.dates().map(str) | text, max_size=12),
    next_due=st.none() | st.dates().map(str) | text,
    due_now=st.booleans(),
    overdue=st.booleans(),
    last_imaging=st.none() | text,
    imaging_sources=st.lists(text, max_size=2),
    suggest_chromogranin=st.booleans(),
    lighter_if_known=st.lists(text, max_size=3),
)

assessments = st.builds(
    Assessment,
    overall_tier=st.none() | tiers,
    possible_tiers=st.lists(tiers, max_size=4),
    in_scope=st.booleans(),
    scope_reason=st.none() | text,
    scores=st.lists(scores, max_size=3),
    guideline_flags=st.lists(text, max_size=3),
    surveillance=st.none() | plans,
    warnings=st.lists(text, max_size=2),
    patient=st.none() | text,
    today=text,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(assessments)
def test_any_assessment_gives_a_valid_card_with_summary_under_140(a):
    card = build_assessment_card(a, **card_args())
    assert 0 < len(card.summary) < 140
    assert "\n" not in card.summary
    assert_survives_its_wire_form(card)
    if a.overall_tier is None and a.in_scope:
        assert "incomplete data" in card.summary or "tier not determined" in card.summary
    if card.indicator == "critical":
        assert a.overall_tier is Tier.HIGH and a.surveillance is not None and a.surveillance.overdue


GFM = MarkdownIt("commonmark").enable("table").enable("strikethrough")
ALLOWED_TAGS = {
    "p", "h3", "h4", "ul", "li", "strong", "em", "table", "thead", "tbody", "tr", "th", "td", "a",
}  # fmt: skip


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(assessments)
def test_detail_of_any_assessment_renders_only_our_own_markup(a):
    card = build_assessment_card(a, **card_args())
    html = GFM.render(card.detail)
    tags = {m.lower() for m in re.findall(r"<\s*/?\s*([a-zA-Z][a-zA-Z0-9]*)", html)}
    assert tags <= ALLOWED_TAGS
    allowed_links = {s.citation_url for s in a.scores} | {SURVEILLANCE_CITATION_URL}
    assert set(re.findall(r'href="([^"]*)"', html)) <= allowed_links
