"""The card detail says everything clinical.md §5 asks for, and record text cannot inject."""

from __future__ import annotations

import re

import pytest
from cards_factories import (
    VENTIN_URL,
    ZAIDI_URL,
    assessment,
    factor,
    plan,
    undetermined,
    ventin,
    zaidi,
)
from markdown_it import MarkdownIt

from cds_service.cards.detail import CONFIRM_SENTENCE, build_detail, build_out_of_scope_detail
from cds_service.cards.markdown import escape_text, link, safe_url
from cds_service.cards.source import SURVEILLANCE_CITATION_URL
from scoring.assessment import InputResult, ScoreStatus, Tier

GFM = MarkdownIt("commonmark").enable("table").enable("strikethrough")


def render(markdown: str) -> str:
    return GFM.render(markdown)


def test_every_factor_with_value_points_and_source_is_listed():
    a = assessment(Tier.INTERMEDIATE, scores=[zaidi(points=4, tier=Tier.INTERMEDIATE)])
    detail = build_detail(a)
    for f in a.scores[0].factors:
        row = next(line for line in detail.splitlines() if line.startswith(f"| {f.label} |"))
        assert f.source in row
        assert ("present" if f.value else "absent") in row
        assert f" {f.points} " in row
    assert "4 of 10 points" in detail
    assert "**Tier:** intermediate" in detail


def test_unknown_factors_show_unknown_possible_points_and_no_source():
    detail = build_detail(undetermined())
    row = next(line for line in detail.splitlines() if line.startswith("| ki67 gt 20 |"))
    assert "unknown" in row and "0 or 6" in row and "not in record" in row
    assert "2–9 of 10 points" in detail
    assert "not determined, incomplete data; possible: low, intermediate, high" in detail


def test_missing_data_says_what_would_settle_the_tier_and_lighten_the_schedule():
    detail = build_detail(undetermined())
    section = detail.split("### Missing data", 1)[1].split("###", 1)[0]
    assert "would settle the tier" in section
    assert "Ki-67 index" in section and "regional nodes positive" in section
    assert "lighter schedule" in section


def test_factors_only_score_is_labelled_and_has_no_points():
    a = assessment(Tier.LOW, scores=[zaidi(points=1, tier=Tier.LOW), ventin()])
    detail = build_detail(a)
    ventin_part = detail.split("Ventin 2025", 1)[1].split("###", 1)[0]
    assert "factors only" in ventin_part
    assert "2 of 4" in ventin_part
    assert "site-configured weights" in ventin_part  # says a tier needs them
    assert "Points:" not in ventin_part
    assert "Patient/p1" in ventin_part


def test_site_configured_weights_are_labelled():
    a = assessment(Tier.INTERMEDIATE, scores=[ventin(site_configured=True)])
    detail = build_detail(a)
    assert "site-configured weights" in detail
    assert "8 of 13 points" in detail


def test_not_applicable_score_gives_its_reason():
    na = zaidi(points=None, tier=None).model_copy(
        update={
            "status": ScoreStatus.NOT_APPLICABLE,
            "reason": "functional tumour (insulinoma)",
            "factors": [],
        }
    )
    detail = build_detail(assessment(Tier.LOW, scores=[zaidi(points=1, tier=Tier.LOW), na]))
    assert "not applicable: functional tumour \\(insulinoma\\)" not in detail  # parens stay plain
    assert "not applicable: functional tumour (insulinoma)" in detail


def test_surveillance_section_has_schedule_dates_next_due_and_overdue():
    a = assessment(Tier.HIGH, surveillance=plan(Tier.HIGH, overdue=True, chromogranin=True))
    detail = build_detail(a)
    section = detail.split("### Surveillance schedule", 1)[1].split("###", 1)[0]
    assert "**Schedule tier:** high" in section
    assert "**Schedule tier:** high, set by the risk tier" in section
    assert "month 6 (2025-03-04); month 18 (2026-03-04); month 30 (2027-03-04)" in section
    assert "**Overdue since:** 2025-03-04" in section
    assert "ImagingStudy/ct1" in section
    action = detail.split("**Risk tier:**", 1)[0]
    assert "chromogranin A" in action and "reference range" in action


def test_no_chromogranin_line_unless_suggested():
    assert "chromogranin" not in build_detail(assessment(Tier.LOW))


def test_guideline_flags_citations_and_confirmation_sentence():
    a = assessment(
        Tier.INTERMEDIATE,
        scores=[zaidi(points=4, tier=Tier.INTERMEDIATE), ventin()],
        guideline_flags=["node-positive: at least intermediate-intensity surveillance"],
    )
    detail = build_detail(a)
    assert "### Guideline flags" in detail
    assert "node-positive: at least intermediate-intensity surveillance" in detail
    html = render(detail)
    for url in (ZAIDI_URL, VENTIN_URL, SURVEILLANCE_CITATION_URL):
        assert f'href="{url}"' in html
    assert detail.rstrip().endswith(CONFIRM_SENTENCE)


def test_inputs_table_shows_values_and_sources():
    a = assessment(
        Tier.LOW,
        inputs=[
            InputResult(id="ki67", label="Ki-67 index", value=2.0, sources=["Observation/k"]),
            InputResult(id="functional", label="Functional tumour", value=False),
            InputResult(id="sex", label="Sex", value=None, note="gender 'unknown'"),
        ],
    )
    detail = build_detail(a)
    assert "| Ki-67 index | 2 | Observation/k |" in detail
    assert "| Functional tumour | no | — |" in detail
    assert "| Sex | unknown | — | gender 'unknown' |" in detail


def test_out_of_scope_detail_says_why():
    a = assessment(
        None, in_scope=False, scope_reason="poorly differentiated NEC", surveillance=None
    )
    detail = build_out_of_scope_detail(a)
    assert "**Not assessed:** poorly differentiated NEC" in detail
    assert "No surveillance schedule is suggested" in detail


INJECTIONS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click me](javascript:alert(1))",
    "![pixel](https://evil.example/p.png)",
    "**bold** and _em_ and ~~gone~~ and `code`",
    "line one\n# Injected heading\n- item",
    "cell | extra cell | more",
    "<https://evil.example/autolink>",
    "&lt;b&gt;entity&lt;/b&gt;",
    "1. ordered",
]


@pytest.mark.parametrize("payload", INJECTIONS)
def test_record_text_cannot_inject_markdown_or_html(payload):
    evil_factor = factor(
        "tumor_size_gt_2cm",
        True,
        weight=2,
        source=f"Observation/{payload}",
        label=payload,
        detail=payload,
    )
    a = assessment(
        Tier.INTERMEDIATE,
        scores=[zaidi(points=4, tier=Tier.INTERMEDIATE, factors=[evil_factor], missing=[payload])],
        guideline_flags=[payload],
        warnings=[payload],
        inputs=[InputResult(id="x", label=payload, value=payload, sources=[payload], note=payload)],
        surveillance=plan(Tier.INTERMEDIATE).model_copy(update={"basis": payload}),
    )
    html = render(build_detail(a))
    for tag in ("<script", "<img", "<h1", "<strong>bold", "<em>", "<s>", "<code>", "<ol"):
        assert tag not in html
    # The only links are the citations this service adds.
    hrefs = re.findall(r'href="([^"]+)"', html)
    assert set(hrefs) <= {ZAIDI_URL, SURVEILLANCE_CITATION_URL}
    # Table structure survives: every row of the factor table has exactly four cells.
    factor_table = html.split("<table>", 1)[1].split("</table>", 1)[0]
    for row in re.findall(r"<tr>(.*?)</tr>", factor_table, flags=re.S):
        assert len(re.findall(r"<t[hd]", row)) == 4


def test_out_of_scope_reason_is_escaped():
    a = assessment(
        None, in_scope=False, scope_reason="<script>x</script> [a](http://e)", surveillance=None
    )
    html = render(build_out_of_scope_detail(a))
    assert "<script" not in html and "<a " not in html
    assert "&lt;script&gt;" in html


def test_escape_text_is_a_single_line_and_renders_back_to_the_original():
    text = "Ki-67 > 5 %: see [ref] | *note* \\ www.example.org https://x.example"
    rendered = render(escape_text(text))
    assert (
        rendered.strip()
        == "<p>Ki-67 &gt; 5 %: see [ref] | *note* \\ www.example.org https://x.example</p>"
    )
    assert "\n" not in escape_text("a\nb\r\nc")


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "data:text/html,x",
        "/relative",
        "https://a.example/x y",
        "https://a/<x>",
    ],
)
def test_unsafe_citation_urls_are_not_linked(url):
    assert safe_url(url) is None
    assert "](" not in link("Citation", url)


def test_safe_citation_url_is_linked_even_with_parentheses():
    url = "https://doi.org/10.1016/S0140-6736(20)30000-0"
    assert f'href="{url}"' in render(link("Paper", url))
