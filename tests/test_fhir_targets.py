"""The `fhirServer` allowlist and public-address check (cds_service/hooks/fhir_targets.py), the
request-time encoding of queries (fhir_client), and the outbound session's cookie and
environment policy. A fake resolver stands in for DNS so each address class is tried exactly."""

from __future__ import annotations

import json
import re
import socket

import pytest

from cds_service.hooks.fhir_queries import InvalidQuery, encoded_search, read_path
from cds_service.hooks.fhir_targets import (
    NOT_ALLOWLISTED,
    NOT_PUBLIC,
    UNRESOLVABLE,
    FhirServerPolicy,
    FhirServersConfigError,
)
from cds_service.hooks.gather import make_fetcher
from cds_service.hooks.request import parse_hook_request
from cds_service.hooks.services import service_definitions
from cds_service.http_session import outbound_session
from tests.support.loopback import serve_wsgi

PATIENT_VIEW = service_definitions()["pannet-cds-patient-view"]


def resolving_to(*addresses: str):
    def resolve(host, port):
        if host == "unknown.example":
            raise socket.gaierror("no such host")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port or 0)) for a in addresses]

    return resolve


def policy(value: str = "{}", *, loopback: bool = False, addresses=("93.184.216.34",)):
    base = FhirServerPolicy.from_env_value(value, allow_loopback=loopback)
    return FhirServerPolicy(base.allowlists, base.allow_loopback, resolving_to(*addresses))


@pytest.mark.parametrize(
    ("address", "refused"),
    [
        ("93.184.216.34", False),
        ("2606:2800:220:1:248:1893:25c8:1946", False),
        ("127.0.0.1", True),
        ("::1", True),
        ("10.1.2.3", True),
        ("172.16.0.9", True),
        ("192.168.1.1", True),
        ("169.254.169.254", True),
        ("fe80::1", True),
        ("fd00::1", True),
        ("100.64.0.1", True),  # carrier-grade NAT
        ("0.0.0.0", True),
        ("224.0.0.1", True),
        ("::ffff:127.0.0.1", True),
        ("::ffff:10.0.0.1", True),
    ],
)
def test_without_an_allowlist_only_public_addresses_are_read(address, refused):
    check = policy(addresses=(address,))
    assert check.refusal("https://fhir.example.org/r4", "iss") == (NOT_PUBLIC if refused else None)


def test_one_private_address_among_public_ones_is_enough_to_refuse():
    check = policy(addresses=("93.184.216.34", "10.0.0.1"))
    assert check.refusal("https://fhir.example.org", None) == NOT_PUBLIC


def test_an_unresolvable_host_is_refused_with_a_fixed_phrase():
    assert policy().refusal("https://unknown.example/fhir", None) == UNRESOLVABLE


def test_loopback_is_allowed_with_authentication_off_but_private_is_not():
    assert (
        policy(loopback=True, addresses=("127.0.0.1",)).refusal("http://localhost:8080", None)
        is None
    )
    assert policy(loopback=True, addresses=("10.0.0.1",)).refusal("http://h", None) == NOT_PUBLIC


def test_an_issuers_allowlist_is_all_it_may_name_and_needs_no_dns():
    check = policy(
        '{"https://ehr.a": ["https://fhir.a.org/r4", "http://10.0.0.5:8080/fhir"]}',
        addresses=("10.0.0.5",),
    )
    iss = "https://ehr.a"
    assert check.refusal("https://fhir.a.org/r4", iss) is None
    assert check.refusal("https://FHIR.A.org:443/r4/", iss) is None  # same origin and path
    assert check.refusal("https://fhir.a.org/r4/tenant-1", iss) is None  # below the base
    assert check.refusal("http://10.0.0.5:8080/fhir", iss) is None  # allowlisted private host
    assert check.refusal("https://fhir.a.org/r4x", iss) == NOT_ALLOWLISTED
    assert check.refusal("https://fhir.a.org", iss) == NOT_ALLOWLISTED
    assert check.refusal("http://fhir.a.org/r4", iss) == NOT_ALLOWLISTED  # scheme
    assert check.refusal("https://fhir.a.org:8443/r4", iss) == NOT_ALLOWLISTED  # port
    assert check.refusal("https://other.org/r4", iss) == NOT_ALLOWLISTED
    # another issuer has no list: the public-address rule applies to it
    assert check.refusal("http://10.0.0.5:8080/fhir", "https://ehr.b") == NOT_PUBLIC


def test_the_star_entry_covers_callers_without_their_own_and_any_port_is_explicit():
    check = policy('{"*": ["http://127.0.0.1:*"], "https://ehr.a": []}', addresses=("8.8.8.8",))
    assert check.refusal("http://127.0.0.1:41234/fhir", None) is None
    assert check.refusal("http://127.0.0.1:41234/fhir", "https://ehr.z") is None
    assert check.refusal("https://fhir.public.org", None) == NOT_ALLOWLISTED
    assert check.refusal("http://127.0.0.1:41234/fhir", "https://ehr.a") == NOT_ALLOWLISTED


@pytest.mark.parametrize(
    ("value", "culprit"),
    [
        ("not json", "not valid JSON"),
        ("[]", "must be a JSON object"),
        ('{"i": "https://a"}', "must be a list"),
        ('{"i": ["ftp://a"]}', "not an absolute http(s) URL"),
        ('{"i": ["https://a/fhir?x=1"]}', "must be a base URL"),
        ('{"i": ["https://u:p@a/fhir"]}', "must be a base URL"),
        ('{"i": ["https://a:99999/fhir"]}', "invalid port"),
    ],
)
def test_bad_configuration_names_the_entry(value, culprit):
    with pytest.raises(FhirServersConfigError, match=re.escape(culprit)):
        FhirServerPolicy.from_env_value(value, allow_loopback=False)


def test_search_values_are_encoded_whatever_the_template_holds():
    plain = "Observation?patient=p1&code=http://loinc.org|29593-1,http://loinc.org|9811-1"
    encoded = (
        "Observation?patient=p1"
        "&code=http%3A%2F%2Floinc.org%7C29593-1,http%3A%2F%2Floinc.org%7C9811-1"
    )
    assert encoded_search(plain) == encoded
    assert encoded_search(encoded) == encoded  # an encoded template is sent the same
    assert encoded_search("Condition?patient=a%2Bb&code:text=x y") == (
        "Condition?patient=a%2Bb&code:text=x%20y"
    )


@pytest.mark.parametrize("query", ["Patient/..", "Patient/.", "Patient/a/b", "Patient/", "x/1"])
def test_reads_of_invalid_ids_are_refused(query):
    with pytest.raises(InvalidQuery, match="not a valid FHIR resource type and id"):
        read_path(query)


def test_reads_send_the_id_as_one_encoded_segment():
    assert read_path("Patient/p-1.2") == ("Patient", "Patient/p-1.2")
    assert read_path("Encounter/e.1") == ("Encounter", "Encounter/e.1")


def test_the_outbound_session_keeps_no_cookie_and_ignores_the_environment():
    seen_cookies: list[str] = []

    def app(environ, start_response):
        seen_cookies.append(environ.get("HTTP_COOKIE", ""))
        start_response("200 OK", [("Set-Cookie", "fhirsession=of-caller-a; Path=/")])
        return [b"{}"]

    server = serve_wsgi(app, quiet=True)
    try:
        session = outbound_session()
        assert session.trust_env is False
        for _ in range(2):
            session.get(server.url + "/fhir/Patient/1", timeout=10).raise_for_status()
    finally:
        server.stop()
    assert seen_cookies == ["", ""]
    assert len(session.cookies) == 0


def test_a_dns_answer_that_changes_after_the_check_is_refused_at_connect_time():
    """Rebinding: the name resolved to a public address when checked, then the connection
    reached loopback. The peer address is checked after the handshake, before a byte is sent."""
    seen: list[str] = []

    def app(environ, start_response):
        seen.append(environ["PATH_INFO"])
        start_response("200 OK", [("Content-Type", "application/fhir+json")])
        return [b'{"resourceType": "Patient", "id": "p1"}']

    server = serve_wsgi(app, quiet=True)
    try:
        rebinding = policy(addresses=("93.184.216.34",))  # what the check was told
        body = {
            "hook": "patient-view",
            "hookInstance": "a8f6e1f2-5b0c-4a39-9d7e-0c2b8f6a1d11",
            "fhirServer": server.url + "/fhir",
            "context": {"userId": "Practitioner/pr1", "patientId": "p1"},
        }
        request = parse_hook_request(body, PATIENT_VIEW)
        fetcher = make_fetcher(request, outbound_session(), 2.0, policy=rebinding, issuer="i")
        outcome = fetcher.fetch_many({"patient": "Patient/p1"})["patient"]
        assert outcome.error == NOT_PUBLIC
        assert seen == []
        # Allowlisted, the same server is read: the peer check applies only without a list.
        listed = policy(json.dumps({"i": [server.url + "/fhir"]}))
        fetcher = make_fetcher(request, outbound_session(), 2.0, policy=listed, issuer="i")
        assert fetcher.fetch_many({"patient": "Patient/p1"})["patient"].ok
        assert seen == ["/fhir/Patient/p1"]
    finally:
        server.stop()
