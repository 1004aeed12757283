"""The SMART app's session cookies against session fixation (issue 11.8): a secret the server
makes at launch, replaced at the OAuth callback; `__Host-` and Secure over https; one cookie per
launch, so a value the browser held before launch never opens a signed-in page."""

from __future__ import annotations

from http.cookies import SimpleCookie

import pytest
import requests

from cds_service.smart.config import parse_smart_config
from cds_service.smart.sessions import SessionStore, new_launch_id, new_secret
from cds_service.smart.web import MAX_BROWSER_LAUNCHES, set_browser_cookie
from tests.smart_fixtures import build_app, live_app, load_case

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def patient(fhir_server) -> str:
    return load_case(fhir_server.base_url, "p04", "smartcookie")


@pytest.fixture(scope="module")
def live(ehr, tmp_path_factory):
    with live_app(tmp_path_factory.mktemp("smart-cookies"), ehr) as server:
        yield server


def _launch(agent: requests.Session, live, ehr, patient) -> requests.Response:
    """Launch → consent page, without deciding yet."""
    params = {"iss": ehr.iss, "launch": ehr.new_launch(patient)}
    page = agent.get(f"{live.url}/smart/launch", params=params, timeout=30)
    page.raise_for_status()
    return page


def _allow(agent: requests.Session, consent: requests.Response) -> requests.Response:
    page = agent.post(consent.url, data={"decision": "allow"}, timeout=30)
    assert page.status_code == 200, page.text[:1000]
    return page


def _app_cookies(agent: requests.Session) -> dict[str, str]:
    return {c.name: c.value for c in agent.cookies if c.name.startswith("pannet_smart")}


def _agent_with(cookies: dict[str, str]) -> requests.Session:
    agent = requests.Session()
    for name, value in cookies.items():
        agent.cookies.set(name, value, domain="127.0.0.1", path="/smart/")
    return agent


def test_a_cookie_planted_before_launch_opens_nothing(live, ehr, patient):
    planted = new_secret()
    victim = requests.Session()
    victim.cookies.set("pannet_smart", planted, domain="127.0.0.1", path="/smart/")
    page = _allow(victim, _launch(victim, live, ehr, patient))
    held = _app_cookies(victim)
    session_cookies = {n: v for n, v in held.items() if n != "pannet_smart"}
    assert session_cookies and planted not in session_cookies.values()
    # the attacker who planted the value, even knowing the page's URL and every cookie name
    attacker = _agent_with(dict.fromkeys(held, planted))
    assert attacker.get(page.url, timeout=30).status_code == 401
    assert victim.get(page.url, timeout=30).status_code == 200


def test_the_secret_is_replaced_at_the_callback(live, ehr, patient):
    agent = requests.Session()
    consent = _launch(agent, live, ehr, patient)
    at_launch = _app_cookies(agent)
    assert len(at_launch) == 1
    page = _allow(agent, consent)
    after = _app_cookies(agent)
    assert after.keys() == at_launch.keys() and after != at_launch
    # the secret that was in the browser during the sign-in no longer opens the session
    assert _agent_with(at_launch).get(page.url, timeout=30).status_code == 401
    assert _agent_with(after).get(page.url, timeout=30).status_code == 200


def test_two_launches_in_one_browser_keep_both_pages(live, ehr, patient):
    agent = requests.Session()
    first = _allow(agent, _launch(agent, live, ehr, patient))
    second = _allow(agent, _launch(agent, live, ehr, patient))
    assert first.url != second.url
    assert agent.get(first.url, timeout=30).status_code == 200
    assert agent.get(second.url, timeout=30).status_code == 200


def test_over_https_the_cookie_is_host_prefixed_and_secure(ehr, patient, tmp_path):
    app = build_app(tmp_path, ehr, base_url="https://cds.example.org")
    client = app.test_client()
    response = client.get(
        "/smart/launch",
        query_string={"iss": ehr.iss, "launch": ehr.new_launch(patient)},
        base_url="https://cds.example.org",
    )
    assert response.status_code == 302
    header = response.headers["Set-Cookie"]
    name = header.split("=", 1)[0]
    assert name.startswith("__Host-pannet_smart_")
    attributes = [part.strip().lower() for part in header.split(";")]
    assert "secure" in attributes and "httponly" in attributes and "path=/" in attributes
    assert not any(a.startswith("domain=") for a in attributes)


@pytest.mark.parametrize("https", [False, True])
def test_a_framed_app_keeps_its_partitioned_cross_site_cookie(https):
    from flask import Response

    config = parse_smart_config("{}", "'self' https://ehr.example.org")
    response = Response()
    set_browser_cookie(response, new_launch_id(), new_secret(), config, https=https, max_age=60)
    header = response.headers["Set-Cookie"]
    assert "Partitioned" in header and "SameSite=None" in header and "Secure" in header
    assert header.startswith("__Host-") is https


def test_old_launch_cookies_are_dropped_beyond_the_limit(live, ehr, patient):
    agent = requests.Session()
    for _ in range(MAX_BROWSER_LAUNCHES + 3):
        _launch(agent, live, ehr, patient)
    assert len(_app_cookies(agent)) == MAX_BROWSER_LAUNCHES


def test_cookies_of_ended_launches_are_dropped(live, ehr, patient):
    agent = requests.Session()
    gone = new_launch_id()
    agent.cookies.set(f"pannet_smart_{gone}", new_secret(), domain="127.0.0.1", path="/smart/")
    response = agent.get(
        f"{live.url}/smart/launch",
        params={"iss": ehr.iss, "launch": ehr.new_launch(patient)},
        allow_redirects=False,
        timeout=30,
    )
    dropped = SimpleCookie()
    for value in response.raw.headers.getlist("Set-Cookie"):
        dropped.load(value)
    assert dropped[f"pannet_smart_{gone}"]["max-age"] == "0"


def test_expiry_of_reports_only_stored_launches(tmp_path):
    from cds_service.db import create_schema, make_engine
    from tests.test_smart_units import session

    engine = make_engine(f"sqlite:///{tmp_path / 's.sqlite3'}")
    create_schema(engine)
    store = SessionStore(engine)
    kept = new_launch_id()
    store.create(kept, new_secret(), session())
    assert set(store.expiry_of([kept, new_launch_id(), "not a token"])) == {kept}
