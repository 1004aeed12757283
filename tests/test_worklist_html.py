"""The worklist's HTML page as text: escaping of what the EHR recorded, a page that needs nothing
from the network (and a CSP that allows exactly its inline style and script), counts per state,
the tier chart's bars, and the data the sortable table sorts by."""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser

import pytest

from cds_service.worklist.html_page import render_worklist_body, render_worklist_html
from cds_service.worklist.models import STATE_ORDER, RowState, WorklistCounts
from scoring.assessment import Tier
from tests.worklist_samples import HOSTILE_NAME, sample_rows, sample_worklist


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text inside <script>/<style> elements."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.raw: dict[str, list[str]] = {"script": [], "style": []}
        self._in: str | None = None
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        if tag in self.raw:
            self._in = tag
            self.raw[tag].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in:
            self.raw[self._in][-1] += data

    def find(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        return [
            a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())
        ]

    def with_class(self, tag: str, cls: str) -> list[dict[str, str]]:
        return [a for t, a in self.tags if t == tag and cls in a.get("class", "").split()]


@pytest.fixture(scope="module")
def page() -> str:
    return render_worklist_html(sample_worklist())


def test_a_hostile_patient_name_is_text_not_markup(page: str) -> None:
    parsed = Elements(page)
    assert len(parsed.find("script")) == 1  # ours only
    assert HOSTILE_NAME not in page
    escaped = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; O&#39;Brien &amp; &#34;Sons&#34;"
    assert escaped in page
    # the sort key of that cell is an attribute value: escaped too, and not able to end it
    patient_cells = parsed.with_class("td", "wl-patient")
    assert HOSTILE_NAME.casefold() in [c["data-sort"] for c in patient_cells]


def test_every_field_that_comes_from_the_record_is_escaped() -> None:
    bad = "<img src=x onerror=alert(1)>"
    row = sample_rows()[3].model_copy(
        update={
            "patient_id": bad,
            "birth_date": bad,
            "mrn": bad,
            "reason": bad,
            "last_imaging": bad,
            "sources": [bad],
            "warnings": [bad],
        }
    )
    worklist = sample_worklist(fhir_server=bad, group=bad, rows=[row])
    page = render_worklist_html(worklist)
    assert "<img" not in page
    assert Elements(page).find("img") == []


def test_the_page_loads_nothing_and_its_csp_allows_only_its_own_style_and_script(
    page: str,
) -> None:
    parsed = Elements(page)
    assert parsed.find("link") == [] and parsed.find("img") == []
    assert not [a for _, a in parsed.tags if "src" in a]
    assert not re.search(r"(?:url\(|@import)", parsed.raw["style"][0])
    csp = parsed.find("meta", **{"http-equiv": "Content-Security-Policy"})[0]["content"]

    def digest(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    assert "default-src 'none'" in csp
    assert f"style-src {digest(parsed.raw['style'][0])};" in csp
    assert f"script-src {digest(parsed.raw['script'][0])};" in csp
    assert "unsafe-inline" not in csp


def test_title_names_server_group_and_date(page: str) -> None:
    title = re.search(r"<title>(.*?)</title>", page).group(1)
    assert (
        title
        == "Surveillance worklist 2026-12-01 · Group/net-clinic · http://fhir.example.org/fhir"
    )


def test_counts_per_state_in_urgency_order_zero_included(page: str) -> None:
    items = re.findall(
        r'<li class="wl-count-([a-z-]+)" data-state="\1"><span class="wl-n">(\d+)</span>', page
    )
    assert [s for s, _ in items] == [s.value for s in STATE_ORDER]
    assert dict(items) == {
        "overdue": "1",
        "due": "1",
        "undetermined": "1",
        "recurrence": "1",
        "on-schedule": "0",
        "out-of-scope": "1",
    }


def test_tier_chart_has_a_bar_per_tier_sized_by_share_with_text_labels(page: str) -> None:
    bars = Elements(page).with_class("rect", "wl-bar")
    assert [(b["data-tier"], b["data-count"]) for b in bars] == [
        ("very-low", "0"),
        ("low", "1"),
        ("intermediate", "1"),
        ("high", "0"),
        ("undetermined", "1"),
    ]
    assert [b["width"] for b in bars] == ["0.0%", "33.3%", "33.3%", "0.0%", "33.3%"]
    assert "intermediate: 1 (33%)</text>" in page


def test_a_tier_key_the_page_does_not_know_still_gets_its_bar() -> None:
    worklist = sample_worklist()
    counts = worklist.counts.model_copy(update={"by_tier": {"low": 3, "some-new-tier": 1}})
    page = render_worklist_html(worklist.model_copy(update={"counts": counts}))
    bars = Elements(page).with_class("rect", "wl-bar")
    assert bars[-1]["data-tier"] == "some-new-tier" and bars[-1]["width"] == "25.0%"


def test_rows_keep_the_worklist_order_with_sort_keys_per_column(page: str) -> None:
    parsed = Elements(page)
    rows = parsed.find("tr")[1:]
    assert [r["data-patient"] for r in rows] == [r.patient_id for r in sample_rows()]
    assert [r["data-rank"] for r in rows] == ["0", "1", "2", "3", "4"]
    states = [c["data-sort"] for c in parsed.with_class("td", "wl-state")]
    assert states == sorted(states)
    tiers = [int(c["data-sort"]) for c in parsed.with_class("td", "wl-tier")]
    assert tiers[0] > tiers[1]  # intermediate ranks above low
    assert tiers[2] > max(tiers[:2])  # an undetermined tier sorts after every known one
    nexts = [c["data-sort"] for c in parsed.with_class("td", "wl-next")]
    assert nexts[:3] == ["2025-10-27", "2026-12-11", "2027-02-14"] and nexts[3] == "~"
    headers = parsed.find("th")
    assert [h["data-key"] for h in headers] == [
        "patient",
        "state",
        "tier",
        "next",
        "imaging",
        "sources",
    ]
    assert [h["aria-sort"] for h in headers].count("ascending") == 1


def test_each_state_says_what_to_act_on(page: str) -> None:
    for text in (
        "Overdue by 1 year 1 month",
        'CT/MRI abdomen due since <span class="wl-fact">2025-10-27</span>',
        "Due 2026-12-11",
        "CT/MRI abdomen in 10 days",
        "missing data: Ki-67 index",
        "possible: low or intermediate",
        "schedule followed: intermediate",
        'liver metastasis on <span class="wl-fact">2026-08-03</span> (Condition/wl-met-1004)',
        "metastatic at surgery (Observation/wl-m1-1005: pM1)",
        '<span class="wl-fact">2024-05-02</span> CT abdomen (ImagingStudy/img-1001)',
        "MRN MRN-1001",
        "born 1961-04-12",
    ):
        assert text in page, text
    assert "Condition/<wbr>wl-dx-1001" in page


def test_no_imaging_on_record_is_said_so_not_left_blank(page: str) -> None:
    cells = re.findall(r'<td class="wl-imaging"[^>]*>(.*?)</td>', page)
    assert cells[2] == "none on record"


def test_an_empty_worklist_says_so_and_draws_no_chart() -> None:
    worklist = sample_worklist(rows=[]).model_copy(update={"counts": WorklistCounts()})
    page = render_worklist_html(worklist)
    assert "No patient is on this worklist." in page
    assert "<svg" not in page and "<table" not in page


def test_the_body_for_the_app_links_each_patient() -> None:
    body = render_worklist_body(sample_worklist(), lambda pid: f"/open/{pid}")
    links = Elements(str(body)).with_class("a", "wl-pname")
    assert [a["href"] for a in links] == [f"/open/{r.patient_id}" for r in sample_rows()]
    assert "<html" not in body and "<script" not in body


def test_overdue_without_a_day_count_still_reads_overdue() -> None:
    row = sample_rows()[0].model_copy(update={"days_overdue": None, "overdue_since": None})
    page = render_worklist_html(sample_worklist(rows=[row]))
    assert ">Overdue</span>" in page and row.state is RowState.OVERDUE


def test_a_list_without_tier_counts_does_not_claim_nobody_is_in_scope() -> None:
    worklist = sample_worklist()
    counts = worklist.counts.model_copy(update={"by_tier": {}})
    page = render_worklist_html(worklist.model_copy(update={"counts": counts}))
    assert "This worklist does not record its tier counts." in page
    assert "No patient in scope." not in page and "<svg" not in page


def test_dates_are_kept_whole_and_the_text_around_them_escaped() -> None:
    from cds_service.worklist.html_page import keep_dates_whole

    marked = keep_dates_whole("<b>due</b> 2025-10-27 & 12345-67-890")
    assert str(marked) == (
        '&lt;b&gt;due&lt;/b&gt; <span class="wl-fact">2025-10-27</span> &amp; 12345-67-890'
    )


def test_tier_words_are_words_not_enum_values(page: str) -> None:
    # The card and the app say "very low"; the chart's label and a row's tier say the same.
    assert "very low: 0 (0%)</text>" in page and "very-low:" not in page
    rows = sample_rows()
    rows[1] = rows[1].model_copy(update={"tier": Tier.VERY_LOW})
    worklist = sample_worklist().model_copy(update={"rows": rows})
    body = render_worklist_body(worklist, lambda pid: f"/p/{pid}")
    assert '<span class="wl-tier-word wl-tier-very-low">very low</span>' in body
