"""Every page of the SMART app in a real browser (Playwright + Debian's Chromium) for four kinds
of patient (low, overdue high, undetermined, pathology read from report text), on a laptop
(1366 px) and in an EHR side panel (420 px): what the header, timeline, flags and what-if say,
and that nothing scrolls the page sideways. A screenshot of each page goes to
$PANNET_CDS_SCREENSHOTS (tests/support/browser.py) to be looked at (issue 14)."""

from __future__ import annotations

from datetime import date

import pytest

from tests.smart_fixtures import SMART_CASES, live_app, load_case
from tests.support.browser import block_non_loopback, screenshot

pytestmark = pytest.mark.e2e
WIDTHS = {"1366": {"width": 1366, "height": 900}, "420": {"width": 420, "height": 800}}
# kind -> (case, folder): the shared cases p02 (low), p03 (high, no imaging since 2024) and p04
# (tier not determined), and a patient whose pathology is only a report's text.
KINDS = {
    "low": ("p02", None),
    "overdue-high": ("p03", None),
    "undetermined": ("p04", None),
    "text-derived": ("t01-report-text", SMART_CASES),
}
BORN = date(1966, 5, 17)  # the shared cases' birth date


@pytest.fixture(scope="module")
def patients(fhir_server) -> dict[str, str]:
    return {
        kind: load_case(fhir_server.base_url, case, f"pages-{kind}", *([folder] if folder else []))
        for kind, (case, folder) in KINDS.items()
    }


@pytest.fixture(scope="module")
def live(ehr, tmp_path_factory):
    with live_app(tmp_path_factory.mktemp("smart-pages"), ehr) as server:
        yield server


def _age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def assert_no_sideways_scroll(page) -> None:
    wide, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert wide <= inner, f"the page scrolls sideways: {wide} px wide in a {inner} px window"


def open_patient(browser, ehr, live, patient: str, width: str):
    context = browser.new_context(viewport=WIDTHS[width])
    context.set_default_timeout(15_000)
    blocked = block_non_loopback(context)
    app = context.new_page()
    app.goto(f"{live.url}/smart/launch?iss={ehr.iss}&launch={ehr.new_launch(patient)}")
    app.get_by_role("button", name="Allow").click()
    app.get_by_role("heading", name="Recurrence risk and surveillance").wait_for()
    return context, blocked, app


def check_patient_page(app, kind: str) -> None:
    banner = app.locator(".banner").inner_text()
    resection = app.locator(".case-resection").inner_text()
    pathology = app.locator(".case-pathology").inner_text()
    summary = app.locator(".summary").inner_text()
    for word in ("size", "grade", "Ki-67", "nodes", "LVI"):
        assert word in pathology, (word, pathology)
    # guideline flags name no resource ids (their sources are links named "source")
    assert "Observation/" not in summary and "DiagnosticReport/" not in summary
    assert app.locator("circle.exam-past").count() == 0
    if kind != "text-derived":
        assert f"age {_age(BORN, date.today())}" in banner
        assert "2024-03-04, Pancreatectomy, distal subtotal" in resection
    if kind == "low":
        assert "unknown" not in pathology
        # Data missing beside an established tier: the page says they do not change it.
        missing = app.locator("section[aria-labelledby=h-missing]").inner_text()
        assert "The tier is settled without them." in missing
    if kind == "overdue-high":
        assert "at least intermediate" not in summary  # the schedule is already high
        assert app.locator("circle.exam-overdue").count() == 1
        assert app.locator("circle.exam-missed").count() >= 3
        assert "exams missed" in app.locator(".missed-line").inner_text()
        overdue = app.locator(".overdue-line").inner_text()
        assert "no abdominal CT/MRI on record since the resection on 2024-03-04" in overdue
    if kind == "undetermined":
        assert "Ki-67 unknown" in pathology and "grade unknown" in pathology
        why = app.locator(".why").inner_text()
        assert why.startswith("Several tiers are still possible (low, intermediate and high)")
        assert "scheduled by the highest possible tier, high, until" in why
        assert "Ki-67" in why and why.endswith("are recorded.")
        assert (
            "settled without them"
            not in app.locator("section[aria-labelledby=h-missing]").inner_text()
        )
    else:
        assert app.locator(".why").count() == 0
    if kind == "text-derived":
        assert "MRN MRN-400117" in banner and "age " in banner
        assert "2025-06-10, Pancreatectomy, distal subtotal" in resection
        assert app.locator(".case-pathology .path-item.from-text").count() == 5
        assert "Ki-67 Labeling Index: 8 %" in app.locator(".case .text-note").inner_text()
        row = app.locator("table.inputs tr.from-text", has_text="Ki-67 index")
        assert "read from the report text" in row.locator("mark").inner_text()
        assert row.locator("q.report-quote").inner_text() == "Ki-67 Labeling Index: 8 %"
        # Score factors read from the report text are marked in their tables too.
        zaidi = app.locator("section.score", has_text="Zaidi 2019")
        size = zaidi.locator("tr", has_text="Tumour size > 2 cm")
        assert "read from the report text" in size.locator("mark.text-mark").inner_text()
        assert zaidi.locator("tr", has_text="Symptomatic").locator("mark").count() == 0
        # Both guideline flags rest on values read from the report text: marked.
        assert app.locator(".summary .flag mark.text-mark").count() == 2
        # The report a warning is about is a source link, not an id in the sentence.
        warning = app.locator("#h-warnings + ul li").first
        assert warning.inner_text().startswith("Distant metastasis unknown from the text")
        assert "DiagnosticReport/" not in warning.inner_text()
        assert warning.locator("a.source-link").count() == 1
    else:
        assert app.locator("mark.text-mark, .from-text").count() == 0


def check_resource_view(app, kind: str) -> None:
    assert app.locator(".banner-name").count() == 1  # the patient is named on this page too
    json_box = app.locator("details.json")
    assert json_box.get_attribute("open") is None
    assert not app.locator("pre.resource").is_visible()
    heading = app.locator("h1").inner_text()
    if kind == "text-derived":
        assert heading == "Report: Pathology Synoptic report"
        assert "Ki-67 Labeling Index: 8 %" in app.locator("pre.report-text").inner_text()
    else:
        assert heading.startswith("Result: ")
        assert "Value" in app.locator(".resource-summary").inner_text()


def do_what_if(app, kind: str) -> None:
    if kind == "text-derived":
        app.get_by_label("Confirm (I checked the report)").first.check()
        app.get_by_label("or correct it to (cm)").fill("1.5")
    else:
        app.locator("form.whatif select").first.select_option(index=1)
    app.get_by_role("button", name="Recompute with these values").click()
    app.get_by_role("heading", name="What if — recomputed with values you entered").wait_for()
    entered = app.locator(".entered-list").inner_text()
    if kind == "text-derived":
        assert "confirmed by you in the app" in entered
        assert "Tumour greatest dimension: 1.5 cm" in entered
        assert "corrected by you in the app; the report text read 3.2 cm" in entered


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("kind", KINDS)
def test_each_page_for_each_kind_of_patient(browser, ehr, live, patients, kind, width):
    context, blocked, app = open_patient(browser, ehr, live, patients[kind], width)
    try:
        check_patient_page(app, kind)
        # a side panel gets the timeline as a vertical list; a laptop the drawing
        narrow = width == "420"
        assert app.locator("ol.vtimeline").is_visible() is narrow
        assert app.locator("svg.timeline").is_visible() is not narrow
        assert_no_sideways_scroll(app)
        screenshot(app, f"{kind}-{width}-1-patient")
        page_url = app.url

        if kind == "text-derived":  # the report, from the quote in the what-if form
            app.locator("fieldset.text-value a.source-link").first.click()
        else:
            row = app.locator("table.inputs tr", has_text="Tumour greatest dimension")
            row.locator("a").first.click()
        app.locator("details.json").wait_for()
        check_resource_view(app, kind)
        assert_no_sideways_scroll(app)
        screenshot(app, f"{kind}-{width}-2-resource")
        app.locator("details.json summary").click()
        assert app.locator("pre.resource").is_visible()
        assert '"resourceType"' in app.locator("pre.resource").inner_text()
        assert_no_sideways_scroll(app)

        app.goto(page_url)
        do_what_if(app, kind)
        assert_no_sideways_scroll(app)
        screenshot(app, f"{kind}-{width}-3-what-if")

        response = app.goto(f"{page_url}resource/Observation/not-in-this-record")
        assert response.status == 404
        assert app.locator(".error-page h1").inner_text() == "Not found in the EHR"
        assert app.locator(".error-quoted code").inner_text() == "Observation/not-in-this-record"
        assert_no_sideways_scroll(app)
        screenshot(app, f"{kind}-{width}-4-error")
        app.get_by_role("link", name="Back to the patient page").click()
        app.get_by_role("heading", name="Recurrence risk and surveillance").wait_for()
    finally:
        context.close()
    assert blocked == [], f"requests off the machine were attempted: {blocked}"
