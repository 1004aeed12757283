"""The worklist's HTML page opened from disk in the real browser of the SMART tests: its own CSP
lets its inline style and script run (no violation logged), a click on a column heading sorts
the table and a second reverses it, the SVG chart is drawn with a bar per tier, and at 420 px
the page fits the screen. Screenshots at 1366 and 420 px go to $PANNET_CDS_SCREENSHOTS."""

from __future__ import annotations

import pytest

from cds_service.worklist.html_page import render_worklist_html
from tests.support.browser import (
    LAPTOP,
    PHONE,
    block_all_but_the_file,
    console_problems,
    screenshot,
)
from tests.worklist_samples import HOSTILE_NAME, sample_rows, sample_worklist


@pytest.fixture(scope="module")
def page_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("worklist-html") / "worklist.html"
    path.write_text(render_worklist_html(sample_worklist()), encoding="utf-8")
    return path


def open_page(browser, page_file, viewport):
    context = browser.new_context(viewport=viewport)
    context.set_default_timeout(15_000)
    blocked = block_all_but_the_file(context)
    page = context.new_page()
    problems = console_problems(page)
    page.goto(page_file.as_uri())
    page.locator("table.worklist").wait_for()
    return context, page, problems, blocked


def order(page) -> list[str]:
    return page.eval_on_selector_all(
        "table.worklist tbody tr", "rows => rows.map(r => r.dataset.patient)"
    )


def test_clicking_a_heading_sorts_and_state_restores_the_urgency_order(browser, page_file):
    context, page, problems, blocked = open_page(browser, page_file, LAPTOP)
    urgency = [r.patient_id for r in sample_rows()]
    assert order(page) == urgency
    header = page.get_by_role("button", name="Patient", exact=True)
    header.click()
    by_name = sorted(sample_rows(), key=lambda r: (r.name or "~").casefold())
    assert order(page) == [r.patient_id for r in by_name]
    assert page.locator("th[data-key=patient]").get_attribute("aria-sort") == "ascending"
    assert page.locator("th[data-key=state]").get_attribute("aria-sort") == "none"
    header.click()
    assert order(page) == [r.patient_id for r in reversed(by_name)]
    assert page.locator("th[data-key=patient]").get_attribute("aria-sort") == "descending"
    page.get_by_role("button", name="Next exam", exact=True).click()
    assert order(page)[:3] == ["wl-overdue", "wl-due", "wl-undetermined"]
    page.get_by_role("button", name="Tier", exact=True).click()
    assert order(page)[:2] == ["wl-due", "wl-overdue"]  # low before intermediate
    state = page.get_by_role("button", name="State", exact=True)
    state.click()
    assert order(page) == urgency
    state.click()
    assert order(page) == list(reversed(urgency))
    state.click()
    assert order(page) == urgency
    assert page.locator("#wl-sort-status").inner_text() == "Sorted by State, ascending"
    # the hostile name is shown as the text it is, and ran nothing
    assert page.locator("tr[data-patient=wl-due] .wl-pname").inner_text() == HOSTILE_NAME
    assert problems == [], problems
    assert blocked == []
    context.close()


def test_the_tier_chart_is_drawn_with_a_labelled_bar_per_tier(browser, page_file):
    context, page, problems, _ = open_page(browser, page_file, LAPTOP)
    chart = page.locator("svg.wl-chart")
    box = chart.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 100
    bars = page.locator("svg.wl-chart rect.wl-bar")
    assert bars.count() == 5
    widths = {
        bars.nth(i).get_attribute("data-tier"): bars.nth(i).bounding_box()["width"]
        for i in range(5)
    }
    assert widths["very-low"] == 0 and widths["high"] == 0
    assert widths["low"] > 0 and widths["low"] == pytest.approx(widths["undetermined"])
    assert widths["low"] == pytest.approx(box["width"] / 3, rel=0.02)
    labels = page.locator("svg.wl-chart text").all_text_contents()
    assert "intermediate: 1 (33%)" in labels
    colour = page.eval_on_selector(
        "rect.wl-bar-high", "r => getComputedStyle(r).fill"
    )  # styled by the inline stylesheet, which the CSP let through
    assert colour == "rgb(207, 34, 46)"
    assert problems == []
    context.close()


def test_screenshots_at_laptop_and_phone_width_and_no_sideways_scroll(browser, page_file):
    for name, viewport in (("1366", LAPTOP), ("420", PHONE)):
        context, page, problems, _ = open_page(browser, page_file, viewport)
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        screenshot(page, f"worklist-html-{name}")
        assert problems == []
        context.close()


def test_at_phone_width_the_headings_still_sort(browser, page_file):
    context, page, _, _ = open_page(browser, page_file, PHONE)
    page.get_by_role("button", name="Sources", exact=True).click()
    sources = page.eval_on_selector_all(
        "table.worklist tbody tr td.wl-sources-cell", "cells => cells.map(c => +c.dataset.sort)"
    )
    assert sources == sorted(sources)
    context.close()
