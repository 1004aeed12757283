"""Who is signed in (issue 12): the app asks for `openid fhirUser`, verifies the EHR's id_token
(signature by the EHR's JWKS, issuer, audience = our client id, expiry) and shows the user; a
token that does not verify ends the launch. With `need_patient_banner: false` the page still
names the patient."""

from __future__ import annotations

import re

import pytest

from cds_service.demo.ehr_openid import USER_NAME
from tests.smart_fixtures import PUBLIC_CLIENT, live_app, load_case, walk_launch
from tests.support.oauth_server import USER

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def patient(fhir_server) -> str:
    return load_case(fhir_server.base_url, "p04", "smartid")


@pytest.fixture(scope="module")
def live(ehr, tmp_path_factory):
    with live_app(tmp_path_factory.mktemp("smart-identity"), ehr) as server:
        yield server


@pytest.fixture
def openid(ehr):
    yield ehr.openid
    ehr.openid.mode = "valid"
    ehr.openid.jwks_in_smart_configuration = True
    ehr.openid.user_reference = USER
    ehr.openid.absolute_fhir_user = True


def session_line(page) -> str:
    match = re.search(r'<p class="session-line">(.*?)</p>', page.text, re.S)
    assert match, page.text[:2000]
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def test_the_verified_user_is_shown(live, ehr, patient, openid):
    _, page = walk_launch(live.url, ehr, ehr.new_launch(patient))
    assert page.status_code == 200, page.text[:1000]
    assert session_line(page) == f"Signed in: {USER_NAME} ({openid.fhir_user})"
    assert openid.issued[-1]["aud"] == PUBLIC_CLIENT
    assert len(openid.issued[-1]["nonce"]) >= 32  # the app's nonce, echoed


def test_a_token_without_kid_is_checked_against_each_published_key(live, ehr, patient, openid):
    openid.mode = "no-kid"  # as the public SMART launcher signs its id_tokens
    _, page = walk_launch(live.url, ehr, ehr.new_launch(patient))
    assert page.status_code == 200, page.text[:1000]
    assert session_line(page).startswith(f"Signed in: {USER_NAME}")


def test_an_ehr_that_does_not_echo_the_nonce_is_accepted(live, ehr, patient, openid):
    openid.mode = "no-nonce"  # SMART does not require it
    _, page = walk_launch(live.url, ehr, ehr.new_launch(patient))
    assert page.status_code == 200
    assert "nonce" not in openid.issued[-1]
    assert session_line(page).startswith(f"Signed in: {USER_NAME}")


def test_keys_are_found_through_the_openid_configuration_too(live, ehr, patient, openid):
    openid.jwks_in_smart_configuration = False
    _, page = walk_launch(live.url, ehr, ehr.new_launch(patient))
    assert page.status_code == 200, page.text[:1000]
    assert f"Signed in: {USER_NAME}" in session_line(page)


@pytest.mark.parametrize(
    "mode", ["wrong-audience", "wrong-issuer", "foreign-key", "expired", "wrong-nonce"]
)
def test_an_id_token_that_does_not_verify_ends_the_launch(live, ehr, patient, openid, mode):
    openid.mode = mode
    _, page = walk_launch(live.url, ehr, ehr.new_launch(patient))
    assert page.status_code == 502
    assert "Sign-in with the EHR failed" in page.text
    assert "identity token" in page.text
    assert "Recurrence risk and surveillance" not in page.text


def test_without_an_id_token_the_page_says_the_user_is_not_known(live, ehr, patient, openid):
    openid.mode = "absent"
    _, page = walk_launch(live.url, ehr, ehr.new_launch(patient))
    assert page.status_code == 200
    assert session_line(page) == "The EHR did not say who is signed in"


def test_without_a_name_the_fhir_user_is_shown(live, ehr, patient, openid):
    openid.mode = "no-name"  # and the patient-scoped token may not read the Practitioner
    _, page = walk_launch(live.url, ehr, ehr.new_launch(patient))
    assert page.status_code == 200
    assert session_line(page) == f"Signed in: {openid.fhir_user}"


@pytest.mark.parametrize("absolute", [True, False])
def test_without_a_name_in_the_token_the_users_resource_names_them(
    live, ehr, patient, openid, absolute
):
    # a patient using the app: fhirUser is the Patient, which the patient-scoped token may read
    openid.mode = "no-name"
    openid.user_reference = f"Patient/{patient}"
    openid.absolute_fhir_user = absolute
    _, page = walk_launch(live.url, ehr, ehr.new_launch(patient))
    assert page.status_code == 200
    assert session_line(page).endswith(f"Signed in: p04 Test ({openid.fhir_user})")


def test_without_the_banner_the_patient_is_still_named(live, ehr, patient, openid):
    _, page = walk_launch(live.url, ehr, ehr.new_launch(patient, need_patient_banner=False))
    assert page.status_code == 200
    assert 'class="banner"' not in page.text
    assert session_line(page).startswith("Patient: p04 Test Signed in:")
    _, with_banner = walk_launch(live.url, ehr, ehr.new_launch(patient))
    assert "Patient:" not in session_line(with_banner)  # the banner names the patient
