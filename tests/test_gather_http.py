"""Gathering from a FHIR server: a small loopback server we control plays every fault.

The real FHIR server (sekmet-fhir) is exercised by the end-to-end tests; here each test
decides exactly what the server answers, including the answers a real server rarely gives.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import parse_qs

import pytest
import requests
from werkzeug.serving import make_server

from cds_service.hooks.errors import RequiredDataUnavailable
from cds_service.hooks.fhir_client import MAX_PAGES, MAX_RESOURCES_PER_KEY, FhirFetcher
from cds_service.hooks.gather import gather_resources, make_fetcher
from cds_service.hooks.request import parse_hook_request
from cds_service.hooks.services import service_definitions

SERVICE = service_definitions()["pannet-cds-patient-view"]
TOKEN = "secret-token-for-loopback-tests"
PATIENT = {"resourceType": "Patient", "id": "p1", "gender": "female"}
FHIR_JSON = "application/fhir+json"


@dataclass
class Reply:
    status: int = 200
    body: bytes | dict = field(default_factory=dict)
    content_type: str = FHIR_JSON
    headers: dict[str, str] = field(default_factory=dict)


def searchset(*resources, next_url=None):
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": r} for r in resources],
    }
    if next_url is not None:
        bundle["link"] = [{"relation": "next", "url": next_url}]
    return bundle


def observation(oid, patient="p1"):
    return {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "29593-1"}]},
        "subject": {"reference": f"Patient/{patient}"},
        "valueQuantity": {"value": 4, "unit": "%"},
    }


class FakeFhir:
    """A WSGI app answering `/fhir/...`; `routes` maps `Type` or `Type/id` to a handler."""

    def __init__(self) -> None:
        self.routes: dict[str, Callable[[dict[str, list[str]]], Reply]] = {}
        self.seen: list[dict[str, str]] = []
        self.release = threading.Event()
        self.base = ""
        self._lock = threading.Lock()

    def paths(self, prefix: str) -> list[dict[str, str]]:
        return [r for r in self.seen if r["path"].startswith(prefix)]

    def __call__(self, environ, start_response) -> Iterator[bytes]:
        path = environ["PATH_INFO"].removeprefix("/fhir/")
        query = parse_qs(environ.get("QUERY_STRING", ""))
        with self._lock:
            self.seen.append(
                {
                    "path": path,
                    "query": environ.get("QUERY_STRING", ""),
                    "auth": environ.get("HTTP_AUTHORIZATION", ""),
                    "accept": environ.get("HTTP_ACCEPT", ""),
                }
            )
        handler = self.routes.get(path) or self.routes.get(path.split("/")[0])
        reply = handler(query) if handler else self._default(path)
        body = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
        headers = [("Content-Type", reply.content_type), ("Content-Length", str(len(body)))]
        start_response(f"{reply.status} X", headers + list(reply.headers.items()))
        return iter([body])

    @staticmethod
    def _default(path: str) -> Reply:
        if path == "Patient/p1":
            return Reply(body=PATIENT)
        if "/" in path:
            return Reply(404, {"resourceType": "OperationOutcome", "issue": []})
        return Reply(body=searchset())

    def slow(self, reply: Reply) -> Callable[[dict], Reply]:
        def handler(_query: dict) -> Reply:
            self.release.wait(5)  # "sleep 5 s", cut short when the test ends
            return reply

        return handler


@pytest.fixture
def fhir() -> Iterator[FakeFhir]:
    app = FakeFhir()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    app.base = f"http://127.0.0.1:{server.server_port}/fhir"
    yield app
    app.release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        yield s


def call(base, prefetch=None, token=True):
    raw = {
        "hook": "patient-view",
        "hookInstance": "7e1f4cf4-7f1d-4b52-8a3c-0a8f4f1a2b3c",
        "fhirServer": base,
        "context": {"userId": "Practitioner/pr1", "patientId": "p1"},
    }
    if token:
        raw["fhirAuthorization"] = {
            "access_token": TOKEN,
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "patient/*.read",
            "subject": "pannet-cds",
        }
    if prefetch is not None:
        raw["prefetch"] = prefetch
    return parse_hook_request(raw, SERVICE)


def gather(fhir, session, prefetch=None, budget_s=1.5, token=True):
    request = call(fhir.base, prefetch, token)
    return gather_resources(request, SERVICE, make_fetcher(request, session, budget_s), budget_s)


def test_everything_missing_is_fetched_with_the_bearer_token(fhir, session, caplog):
    fhir.routes["Observation"] = lambda q: Reply(body=searchset(observation("o1")))
    with caplog.at_level(logging.DEBUG):
        result = gather(fhir, session)
    assert result.resources == [PATIENT, observation("o1")]
    assert sorted(result.fetched) == sorted(SERVICE.prefetch)
    assert result.from_prefetch == [] and not result.degraded
    assert {r["auth"] for r in fhir.seen} == {f"Bearer {TOKEN}"}
    assert {r["accept"] for r in fhir.seen} == {FHIR_JSON}
    assert len(fhir.seen) == len(SERVICE.prefetch)
    (obs,) = fhir.paths("Observation")
    assert "patient=p1" in obs["query"] and "_count=" in obs["query"]
    assert TOKEN not in caplog.text


def test_without_authorization_no_token_is_sent(fhir, session):
    result = gather(fhir, session, token=False)
    assert not result.degraded
    assert {r["auth"] for r in fhir.seen} == {""}


def test_only_omitted_and_outcome_keys_are_fetched_not_null_ones(fhir, session):
    outcome = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "x"}]}
    prefetch = {key: None for key in SERVICE.prefetch if key != "patient"}
    prefetch["patient"] = PATIENT
    prefetch["conditions"] = outcome
    del prefetch["procedures"]
    result = gather(fhir, session, prefetch)
    assert sorted(r["path"] for r in fhir.seen) == ["Condition", "Procedure"]
    assert sorted(result.fetched) == ["conditions", "procedures"]
    assert "observations" in result.from_prefetch and not result.degraded


def test_null_patient_is_fetched_when_a_server_is_known(fhir, session):
    result = gather(fhir, session, {"patient": None})
    assert result.resources[0] == PATIENT and "patient" in result.fetched


def test_paging_follows_same_origin_next_links(fhir, session):
    pages = {
        "1": Reply(body=searchset(observation("o1"), next_url=f"{fhir.base}/Observation?page=2")),
        "2": Reply(body=searchset(observation("o2"), next_url="Observation?page=3")),
        "3": Reply(body=searchset(observation("o3"))),
    }
    fhir.routes["Observation"] = lambda q: pages[q.get("page", ["1"])[0]]
    result = gather(fhir, session)
    assert [r["id"] for r in result.resources[1:]] == ["o1", "o2", "o3"]
    assert len(fhir.paths("Observation")) == 3
    outcome = FhirFetcher(fhir.base, None, session).fetch_many({"k": "Observation?patient=p1"})
    assert outcome["k"].pages == 3 and outcome["k"].ok


def test_paging_loop_is_detected(fhir, session):
    loop = f"{fhir.base}/Observation?page=1"
    fhir.routes["Observation"] = lambda q: Reply(body=searchset(observation("o1"), next_url=loop))
    result = gather(fhir, session)
    assert result.degraded and "paging loop" in result.failed["observations"]
    assert all(r.get("resourceType") != "Observation" for r in result.resources)


def test_cross_origin_next_link_is_not_followed(fhir, session):
    elsewhere = fhir.base.replace("127.0.0.1", "localhost") + "/Observation?page=2"
    fhir.routes["Observation"] = lambda q: Reply(
        body=searchset(observation("o1"), next_url=elsewhere)
    )
    result = gather(fhir, session)
    assert "another origin" in result.failed["observations"]
    assert len(fhir.paths("Observation")) == 1


def test_next_link_with_a_broken_url_is_a_failure(fhir, session):
    broken = "http://127.0.0.1:99999/fhir/Observation?page=2"
    fhir.routes["Observation"] = lambda q: Reply(body=searchset(next_url=broken))
    result = gather(fhir, session)
    assert "invalid URL" in result.failed["observations"]


def test_endless_paging_stops_at_the_page_limit(fhir, session):
    def page(query):
        number = int(query.get("page", ["0"])[0])
        return Reply(body=searchset(next_url=f"{fhir.base}/Observation?page={number + 1}"))

    fhir.routes["Observation"] = page
    result = gather(fhir, session, budget_s=10)
    assert f"more than {MAX_PAGES} result pages" in result.failed["observations"]
    assert len(fhir.paths("Observation")) == MAX_PAGES


def test_slow_optional_search_degrades_within_budget(fhir, session):
    fhir.routes["Observation"] = fhir.slow(Reply(body=searchset(observation("o1"))))
    result = gather(fhir, session, budget_s=0.5)
    assert result.degraded and list(result.failed) == ["observations"]
    assert any(word in result.failed["observations"] for word in ("timed out", "time budget"))
    assert "patient" in result.fetched and "conditions" in result.fetched


def test_slow_patient_read_is_412(fhir, session):
    fhir.routes["Patient"] = fhir.slow(Reply(body=PATIENT))
    with pytest.raises(RequiredDataUnavailable) as caught:
        gather(fhir, session, budget_s=0.5)
    assert caught.value.keys == ["patient"]
    assert caught.value.missing[0].startswith("Patient (Patient/p1): ")


def test_slow_server_everywhere_is_412(fhir, session):
    slow = fhir.slow(Reply(body=searchset()))
    for name in ("Patient", "Condition", "Observation", "Procedure", "ServiceRequest",
                 "ImagingStudy", "DiagnosticReport", "MedicationRequest",
                 "MedicationStatement", "Specimen"):  # fmt: skip
        fhir.routes[name] = slow
    with pytest.raises(RequiredDataUnavailable):
        gather(fhir, session, budget_s=0.5)


ERROR_OUTCOME = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "x"}]}


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (Reply(500, ERROR_OUTCOME), "HTTP 500"),
        (Reply(503, b"busy", "text/plain"), "HTTP 503"),
        (Reply(401, ERROR_OUTCOME), "HTTP 401"),
        (Reply(302, b"", "text/plain", {"Location": "http://example.org/"}), "HTTP 302"),
        (Reply(200, b"<html>login</html>", "text/html"), "unexpected content type"),
        (Reply(200, b'{"resourceType": "Bundle", "entry": [{"res'), "invalid JSON"),
        (Reply(200, b"\xff\xfe garbage"), "invalid JSON"),
        (Reply(200, b"[1, 2]"), "not a FHIR resource"),
        (Reply(200, ERROR_OUTCOME), "OperationOutcome"),
        (Reply(200, searchset(ERROR_OUTCOME)), "OperationOutcome"),
        (Reply(200, PATIENT), "did not return a Bundle"),
        (Reply(200, {"resourceType": "Bundle", "entry": [{"fullUrl": "x"}]}), "without a resource"),
        (Reply(200, searchset(observation("o9", patient="p2"))), "another patient"),
    ],
)
def test_faulty_answers_to_an_optional_search_degrade(fhir, session, reply, reason):
    fhir.routes["Observation"] = lambda q: reply
    result = gather(fhir, session)
    assert result.degraded and list(result.failed) == ["observations"]
    assert reason in result.failed["observations"]
    assert result.resources == [PATIENT]


def test_warning_outcome_entries_are_skipped(fhir, session):
    warning = {"resourceType": "OperationOutcome", "issue": [{"severity": "warning", "code": "x"}]}
    fhir.routes["Observation"] = lambda q: Reply(body=searchset(warning, observation("o1")))
    result = gather(fhir, session)
    assert not result.degraded and result.resources == [PATIENT, observation("o1")]


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (Reply(404, ERROR_OUTCOME), "HTTP 404"),
        (Reply(200, {**PATIENT, "id": "p2"}), "another patient"),
        (Reply(200, searchset(PATIENT)), "another resource type than requested"),
        (Reply(200, {"resourceType": "Internal-secret-banner"}), "another resource type"),
    ],
)
def test_faulty_patient_read_is_412(fhir, session, reply, reason):
    fhir.routes["Patient"] = lambda q: reply
    with pytest.raises(RequiredDataUnavailable) as caught:
        gather(fhir, session)
    assert reason in caught.value.missing[0]
    # Fixed phrases only: nothing the server sent is quoted back (issue 11.3 / 11.7).
    assert "Bundle" not in str(caught.value) and "secret" not in str(caught.value)


class RawServer:
    """A socket server that misbehaves below HTTP: resets or cuts the connection."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.base = f"http://127.0.0.1:{self.sock.getsockname()[1]}/fhir"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                if self.mode == "reset":
                    # SO_LINGER 0: close() sends RST instead of FIN.
                    conn.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                    )
                else:
                    conn.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\n"
                        b'Content-Length: 1000\r\nConnection: close\r\n\r\n{"resourceType": "Pat'
                    )

    def close(self) -> None:
        self.sock.close()


@pytest.mark.parametrize(
    ("mode", "reasons"),
    [("reset", ("connection failed",)), ("short", ("transfer failed", "connection failed"))],
)
def test_connection_reset_and_cut_bodies_are_failures(session, mode, reasons):
    server = RawServer(mode)
    try:
        outcomes = FhirFetcher(server.base, None, session).fetch_many(
            {"patient": "Patient/p1", "observations": "Observation?patient=p1"}
        )
        request = call(server.base)
        with pytest.raises(RequiredDataUnavailable):
            gather_resources(request, SERVICE, make_fetcher(request, session), 1.0)
    finally:
        server.close()
    for outcome in outcomes.values():
        assert not outcome.ok and outcome.error in reasons


def test_fetcher_repr_hides_the_token(session):
    from pydantic import SecretStr

    fetcher = FhirFetcher("http://127.0.0.1:9/fhir", SecretStr(TOKEN), session)
    assert TOKEN not in repr(fetcher) and TOKEN not in str(vars(fetcher))


def test_a_fetched_key_past_the_cap_is_not_read_and_the_call_says_so(fhir, session):
    """Issue 11.9: a server answering more than 5,000 resources for one search (in one page or
    many) costs that key, not the worker's CPU."""
    many = searchset(*(observation(f"o{i}") for i in range(MAX_RESOURCES_PER_KEY + 1)))
    fhir.routes["Observation"] = lambda q: Reply(body=many)
    result = gather(fhir, session)
    assert result.degraded
    assert f"more than {MAX_RESOURCES_PER_KEY} resources" in result.failed["observations"]
