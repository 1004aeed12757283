"""How the SMART app reads the record (issue 12): every search value percent-encoded as it
reaches the EHR (a proxy collapsing `//` in the query cannot break the token searches), and
data a failed search did not deliver named as "could not be read from the EHR", never listed
as simply missing."""

from __future__ import annotations

import re

import pytest

from cds_service.hooks.fhir_queries import encoded_search
from tests.smart_fixtures import live_app, load_case, walk_launch

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def patient(fhir_server) -> str:
    return load_case(fhir_server.base_url, "p04", "smartread")


@pytest.fixture(scope="module")
def live(ehr, tmp_path_factory):
    with live_app(tmp_path_factory.mktemp("smart-read"), ehr) as server:
        yield server


@pytest.fixture
def requests_log(ehr):
    ehr.requests.queries.clear()
    yield ehr.requests
    ehr.requests.failing.clear()


def test_every_search_value_reaches_the_ehr_percent_encoded(live, ehr, patient, requests_log):
    _, page = walk_launch(live.url, ehr, ehr.new_launch(patient))
    assert page.status_code == 200
    searches = [q for q in requests_log.queries if "?" in q]
    assert {q.split("?")[0] for q in searches} >= {"Observation", "Condition", "Procedure"}
    for query in searches:
        assert "://" not in query and "|" not in query, query
    observation = next(q for q in searches if q.startswith("Observation?"))
    assert "code=http%3A%2F%2Floinc.org%7C" in observation
    assert ",http%3A%2F%2Floinc.org%7C29593-1" in observation  # Ki-67
    assert f"patient={patient}" in observation


@pytest.mark.parametrize(
    ("query", "sent"),
    [
        (
            "Observation?patient=p1&code=http://loinc.org|29593-1,http://loinc.org|21894-1",
            "Observation?patient=p1&code=http%3A%2F%2Floinc.org%7C29593-1,"
            "http%3A%2F%2Floinc.org%7C21894-1",
        ),
        ("Condition?patient=a b&_count=100", "Condition?patient=a%20b&_count=100"),
        ("Observation?code:text=Ki 67%", "Observation?code:text=Ki%2067%25"),
    ],
)
def test_encoded_search(query, sent):
    assert encoded_search(query) == sent
    assert encoded_search(sent) == sent  # already encoded: unchanged


def test_a_failed_search_is_could_not_be_read_not_missing(live, ehr, patient, requests_log):
    requests_log.failing.add("Observation")
    _, page = walk_launch(live.url, ehr, ehr.new_launch(patient))
    assert page.status_code == 200, page.text[:1000]
    text = " ".join(re.sub(r"<[^>]+>", " ", page.text).split())
    assert (
        "Part of the record could not be read from the EHR: "
        "pathology and laboratory results (Observation): HTTP 500"
    ) in text
    missing = text.split("Missing, or could not be read from the EHR", 1)[1].split("Surveillance")[
        0
    ]
    assert missing.startswith(" Not found in what could be read; they may be recorded in what")
    assert "Ki-67 index" in missing
    assert "Missing data" not in text
    assert "not determined" in text  # no tier from what could be read
    inputs = text.split("Unknown here, but possibly recorded in what could not be read", 1)[1]
    named = inputs.split(".", 1)[0]
    assert "Ki-67 index (%)" in named and "Tumour greatest dimension (cm)" in named
    assert "Resection" not in named and "Sex" not in named  # read, from what could be read


def test_without_a_failure_missing_data_is_plain(live, ehr, patient, requests_log):
    _, page = walk_launch(live.url, ehr, ehr.new_launch(patient))
    assert "Missing data" in page.text and "could not be read from the EHR" not in page.text
