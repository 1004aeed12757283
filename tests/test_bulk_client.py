"""The Bulk Data client against a small real HTTP server scripted for what sekmet-fhir cannot be
made to do: Retry-After and X-Progress, 429, a failed export, an export that never completes,
no `$export`, tokens only where the manifest asks, a 401 answered by renewing the token."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from cds_service.bulk.auth import BearerToken, NoAuth
from cds_service.bulk.client import BulkClient, retry_after
from cds_service.bulk.errors import (
    AuthorizationError,
    ExportFailed,
    ExportNotSupported,
    ExportTimedOut,
)
from cds_service.bulk.export import run_export
from cds_service.bulk.export_types import export_types
from cds_service.bulk.ndjson import SkipLog
from cds_service.bulk.patient_index import PatientIndex
from cds_service.http_session import outbound_session
from tests.support.bulk_server import OUTCOME_FAILED, ScriptedBulkServer, StatusAnswer, ndjson

PATIENT = {"resourceType": "Patient", "id": "p1"}
OBSERVATION = {
    "resourceType": "Observation",
    "id": "o1",
    "status": "final",
    "code": {"text": "x"},
    "subject": {"reference": "Patient/p1"},
}


class RecordingSleep:
    """The client's clock and sleep: a wait is recorded and moves the clock on at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self.now = 1000.0

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def client(server: ScriptedBulkServer, auth=None, timeout: float = 600, sleep=None) -> BulkClient:
    sleep = sleep or RecordingSleep()
    return BulkClient(
        server.base_url,
        auth or NoAuth(),
        outbound_session(),
        export_timeout_s=timeout,
        sleep=sleep,
        clock=sleep.clock,
    )


def test_kickoff_is_async_fhir_json_with_the_mappers_types_and_since():
    with ScriptedBulkServer() as server:
        status = client(server).kickoff(types=export_types(), since="2026-11-24T00:00:00.000Z")
        assert status == f"{server.base_url}/status/1"
        kickoff = server.kickoffs[0]
    assert server.paths("GET")[0] == "/fhir/Patient/$export"
    assert kickoff["headers"]["Prefer"] == "respond-async"
    assert kickoff["headers"]["Accept"] == "application/fhir+json"
    assert kickoff["args"]["_since"] == "2026-11-24T00:00:00.000Z"
    types = kickoff["args"]["_type"].split(",")
    assert types[0] == "Patient"
    assert {"Condition", "Observation", "Procedure", "DiagnosticReport", "ImagingStudy"} <= set(
        types
    )
    assert "Encounter" not in types and "Claim" not in types


def test_group_kickoff_names_the_group():
    with ScriptedBulkServer() as server:
        client(server).kickoff(types=["Patient"], group="clinic 7/x")
    assert server.kickoffs[0]["raw"].startswith("/fhir/Group/clinic%207%2Fx/$export?")


def test_a_kickoff_for_some_patients_posts_their_references():
    with ScriptedBulkServer() as server:
        client(server).kickoff(
            types=["Patient", "Condition"], since="2026-11-24T00:00:00.000Z", patients=["a", "b"]
        )
        kickoff = server.kickoffs[0]
    assert server.paths("POST") == ["/fhir/Patient/$export"]
    assert kickoff["headers"]["Prefer"] == "respond-async"
    assert kickoff["body"]["resourceType"] == "Parameters"
    assert kickoff["body"]["parameter"] == [
        {"name": "_type", "valueString": "Patient,Condition"},
        {"name": "_outputFormat", "valueString": "application/fhir+ndjson"},
        {"name": "_since", "valueInstant": "2026-11-24T00:00:00.000Z"},
        {"name": "patient", "valueReference": {"reference": "Patient/a"}},
        {"name": "patient", "valueReference": {"reference": "Patient/b"}},
    ]


def test_export_types_follow_the_prefetch_templates():
    from cds_service.hooks.services import PREFETCH_TEMPLATES

    assert {t.resource_type for t in PREFETCH_TEMPLATES} <= set(export_types())
    assert "MedicationAdministration" in export_types()  # read by the medication mapper


def test_status_polling_waits_as_long_as_retry_after_says_and_reports_progress():
    statuses = [
        StatusAnswer(202, {"Retry-After": "3", "X-Progress": "collecting 10%"}),
        StatusAnswer(202, {"Retry-After": "7", "X-Progress": "writing"}),
        StatusAnswer(429, {"Retry-After": "2"}),
    ]
    sleep, seen = RecordingSleep(), []
    with ScriptedBulkServer(statuses=statuses, files={"Patient": ndjson(PATIENT)}) as server:
        bulk = client(server, sleep=sleep)
        manifest = bulk.wait(bulk.kickoff(types=["Patient"]), progress=seen.append)
    assert sleep.delays == [3, 7, 2]
    assert seen == ["collecting 10%", "writing"]
    assert manifest.output[0].type == "Patient"


def test_without_retry_after_the_wait_grows():
    sleep = RecordingSleep()
    with ScriptedBulkServer(statuses=[StatusAnswer(202)] * 4) as server:
        bulk = client(server, sleep=sleep)
        bulk.wait(bulk.kickoff(types=["Patient"]))
    assert sleep.delays == [1, 2, 4, 8]


def test_an_export_that_does_not_complete_in_time_is_cancelled_and_named():
    sleep = RecordingSleep()
    statuses = [StatusAnswer(202, {"Retry-After": "4", "X-Progress": "busy"})] * 10
    with ScriptedBulkServer(statuses=statuses) as server:
        bulk = client(server, timeout=10, sleep=sleep)
        with pytest.raises(ExportTimedOut, match=r"not complete after 10 s \(busy\); cancelled"):
            bulk.wait(bulk.kickoff(types=["Patient"]))
    assert sleep.delays == [4, 4]  # the third wait would pass the limit
    assert server.paths("DELETE") == ["/fhir/status/1"]


def test_a_failed_export_says_what_the_server_said():
    with ScriptedBulkServer(statuses=[StatusAnswer(500, body=OUTCOME_FAILED)]) as server:
        bulk = client(server)
        with pytest.raises(ExportFailed, match="answered 500: database exploded"):
            bulk.wait(bulk.kickoff(types=["Patient"]))


def test_a_server_without_export_is_named_clearly():
    with (
        ScriptedBulkServer(kickoff_status=404) as server,
        pytest.raises(ExportNotSupported) as raised,
    ):
        client(server).kickoff(types=["Patient"])
    assert str(raised.value) == (
        f"{server.base_url} has no Patient-level $export (answered 404: Unknown operation):"
        " is it a FHIR server with Bulk Data Access?"
    )


@pytest.mark.parametrize("required", [False, True])
def test_the_token_goes_to_file_requests_only_when_the_manifest_requires_it(tmp_path, required):
    files = {"Patient": ndjson(PATIENT)}
    with ScriptedBulkServer(files=files, requires_access_token=required) as server:
        bulk = client(server, auth=BearerToken("t0ken"))
        index = PatientIndex(tmp_path / "i.sqlite3")
        run_export(bulk, index, tmp_path, SkipLog(), types=["Patient"])
        index.close()
    by_path = {path: auth for _m, path, auth in server.requests}
    assert by_path["/fhir/Patient/$export"] == "Bearer t0ken"
    assert by_path["/fhir/files/Patient"] == ("Bearer t0ken" if required else None)


def test_the_token_is_never_sent_to_a_host_the_servers_answer_names(tmp_path):
    # The client talks to "localhost"; the server's status URL names 127.0.0.1: same machine,
    # another origin. The token must not follow it.
    with ScriptedBulkServer(files={"Patient": ndjson(PATIENT)}) as server:
        bulk = BulkClient(
            server.base_url.replace("127.0.0.1", "localhost"),
            BearerToken("t0ken"),
            outbound_session(),
            sleep=RecordingSleep(),
        )
        status_url = bulk.kickoff(types=["Patient"])
        with pytest.raises(AuthorizationError, match="sent only to the FHIR server itself"):
            bulk.wait(status_url)
    assert [path for _m, path, _auth in server.requests] == ["/fhir/Patient/$export"]


class CountingRenewal:
    """A token source whose first token the server refuses."""

    def __init__(self) -> None:
        self.renewals = 0

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer token-{self.renewals}"}

    def renew(self) -> bool:
        self.renewals += 1
        return True


def test_a_401_gets_one_renewed_token():
    auth = CountingRenewal()
    with ScriptedBulkServer(reject_first_with_401=True) as server:
        client(server, auth=auth).kickoff(types=["Patient"])
    assert auth.renewals == 1
    assert [a for _m, _p, a in server.requests] == ["Bearer token-0", "Bearer token-1"]


def test_a_refused_token_is_one_clear_error():
    with (
        ScriptedBulkServer(reject_first_with_401=True) as server,
        pytest.raises(AuthorizationError, match="answered 401: access refused"),
    ):
        client(server, auth=BearerToken("t0ken")).kickoff(types=["Patient"])


def test_malformed_ndjson_lines_cost_only_themselves(tmp_path):
    lines = ndjson(PATIENT, "{not json", "[1, 2]", '{"id": "no-type"}', OBSERVATION)
    lost = ndjson({"resourceType": "Observation", "id": "orphan", "status": "final"})
    errors = ndjson(OUTCOME_FAILED)
    with ScriptedBulkServer(
        files={"Patient": lines, "Observation": lost}, error_files={"e1": errors}
    ) as server:
        index = PatientIndex(tmp_path / "i.sqlite3")
        skips = SkipLog()
        run_export(client(server), index, tmp_path, skips, types=["Patient", "Observation"])
        index.finish()
        records = list(index.records())
        index.close()
    assert [(r.patient_id, len(r.resources)) for r in records] == [("p1", 2)]
    assert skips.count == 5
    assert [(s.where, s.error) for s in skips.first] == [
        (
            "Patient file 1 line 2",
            "not JSON (Expecting property name enclosed in double quotes at column 2)",
        ),
        ("Patient file 1 line 3", "not a FHIR resource (no resourceType)"),
        ("Patient file 1 line 4", "not a FHIR resource (no resourceType)"),
        ("Observation file 2: Observation/orphan", "not tied to a Patient; not used"),
        ("server error file 1", "database exploded"),
    ]
    assert list(tmp_path.glob("*.ndjson")) == []  # each file removed once indexed


def test_only_the_first_errors_are_named_but_all_are_counted(tmp_path):
    lines = ndjson(PATIENT, *["{bad"] * 50)
    with ScriptedBulkServer(files={"Patient": lines}) as server:
        index = PatientIndex(tmp_path / "i.sqlite3")
        skips = SkipLog()
        run_export(client(server), index, tmp_path, skips, types=["Patient"])
        index.close()
    assert skips.count == 50 and len(skips.first) == 20


def test_retry_after_reads_seconds_and_http_dates():
    assert retry_after("120") == 120
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)
    assert 80 <= retry_after(later) <= 90
    assert retry_after("soon") is None
    assert retry_after("-5") is None
    assert retry_after(None) is None


def test_a_manifest_file_url_must_be_http(tmp_path):
    from cds_service.bulk.manifest import Manifest, OutputFile

    manifest = Manifest(transactionTime="t", request="r", requiresAccessToken=False)
    with ScriptedBulkServer() as server, pytest.raises(ExportFailed, match="not http"):
        client(server).download(
            manifest, OutputFile(type="Patient", url="file:///etc/passwd"), tmp_path / "x"
        )


def test_unreachable_server_is_one_line(tmp_path):
    bulk = BulkClient("http://127.0.0.1:9/fhir", NoAuth(), outbound_session())
    with pytest.raises(
        Exception, match=r"^http://127.0.0.1:9/fhir/Patient/\$export: not reachable"
    ):
        bulk.kickoff(types=["Patient"])


def test_patient_of_reads_relative_absolute_and_versioned_references():
    from cds_service.bulk.patient_index import patient_of

    def obs(ref):
        return {"resourceType": "Observation", "subject": {"reference": ref}}

    assert patient_of(obs("Patient/a")) == "a"
    assert patient_of(obs("https://x.org/fhir/Patient/b")) == "b"
    assert patient_of(obs("Patient/c/_history/3")) == "c"
    assert patient_of(obs("Group/g")) is None
    assert patient_of({"resourceType": "MedicationStatement", "patient": {}}) is None
    assert patient_of({"resourceType": "Patient", "id": "d"}) == "d"


def test_the_index_gives_each_patient_its_whole_record_patient_first(tmp_path: Path):
    index = PatientIndex(tmp_path / "i.sqlite3")
    skips = SkipLog()
    obs_b = {**OBSERVATION, "id": "ob", "subject": {"reference": "Patient/b"}}
    index.add_all([OBSERVATION, obs_b, {"resourceType": "Patient", "id": "b"}], skips, "f1")
    index.add_all([PATIENT], skips, "f2")
    index.finish()
    records = list(index.records())
    assert [(r.patient_id, [x["id"] for x in r.resources]) for r in records] == [
        ("b", ["b", "ob"]),
        ("p1", ["p1", "o1"]),
    ]
    assert [r.patient_id for r in index.records(only={"p1"})] == ["p1"]
    assert index.patient_count() == 2
    index.close()
