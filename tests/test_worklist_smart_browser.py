"""The SMART app's worklist in the real browser (Playwright + Debian's Chromium): a practitioner
launch from the test EHR's page (framed cross-site, as in production) shows the stored worklist,
its table sorts and its chart renders under the app's strict CSP, and a row opens the patient's
page; on its own at phone width the page fits the screen. Screenshots go to
$PANNET_CDS_SCREENSHOTS."""

from __future__ import annotations

import pytest
from sqlalchemy import delete

from cds_service.db import make_engine
from cds_service.worklist.store import save_worklist, worklist_runs
from tests.smart_fixtures import live_app, load_case
from tests.support.browser import (
    PHONE,
    block_non_loopback,
    console_problems,
    screenshot,
)
from tests.worklist_samples import sample_rows, sample_worklist

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def patients(fhir_server) -> dict[str, str]:
    return {
        "overdue": load_case(fhir_server.base_url, "p04", "wlbrowser"),
        "due": load_case(fhir_server.base_url, "p01", "wlbrowser"),
    }


@pytest.fixture(scope="module")
def live(ehr, patients, tmp_path_factory):
    frame_ancestors = f"'self' http://localhost:{ehr.port}"
    workdir = tmp_path_factory.mktemp("worklist-smart-browser")
    with live_app(workdir, ehr, smart_frame_ancestors=frame_ancestors) as server:
        engine = make_engine(f"sqlite:///{workdir / 'cds.sqlite3'}")
        with engine.begin() as connection:
            connection.execute(delete(worklist_runs))
        rows = sample_rows("wlbrowser")
        real = [
            rows[0].model_copy(update={"patient_id": patients["overdue"], "name": "p04 Test"}),
            rows[1].model_copy(update={"patient_id": patients["due"]}),
        ]
        save_worklist(engine, sample_worklist(ehr.iss, rows=real + rows[2:]))
        engine.dispose()
        yield server


def order(target) -> list[str]:
    rows = target.locator("table.worklist tbody tr")
    return [rows.nth(i).get_attribute("data-patient") for i in range(rows.count())]


def test_practitioner_launch_in_the_ehr_frame_then_a_row_opens_the_patient(
    context, ehr, live, patients
):
    page = context.new_page()
    problems = console_problems(page)
    page.goto(ehr.ehr_page_url(ehr.new_launch(None), f"{live.url}/smart/worklist/launch"))
    frame = page.frame_locator("#app")
    frame.get_by_role("button", name="Allow").click()
    frame.get_by_role("heading", name="Surveillance worklist").wait_for()
    rest = [r.patient_id for r in sample_rows("wlbrowser")][2:]
    urgency = [patients["overdue"], patients["due"], *rest]
    assert order(frame) == urgency
    assert frame.locator(".wl-counts li[data-state=overdue] .wl-n").inner_text() == "1"
    box = frame.locator("svg.wl-chart").bounding_box()
    assert box and box["width"] > 300 and box["height"] > 100
    assert frame.locator("svg.wl-chart rect.wl-bar").count() == 5
    # the app's stylesheet and the worklist's (a file: the app's CSP allows no inline style)
    assert frame.locator("rect.wl-bar-low").evaluate("r => getComputedStyle(r).fill") == (
        "rgb(26, 127, 55)"
    )
    # and the app's own classes (.state-overdue, .tier) do not restyle the worklist's cells
    overdue = frame.locator("tr.wl-row-overdue")
    assert overdue.locator("td.wl-imaging").evaluate("c => getComputedStyle(c).color") == (
        "rgb(27, 31, 36)"
    )
    assert overdue.locator("td.wl-tier").evaluate("c => getComputedStyle(c).backgroundColor") == (
        "rgba(0, 0, 0, 0)"
    )
    screenshot(page, "worklist-smart-01-ehr-frame-1366")

    # the table sorts with the script served under the app's CSP
    frame.get_by_role("button", name="Patient", exact=True).click()
    assert order(frame) != urgency
    assert frame.locator("th[data-key=patient]").get_attribute("aria-sort") == "ascending"
    frame.get_by_role("button", name="State", exact=True).click()
    assert order(frame) == urgency

    frame.get_by_role("link", name="p04 Test").click()
    frame.get_by_role("heading", name="Recurrence risk and surveillance").wait_for()
    assert frame.locator(".banner-name").inner_text() == "p04 Test"
    assert "not determined" in frame.locator(".summary").inner_text()
    screenshot(page, "worklist-smart-02-patient-from-worklist-1366")
    frame.get_by_role("link", name="Back to the worklist").click()
    frame.get_by_role("heading", name="Surveillance worklist").wait_for()
    assert order(frame) == urgency
    assert [p for p in problems if "Content Security Policy" in p] == []


def test_the_worklist_on_its_own_at_phone_width(browser, ehr, live):
    context = browser.new_context(viewport=PHONE)
    context.set_default_timeout(15_000)
    blocked = block_non_loopback(context)
    page = context.new_page()
    problems = console_problems(page)
    page.goto(f"{live.url}/smart/worklist/launch?iss={ehr.iss}")
    page.get_by_role("button", name="Allow").click()
    page.get_by_role("heading", name="Surveillance worklist").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "worklist-smart-03-standalone-420")
    page.get_by_role("button", name="Next exam", exact=True).click()
    assert page.locator("th[data-key=next]").get_attribute("aria-sort") == "ascending"
    assert problems == []
    context.close()
    assert blocked == []
