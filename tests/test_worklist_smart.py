"""The SMART app's worklist over HTTP (no browser), against the test EHR (real OAuth 2 server, a
token-checking FHIR proxy) and the real FHIR server: a practitioner launch (EHR menu or on its
own) lands on the latest stored worklist; a row opens that patient's page with the
practitioner's token; no worklist yet says what to run; a patient launch cannot see the list."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import requests
from sqlalchemy import delete, update

from cds_service.db import make_engine
from cds_service.smart.web import MAX_BROWSER_LAUNCHES
from cds_service.worklist.store import save_worklist, worklist_runs
from tests.smart_fixtures import live_app, load_case, walk_launch
from tests.worklist_samples import sample_rows, sample_worklist

pytestmark = pytest.mark.e2e
_WORKLIST_URL = re.compile(r"/smart/w/([A-Za-z0-9_-]{32})/$")


@pytest.fixture(scope="module")
def patients(fhir_server) -> dict[str, str]:
    """Two real patients on the FHIR server: the worklist's overdue and due rows."""
    return {
        "overdue": load_case(fhir_server.base_url, "p04", "wlsmart"),
        "due": load_case(fhir_server.base_url, "p01", "wlsmart"),
    }


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("worklist-smart")


@pytest.fixture(scope="module")
def live(ehr, workdir):
    with live_app(workdir, ehr) as server:
        yield server


@pytest.fixture
def app_db(workdir, live):
    """The app's own database (its SQLite file), emptied of worklists for each test."""
    app_db = make_engine(f"sqlite:///{workdir / 'cds.sqlite3'}")
    with app_db.begin() as connection:
        connection.execute(delete(worklist_runs))
    yield app_db
    app_db.dispose()


def clinic_worklist(iss: str, patients: dict[str, str], **kw):
    rows = sample_rows("wlsmart")
    real = [
        rows[0].model_copy(update={"patient_id": patients["overdue"], "name": "p04 Test"}),
        rows[1].model_copy(update={"patient_id": patients["due"]}),  # the hostile name
    ]
    return sample_worklist(iss, rows=real + rows[2:], **kw)


def practitioner_launch(
    app_url: str, ehr, *, from_menu: bool = True
) -> tuple[requests.Session, requests.Response, str]:
    """The practitioner launch: from the EHR's menu (a launch with no patient) or on its own;
    returns the user agent, the worklist page and the consent page's text (the scopes asked)."""
    agent = requests.Session()
    params = {"iss": ehr.iss}
    if from_menu:
        params["launch"] = ehr.new_launch(None)
    consent = agent.get(f"{app_url}/smart/worklist/launch", params=params, timeout=30)
    consent.raise_for_status()
    page = agent.post(consent.url, data={"decision": "allow"}, timeout=30)
    return agent, page, consent.text


def test_a_practitioner_launch_from_the_ehr_menu_shows_the_ranked_worklist(
    live, ehr, app_db, patients
):
    save_worklist(app_db, clinic_worklist(ehr.iss, patients))
    _, page, consent = practitioner_launch(live.url, ehr)
    assert page.status_code == 200, page.text[:2000]
    assert _WORKLIST_URL.search(page.url)
    assert "user/Patient.rs" in consent and "user/Observation.rs" in consent
    assert "launch/patient" not in consent and "patient/" not in consent
    ranked = re.findall(r'<tr class="wl-row-([a-z-]+)" data-rank="(\d)"', page.text)
    assert ranked == [
        ("overdue", "0"),
        ("due", "1"),
        ("undetermined", "2"),
        ("recurrence", "3"),
        ("out-of-scope", "4"),
    ]
    assert "Overdue by 1 year 1 month" in page.text and "missing data: Ki-67 index" in page.text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page.text
    assert "<script>alert" not in page.text
    assert "Signed in: Dr Ada Test-Clinician" in page.text
    assert "/smart/worklist/assets/worklist.js" in page.text
    assert "/smart/worklist/assets/worklist.css" in page.text


def test_the_standalone_practitioner_launch_reaches_the_worklist_too(live, ehr, app_db, patients):
    save_worklist(app_db, clinic_worklist(ehr.iss, patients))
    _, page, consent = practitioner_launch(live.url, ehr, from_menu=False)
    assert page.status_code == 200, page.text[:2000]
    assert _WORKLIST_URL.search(page.url) and "launch " not in f"{consent} "
    assert "Patients, most urgent first" in page.text


def test_a_row_opens_that_patients_page_with_the_practitioners_token(live, ehr, app_db, patients):
    save_worklist(app_db, clinic_worklist(ehr.iss, patients))
    agent, page, _ = practitioner_launch(live.url, ehr)
    links = re.findall(r'<a class="wl-pname" href="([^"]+)">', page.text)
    assert len(links) == 5
    opened = agent.get(f"{live.url}{links[0]}", timeout=30)
    assert opened.status_code == 200, opened.text[:2000]
    assert re.search(r"/smart/p/[A-Za-z0-9_-]{32}/$", opened.url)
    assert '<strong class="banner-name">p04 Test</strong>' in opened.text
    assert "Recurrence risk and surveillance" in opened.text
    # the second patient in another launch: the first one's page still shows the first patient
    second = agent.get(f"{live.url}{links[1]}", timeout=30)
    assert '<strong class="banner-name">p01 Test</strong>' in second.text
    again = agent.get(opened.url, timeout=30)
    assert '<strong class="banner-name">p04 Test</strong>' in again.text
    # the "where from" view reads a resource of that patient with the same token
    source = re.search(r'href="(/smart/p/[^"]+/resource/[A-Za-z]+/[^"]+)"', opened.text)
    shown = agent.get(f"{live.url}{source.group(1)}", timeout=30)
    assert shown.status_code == 200 and patients["overdue"] in shown.text
    # and the worklist itself is still there
    assert agent.get(page.url, timeout=30).status_code == 200


def test_opening_many_patients_never_loses_the_worklists_own_session(live, ehr, app_db, patients):
    save_worklist(app_db, clinic_worklist(ehr.iss, patients))
    agent, page, _ = practitioner_launch(live.url, ehr)
    link = re.search(r'<a class="wl-pname" href="([^"]+)">', page.text).group(1)
    for _ in range(MAX_BROWSER_LAUNCHES + 2):
        assert agent.get(f"{live.url}{link}", timeout=30).status_code == 200
    assert agent.get(page.url, timeout=30).status_code == 200
    assert len(agent.cookies) <= MAX_BROWSER_LAUNCHES


def test_without_a_stored_worklist_the_page_says_what_to_run(live, ehr, app_db):
    _, page, _ = practitioner_launch(live.url, ehr)
    assert page.status_code == 200
    assert "No worklist has been produced yet" in page.text
    assert f"pannet-cds worklist --fhir-server {ehr.iss}" in page.text
    assert "<table" not in page.text


def test_a_worklist_of_another_server_is_not_shown(live, ehr, app_db, patients):
    save_worklist(app_db, clinic_worklist("http://other-ehr.example/fhir", patients))
    _, page, _ = practitioner_launch(live.url, ehr)
    assert "No worklist has been produced yet" in page.text


def test_an_old_worklist_is_flagged_as_old(live, ehr, app_db, patients):
    produced = (datetime.now(UTC) - timedelta(days=10)).isoformat(timespec="seconds")
    save_worklist(app_db, clinic_worklist(ehr.iss, patients, generated_at=produced))
    _, page, _ = practitioner_launch(live.url, ehr)
    assert "(10 days ago)" in page.text
    assert "This worklist is 10 days old" in page.text


def test_a_patient_launch_cannot_open_the_worklist(live, ehr, app_db, patients):
    save_worklist(app_db, clinic_worklist(ehr.iss, patients))
    agent, page = walk_launch(live.url, ehr, ehr.new_launch(patients["overdue"]))
    lid = re.search(r"/smart/p/([A-Za-z0-9_-]{32})/$", page.url).group(1)
    refused = agent.get(f"{live.url}/smart/w/{lid}/", timeout=30)
    assert refused.status_code == 403
    assert "The worklist needs a practitioner launch" in refused.text
    opened = agent.get(f"{live.url}/smart/w/{lid}/patient/{patients['due']}", timeout=30)
    assert opened.status_code == 403


def test_a_worklist_page_without_the_session_cookie_is_refused(live, ehr, app_db):
    _, page, _ = practitioner_launch(live.url, ehr)
    stranger = requests.get(page.url, timeout=30)
    assert stranger.status_code == 401 and "This app session is not valid" in stranger.text


def test_a_patient_id_that_is_not_one_is_refused(live, ehr, app_db):
    agent, page, _ = practitioner_launch(live.url, ehr)
    refused = agent.get(f"{page.url}patient/{'x' * 65}", timeout=30)
    assert refused.status_code == 400 and "That is not a FHIR patient id." in refused.text


def test_the_assets_are_served_and_nothing_else(live):
    css = requests.get(f"{live.url}/smart/worklist/assets/worklist.css", timeout=30)
    js = requests.get(f"{live.url}/smart/worklist/assets/worklist.js", timeout=30)
    assert css.status_code == 200 and css.headers["Content-Type"].startswith("text/css")
    assert js.status_code == 200 and "sortBy" in js.text
    for name in ("page.css", "..%2Fstore.py", "models.py"):
        assert (
            requests.get(f"{live.url}/smart/worklist/assets/{name}", timeout=30).status_code == 404
        )


def test_the_start_page_offers_the_worklist_sign_in(live, ehr, app_db, patients):
    save_worklist(app_db, clinic_worklist(ehr.iss, patients))
    agent = requests.Session()
    start = agent.get(f"{live.url}/smart/", timeout=30)
    link = re.search(r'<a href="(/smart/worklist/launch\?iss=[^"]+)">Worklist of ', start.text)
    consent = agent.get(f"{live.url}{link.group(1)}", timeout=30)
    page = agent.post(consent.url, data={"decision": "allow"}, timeout=30)
    assert _WORKLIST_URL.search(page.url) and "Overdue by 1 year 1 month" in page.text


def test_a_stored_worklist_this_version_cannot_read_is_an_error_page(live, ehr, app_db, patients):
    save_worklist(app_db, clinic_worklist(ehr.iss, patients))
    with app_db.begin() as connection:
        connection.execute(update(worklist_runs).values(document='{"format_version": 99}'))
    _, page, _ = practitioner_launch(live.url, ehr)
    assert page.status_code == 503
    assert "The worklist could not be read" in page.text
    assert "produce a new one with <code>" not in page.text  # plain text, escaped
    assert "produce a new one with `pannet-cds worklist`" in page.text
    assert "Traceback" not in page.text
