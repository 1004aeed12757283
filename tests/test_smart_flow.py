"""The SMART app end to end over HTTP (no browser): EHR and standalone launch against a real
OAuth 2 authorization server and a real FHIR server, the page, what if, ordering, and every
failure page."""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from cds_service.smart.placing import place_orders
from tests.smart_fixtures import (
    CLIENT_SECRET,
    CONFIDENTIAL_CLIENT,
    PUBLIC_CLIENT,
    live_app,
    load_case,
    walk_launch,
)
from tests.support.fhir_load import search_all
from tests.support.loopback import free_loopback_port

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def patient(fhir_server) -> str:
    return load_case(fhir_server.base_url, "p04", "smartflow")


@pytest.fixture(scope="module")
def other_patient(fhir_server) -> str:
    return load_case(fhir_server.base_url, "p01", "smartflow")


@pytest.fixture(scope="module")
def live(ehr, tmp_path_factory):
    with live_app(tmp_path_factory.mktemp("smart-flow"), ehr) as server:
        yield server


def launched(live, ehr, patient, **launch_kw):
    agent, page = walk_launch(live.url, ehr, ehr.new_launch(patient, **launch_kw))
    assert page.status_code == 200, page.text[:2000]
    return agent, page


def csrf_of(page) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


def test_ehr_launch_uses_pkce_s256_state_and_aud(live, ehr, patient):
    agent = requests.Session()
    launch = ehr.new_launch(patient)
    first = agent.get(
        f"{live.url}/smart/launch",
        params={"iss": ehr.iss, "launch": launch},
        allow_redirects=False,
        timeout=30,
    )
    assert first.status_code == 302
    query = parse_qs(urlsplit(first.headers["Location"]).query)
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43
    assert query["aud"] == [ehr.iss] and query["launch"] == [launch]
    assert query["client_id"] == [PUBLIC_CLIENT]
    scopes = query["scope"][0].split()
    assert {
        "launch",
        "openid",
        "fhirUser",
        "patient/Observation.rs",
        "patient/ServiceRequest.c",
    } <= set(scopes)
    assert len(query["state"][0]) > 40
    cookie = first.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_page_shows_tiers_scores_sources_missing_timeline_and_citations(live, ehr, patient):
    _, page = launched(live, ehr, patient)
    text = page.text
    assert "not determined" in text and "Possible tiers" in text
    for title in ("Recurrence Risk Score", "Ventin", "Liver Metastasis"):
        assert title.lower() in text.lower()
    assert f"Patient/{patient}" in text  # the source of the sex factor
    assert re.search(r'href="/smart/p/[^"]+/resource/Observation/smartflow-f5d8efa2', text)
    assert "<li>Ki-67 index</li>" in text  # missing data, named without its LOINC code
    assert "LOINC" not in text
    assert 'class="timeline"' in text and "exam-overdue" in text
    assert "doi.org/10.1001/jamaoncol.2018.2428" in text
    assert "born 1966-05-17" in text  # patient banner
    assert page.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'self'" in page.headers["Content-Security-Policy"]
    last = ehr.state.token_requests[-1]
    assert last["code_verifier"] and last["basic_auth"] == "False"  # a public client


def test_page_words_status_and_searches_for_a_clinician(live, ehr, patient):
    # p04: Zaidi partial, Ventin and Zheng factors-only; two citations are PubMed searches.
    _, page = launched(live, ehr, patient)
    text = re.sub(r"<[^>]+>", "", page.text)
    assert "factors-only" not in text and "partial, published" not in text
    assert "Factors present: 2 of 4, 1 unknown" in " ".join(text.split())
    assert "no points or tier without site-configured weights" in text
    assert text.count("a PubMed search: no DOI or PMID is confirmed for this article") == 4


def test_need_patient_banner_false_hides_the_banner(live, ehr, patient):
    _, page = launched(live, ehr, patient, need_patient_banner=False)
    assert "born 1966-05-17" not in page.text and 'class="banner"' not in page.text


def test_what_if_recomputes_and_marks_entered_values(live, ehr, patient):
    agent, page = launched(live, ehr, patient)
    url = page.url.rstrip("/") + "/what-if"
    result = agent.post(
        url, data={"csrf": csrf_of(page), "ki67_percent": "15", "symptomatic": "no"}, timeout=30
    )
    assert result.status_code == 200, result.text[:1000]
    record, hypothetical = result.text.split('id="h-hypo"', 1)
    assert "not determined" in record
    assert "tier-intermediate" in hypothetical.split('id="h-hypo-scores"')[0]
    assert "entered in app — not from the record" in hypothetical
    assert "Nothing was written to the record" in result.text


def test_what_if_refuses_values_the_record_has_and_bad_numbers(live, ehr, patient):
    agent, page = launched(live, ehr, patient)
    url = page.url.rstrip("/") + "/what-if"
    recorded = agent.post(url, data={"csrf": csrf_of(page), "tumor_size_cm": "1.0"}, timeout=30)
    assert recorded.status_code == 400 and "already has a value" in recorded.text
    bad = agent.post(url, data={"csrf": csrf_of(page), "ki67_percent": "140"}, timeout=30)
    assert bad.status_code == 400 and "Ki-67 index" in bad.text


def test_forms_need_the_session_csrf_token(live, ehr, patient):
    agent, page = launched(live, ehr, patient)
    forged = agent.post(page.url.rstrip("/") + "/what-if", data={"ki67_percent": "15"}, timeout=30)
    assert forged.status_code == 401


def test_another_browser_cannot_open_the_page(live, ehr, patient):
    _, page = launched(live, ehr, patient)
    stranger = requests.get(page.url, timeout=30)
    assert stranger.status_code == 401 and "not valid" in stranger.text


def test_order_review_place_once_and_created_on_the_fhir_server(live, ehr, patient, fhir_server):
    agent, page = launched(live, ehr, patient)
    base = page.url.rstrip("/")
    review = agent.post(
        f"{base}/orders/review", data={"csrf": csrf_of(page), "modality": "ct"}, timeout=30
    )
    assert review.status_code == 200 and "79103-8" in review.text
    # The reason is named, its id behind a source link, not shown as "Condition/<id>".
    reason = re.search(r"<dt>Reason</dt><dd>(.*?)</dd>", review.text).group(1)
    assert reason.startswith("the neuroendocrine tumour diagnosis on record")
    assert f">Condition/{patient}" not in reason and 'class="source-link"' in reason
    ticket = re.search(r'name="ticket" value="([^"]+)"', review.text).group(1)
    before = search_all(fhir_server.base_url, f"ServiceRequest?patient={patient}")
    placed = agent.post(
        f"{base}/orders/place", data={"csrf": csrf_of(page), "ticket": ticket}, timeout=30
    )
    assert placed.status_code == 200, placed.text[:1000]
    refs = re.findall(r"ServiceRequest/([A-Za-z0-9\-.]+)</a>", placed.text)
    assert len(refs) == 1
    after = search_all(fhir_server.base_url, f"ServiceRequest?patient={patient}")
    assert len(after) == len(before) + 1
    created = next(r for r in after if r["id"] == refs[0])
    assert created["status"] == "draft" and created["code"]["coding"][0]["code"] == "79103-8"
    again = agent.post(
        f"{base}/orders/place", data={"csrf": csrf_of(page), "ticket": ticket}, timeout=30
    )
    assert "already placed" in again.text
    assert len(search_all(fhir_server.base_url, f"ServiceRequest?patient={patient}")) == len(after)


def test_resource_links_show_only_this_patients_resources(live, ehr, patient, other_patient):
    agent, page = launched(live, ehr, patient)
    base = page.url.rstrip("/")
    own = agent.get(
        f"{base}/resource/Procedure/{patient.replace('p04', 'p04-surgery')}", timeout=30
    )
    assert own.status_code == 200 and "Pancreatectomy" in own.text
    other = agent.get(f"{base}/resource/Patient/{other_patient}", timeout=30)
    assert other.status_code == 403


def test_denied_consent_page(live, ehr, patient):
    _, page = walk_launch(live.url, ehr, ehr.new_launch(patient), decision="deny")
    assert page.status_code == 403 and "Access was not granted" in page.text


def test_launch_without_iss_page(live):
    page = requests.get(f"{live.url}/smart/launch", params={"launch": "x"}, timeout=30)
    assert page.status_code == 400 and "Not launched from an EHR" in page.text


def test_unknown_iss_page(live):
    page = requests.get(
        f"{live.url}/smart/launch",
        params={"iss": "http://127.0.0.1:9/fhir", "launch": "x"},
        timeout=30,
    )
    assert page.status_code == 403 and "not connected" in page.text
    assert "<code>http://127.0.0.1:9/fhir</code>" in page.text


def test_unknown_iss_is_shown_as_code_and_cut_never_as_prose(live):
    injected = (
        "https://ehr.example.org/fhir Your account is locked. Call the help desk on"
        " +1 555 0100 and read them your password. " + "x" * 300
    )
    page = requests.get(f"{live.url}/smart/launch", params={"iss": injected}, timeout=30)
    assert page.status_code == 403
    message = re.search(r'<p class="error-message">(.*?)</p>', page.text, re.S).group(1)
    assert "help desk" not in message and "ehr.example.org" not in message
    quoted = re.search(r"<code>(.*?)</code>", page.text, re.S).group(1)
    assert quoted.startswith("https://ehr.example.org/fhir Your account")
    assert len(quoted) <= 100 and quoted.endswith("…")
    assert "x" * 100 not in page.text


def test_forged_state_page(live, ehr, patient):
    agent, _ = launched(live, ehr, patient)
    page = agent.get(
        f"{live.url}/smart/callback", params={"code": "x", "state": "abc.def"}, timeout=30
    )
    assert page.status_code == 401


def test_expired_token_page(live, ehr, patient):
    agent, page = launched(live, ehr, patient)
    ehr.expire_tokens()
    again = agent.get(page.url, timeout=30)
    assert again.status_code == 401 and "Your session has expired" in again.text


def test_fhir_server_down_page(live, ehr, patient):
    agent, page = launched(live, ehr, patient)
    previous = ehr.set_upstream(f"http://127.0.0.1:{free_loopback_port()}/fhir")
    try:
        again = agent.get(page.url, timeout=30)
    finally:
        ehr.set_upstream(previous)
    assert again.status_code == 502 and "The FHIR server did not answer" in again.text


def test_card_for_another_patient_is_refused(live, ehr, patient):
    context = '{"patientId":"someone-else","card":"c1"}'
    _, page = walk_launch(live.url, ehr, ehr.new_launch(patient, app_context=context))
    assert page.status_code == 502 and "another patient" in page.text


def test_standalone_launch_with_a_confidential_client(ehr, patient, tmp_path):
    issuers = {ehr.iss: {"client_id": CONFIDENTIAL_CLIENT, "client_secret": CLIENT_SECRET}}
    with live_app(
        tmp_path, ehr, client=CONFIDENTIAL_CLIENT, secret=CLIENT_SECRET, issuers=issuers
    ) as server:
        ehr.state.standalone_patient = patient
        _, page = walk_launch(server.url, ehr, None)
    assert page.status_code == 200, page.text[:1000]
    assert "Recurrence risk and surveillance" in page.text
    token_request = ehr.state.token_requests[-1]
    assert token_request["code_verifier"] and token_request["basic_auth"] == "True"
    assert "client_secret" not in token_request  # client_secret_basic, not in the body


def test_placing_reports_what_was_created_and_the_servers_error(live, ehr, patient, other_patient):
    launched(live, ehr, patient)
    token = next(t for t, info in reversed(ehr.state.tokens.items()) if info.patient == patient)
    draft = {
        "resourceType": "ServiceRequest",
        "status": "draft",
        "intent": "order",
        "code": {"text": "Test order"},
        "subject": {"reference": f"Patient/{patient}"},
    }
    foreign = {**draft, "subject": {"reference": f"Patient/{other_patient}"}}
    ok, refused = place_orders(ehr.iss, token, [draft, foreign], requests.Session())
    assert ok.error is None and ok.reference.startswith("ServiceRequest/")
    assert refused.reference is None
    assert refused.error.startswith("HTTP 403: error: a patient-scoped token may only create")


def test_tokens_and_verifiers_never_reach_the_logs(live, ehr, patient, caplog):
    with caplog.at_level(logging.DEBUG):
        agent, page = launched(live, ehr, patient)
        agent.get(page.url, timeout=30)
    token = next(t for t, info in reversed(ehr.state.tokens.items()) if info.patient == patient)
    verifier = ehr.state.token_requests[-1]["code_verifier"]
    # the test EHR's own Authlib server logs what it issues; the app's side must not
    ours = [r.getMessage() for r in caplog.records if not r.name.startswith("authlib")]
    assert ours, "expected some log records from the app's side"
    assert not [m for m in ours if token in m or verifier in m]


def test_the_test_ehr_enforces_pkce_s256(live, ehr, patient):
    params = {
        "response_type": "code",
        "client_id": PUBLIC_CLIENT,
        "redirect_uri": f"{live.url}/smart/callback",
        "scope": "launch patient/Patient.rs",
        "state": "s" * 20,
        "aud": ehr.iss,
        "launch": ehr.new_launch(patient),
    }
    plain = requests.get(f"{ehr.root}/auth/authorize", params=params, timeout=30)
    assert plain.status_code == 400 and "S256" in plain.text
    weak = {**params, "code_challenge": "x" * 43, "code_challenge_method": "plain"}
    assert requests.get(f"{ehr.root}/auth/authorize", params=weak, timeout=30).status_code == 400
