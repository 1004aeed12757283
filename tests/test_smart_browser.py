"""The SMART app in a real browser (Playwright + Debian's Chromium): launched from an EHR page
that frames it cross-site, consent, the page, what if, ordering, keyboard use and the failure
pages. Screenshots of each state go to $PANNET_CDS_SCREENSHOTS (tests/support/browser.py)."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from cds_service.demo.ehr_openid import USER_NAME
from tests.smart_fixtures import live_app, load_case
from tests.support.browser import block_non_loopback, screenshot
from tests.support.fhir_load import search_all
from tests.support.loopback import free_loopback_port

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def patient(fhir_server) -> str:
    return load_case(fhir_server.base_url, "p04", "smartui")


@pytest.fixture(scope="module")
def live(ehr, tmp_path_factory):
    # the EHR page is on localhost, the app on 127.0.0.1: a cross-site frame, as in production
    frame_ancestors = f"'self' http://localhost:{ehr.port}"
    workdir = tmp_path_factory.mktemp("smart-ui")
    with live_app(workdir, ehr, smart_frame_ancestors=frame_ancestors) as server:
        yield server


def open_in_ehr(context, ehr, live, patient, **launch_kw):
    page = context.new_page()
    launch = ehr.new_launch(patient, **launch_kw)
    page.goto(ehr.ehr_page_url(launch, f"{live.url}/smart/launch"))
    frame = page.frame_locator("#app")
    frame.get_by_role("button", name="Allow").click()
    frame.get_by_role("heading", name="Recurrence risk and surveillance").wait_for()
    return page, frame


def test_framed_launch_page_what_if_and_order(context, ehr, live, patient, fhir_server):
    page, frame = open_in_ehr(
        context, ehr, live, patient, app_context='{"patientId":"x"}'.replace("x", patient)
    )
    assert frame.locator(".banner-name").inner_text() == "p04 Test"
    assert "not determined" in frame.locator(".summary").inner_text()
    assert frame.locator("circle.exam-overdue").count() == 1
    screenshot(page, "01-ehr-frame-patient-page")

    frame.get_by_label("Ki-67 index (%)").fill("15")
    frame.get_by_label(
        "Symptomatic at presentation (jaundice, abdominal pain, GI bleeding)"
    ).select_option("no")
    frame.get_by_role("button", name="Recompute with these values").click()
    frame.get_by_role("heading", name="What if — recomputed with values you entered").wait_for()
    assert "intermediate" in frame.locator(".whatif-result .overall").inner_text()
    assert (
        "not determined" in frame.locator("section[aria-labelledby=h-record] .overall").inner_text()
    )
    screenshot(page, "03-what-if")

    frame.get_by_role("link", name="Back to the record's assessment").click()
    frame.get_by_role("button", name="Review orders").click()
    frame.get_by_role("heading", name="Review draft orders (CT)").wait_for()
    screenshot(page, "04-order-review")
    before = len(search_all(fhir_server.base_url, f"ServiceRequest?patient={patient}"))
    frame.get_by_role("button", name="Place 1 draft order").click()
    frame.get_by_role("heading", name="Orders sent to the EHR").wait_for()
    created = frame.locator(".results li.ok a").inner_text()
    assert created.startswith("ServiceRequest/")
    screenshot(page, "05-orders-placed")
    after = search_all(fhir_server.base_url, f"ServiceRequest?patient={patient}")
    assert len(after) == before + 1
    assert any(f"ServiceRequest/{r['id']}" == created and r["status"] == "draft" for r in after)


def test_framed_without_banner_names_the_patient_and_the_signed_in_user(
    context, ehr, live, patient
):
    page, frame = open_in_ehr(context, ehr, live, patient, need_patient_banner=False)
    assert frame.locator(".banner").count() == 0
    assert frame.locator(".app-patient").inner_text() == "Patient: p04 Test"
    signed_in = frame.locator(".signed-in").inner_text()
    assert signed_in == f"Signed in: {USER_NAME} ({ehr.openid.fhir_user})"
    screenshot(page, "06-ehr-frame-no-banner-signed-in")


def test_framed_in_a_side_panel_nothing_scrolls_sideways(browser, ehr, live, patient):
    context = browser.new_context(viewport={"width": 420, "height": 800})
    context.set_default_timeout(15_000)
    blocked = block_non_loopback(context)
    try:
        page, frame = open_in_ehr(context, ehr, live, patient)
        # (an earlier test may have ordered the overdue exam; the missed ones stay missed)
        assert frame.locator("ol.vtimeline li.v-missed").count() >= 3
        app = next(f for f in page.frames if f.url.startswith(live.url))
        wide, inner = app.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert inner < 420 and wide <= inner, (wide, inner)
        screenshot(page, "08-ehr-side-panel-420")
    finally:
        context.close()
    assert blocked == []


def open_top_level(context, ehr, live, patient):
    """The app on its own (not framed): launch URL opened as a page of its own."""
    app = context.new_page()
    app.goto(f"{live.url}/smart/launch?iss={ehr.iss}&launch={ehr.new_launch(patient)}")
    app.get_by_role("button", name="Allow").click()
    app.get_by_role("heading", name="Recurrence risk and surveillance").wait_for()
    return app


def test_keyboard_reaches_and_submits_what_if(context, ehr, live, patient):
    app = open_top_level(context, ehr, live, patient)
    screenshot(app, "02-patient-page-on-its-own")
    app.keyboard.press("Tab")
    assert app.evaluate("document.activeElement.textContent") == "Skip to content"
    app.keyboard.press("Enter")
    assert app.evaluate("document.activeElement.id") == "main"
    for _ in range(150):
        app.keyboard.press("Tab")
        if app.evaluate("document.activeElement.id") == "wi-ki67_percent":
            break
    else:
        pytest.fail("the Ki-67 field cannot be reached with Tab")
    app.keyboard.type("25")
    app.keyboard.press("Enter")
    app.get_by_role("heading", name="What if — recomputed with values you entered").wait_for()
    assert "high" in app.locator(".whatif-result .overall").inner_text()


def test_denied_consent_page_in_the_frame(context, ehr, live, patient):
    page = context.new_page()
    page.goto(ehr.ehr_page_url(ehr.new_launch(patient), f"{live.url}/smart/launch"))
    frame = page.frame_locator("#app")
    frame.get_by_role("button", name="Deny").click()
    frame.get_by_role("heading", name="Access was not granted").wait_for()
    screenshot(page, "10-denied-consent")


@pytest.mark.parametrize(
    ("name", "query", "heading"),
    [
        ("11-launch-without-iss", "launch=abc", "Not launched from an EHR"),
        (
            "12-unknown-iss",
            "iss=http://127.0.0.1:9/fhir&launch=abc",
            "This EHR is not connected to the app",
        ),
    ],
)
def test_launch_failure_pages(context, live, name, query, heading):
    page = context.new_page()
    response = page.goto(f"{live.url}/smart/launch?{query}")
    assert response.status in (400, 403)
    page.get_by_role("heading", name=heading).wait_for()
    screenshot(page, name)


def test_an_unknown_iss_is_shown_as_code_not_as_text(context, live):
    page = context.new_page()
    injected = "https://ehr.example.org/fhir Call the help desk on 555 0100 now " + "x" * 200
    page.goto(f"{live.url}/smart/launch?iss={quote(injected)}")
    page.get_by_role("heading", name="This EHR is not connected to the app").wait_for()
    assert "help desk" not in page.locator(".error-message").inner_text()
    shown = page.locator(".error-quoted code").inner_text()
    assert shown.startswith("https://ehr.example.org/fhir Call") and len(shown) <= 100
    screenshot(page, "12b-unknown-iss-quoted")


def test_data_that_could_not_be_read_is_said_so(context, ehr, live, patient):
    ehr.requests.failing.add("Observation")
    try:
        app = open_top_level(context, ehr, live, patient)
    finally:
        ehr.requests.failing.clear()
    notice = app.get_by_role("alert").inner_text()
    assert "Part of the record could not be read from the EHR" in notice
    assert "pathology and laboratory results (Observation): HTTP 500" in notice
    app.get_by_role("heading", name="Missing, or could not be read from the EHR").wait_for()
    screenshot(app, "07-could-not-be-read")


def test_expired_token_and_fhir_down_pages(context, ehr, live, patient):
    app = open_top_level(context, ehr, live, patient)
    url = app.url
    previous = ehr.set_upstream(f"http://127.0.0.1:{free_loopback_port()}/fhir")
    try:
        assert app.goto(url).status == 502
    finally:
        ehr.set_upstream(previous)
    app.get_by_role("heading", name="The FHIR server did not answer").wait_for()
    screenshot(app, "13-fhir-server-down")
    ehr.expire_tokens()
    assert app.goto(url).status == 401
    app.get_by_role("heading", name="Your session has expired").wait_for()
    screenshot(app, "14-session-expired")
