"""`pannet-cds worklist` as a user runs it, against a small scripted Bulk Data server: every bad
input ends in one line on stderr and exit code 2 (never a traceback), a failed run leaves last
week's file as it was, malformed NDJSON lines cost only themselves, progress shows only on a
terminal."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from cds_service.worklist.models import Worklist
from tests.support.bulk_server import OUTCOME_FAILED, ScriptedBulkServer, StatusAnswer, ndjson
from tests.support.loopback import process_timeout
from tests.support.worklist_cohort import REPO_ROOT, read_worklist, run_worklist

P1 = {"resourceType": "Patient", "id": "p1", "name": [{"text": "Ann Lee"}]}
CONDITION = {
    "resourceType": "Condition",
    "id": "c1",
    "clinicalStatus": {"coding": [{"code": "active"}]},
    "verificationStatus": {"coding": [{"code": "confirmed"}]},
    "code": {"coding": [{"system": "http://snomed.info/sct", "code": "253031002"}]},
    "subject": {"reference": "Patient/p1"},
}


def audit_args(tmp_path: Path) -> list[str]:
    return ["--database-url", f"sqlite:///{tmp_path / 'audit.sqlite3'}"]


def one_line_failure(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("pannet-cds: ")
    return result.stderr.strip()


def test_a_server_without_export(tmp_path):
    with ScriptedBulkServer(kickoff_status=404) as server:
        result = run_worklist("--fhir-server", server.base_url, *audit_args(tmp_path))
    assert "has no Patient-level $export (answered 404" in one_line_failure(result)


def test_a_failed_export_keeps_last_weeks_file(tmp_path):
    out = tmp_path / "worklist.csv"
    out.write_text("last week\n")
    with ScriptedBulkServer(statuses=[StatusAnswer(500, body=OUTCOME_FAILED)]) as server:
        result = run_worklist(
            "--fhir-server", server.base_url, "-o", str(out), *audit_args(tmp_path)
        )
    assert "export failed" in one_line_failure(result) and "database exploded" in result.stderr
    assert out.read_text() == "last week\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_an_export_that_never_completes_times_out(tmp_path):
    statuses = [StatusAnswer(202, {"Retry-After": "30", "X-Progress": "queued"})] * 3
    with ScriptedBulkServer(statuses=statuses) as server:
        result = run_worklist(
            "--fhir-server", server.base_url, "--timeout", "2", *audit_args(tmp_path)
        )
        deletes = server.paths("DELETE")
    assert one_line_failure(result) == (
        "pannet-cds: export not complete after 2 s (queued); cancelled: try again later or raise"
        " --timeout"
    )
    assert deletes == ["/fhir/status/1"]


def test_malformed_lines_are_skipped_counted_and_named(tmp_path):
    files = {"Patient": ndjson(P1, "{oops", '"a string"'), "Condition": ndjson(CONDITION)}
    out = tmp_path / "w.json"
    with ScriptedBulkServer(files=files) as server:
        result = run_worklist(
            "--fhir-server",
            server.base_url,
            "--today",
            "2026-12-01",
            "-o",
            str(out),
            *audit_args(tmp_path),
        )
    assert result.returncode == 0, result.stderr
    worklist = read_worklist(out)
    assert worklist.counts.lines_skipped == 2
    assert [s.where for s in worklist.skipped] == ["Patient file 1 line 2", "Patient file 1 line 3"]
    assert worklist.counts.patients_exported == 1
    assert "2 skipped" in result.stderr


def test_csv_to_standard_output_and_quiet_without_a_terminal(tmp_path):
    with ScriptedBulkServer(
        files={"Patient": ndjson(P1), "Condition": ndjson(CONDITION)}
    ) as server:
        result = run_worklist(
            "--fhir-server", server.base_url, "--today", "2026-12-01", *audit_args(tmp_path)
        )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].startswith("state,days_overdue,next_exam,next_due")
    assert result.stderr.count("\n") == 1  # the summary line only
    assert result.stderr.startswith("pannet-cds: worklist run (full): 1 patients exported")


def test_progress_on_a_terminal(tmp_path):
    with ScriptedBulkServer(
        files={"Patient": ndjson(P1), "Condition": ndjson(CONDITION)}
    ) as server:
        leader, follower = pty.openpty()
        process = subprocess.run(
            [
                sys.executable,
                "-m",
                "cds_service.cli",
                "worklist",
                "--fhir-server",
                server.base_url,
                "-o",
                str(tmp_path / "w.json"),
                *audit_args(tmp_path),
            ],
            stderr=follower,
            stdout=subprocess.PIPE,
            cwd=REPO_ROOT,
            timeout=process_timeout(),
        )
        os.close(follower)
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
        os.close(leader)
    assert process.returncode == 0
    text = shown.decode()
    assert "1 patients exported" in text and "scoring" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fhir-server", "ftp://x"], "--fhir-server 'ftp://x': must be an absolute http(s)"),
        (
            ["--fhir-server", "http://127.0.0.1:9/fhir", "--since", "2026-11-24"],
            "--since needs the previous worklist",
        ),
        (
            ["--fhir-server", "http://127.0.0.1:9/fhir", "--since", "last week"],
            "--since 'last week': not a date",
        ),
        (
            ["--fhir-server", "http://127.0.0.1:9/fhir", "--client-id", "c"],
            "needs both --client-id and --private-key",
        ),
        (
            ["--fhir-server", "http://127.0.0.1:9/fhir"],
            "http://127.0.0.1:9/fhir/Patient/$export: not reachable",
        ),
    ],
)
def test_bad_input_is_one_line(tmp_path, args, message):
    result = run_worklist(*args, *audit_args(tmp_path))
    assert message in one_line_failure(result)


def test_a_key_file_that_is_not_a_key(tmp_path):
    key = tmp_path / "key.pem"
    key.write_text("-----BEGIN NOTHING-----\n")
    result = run_worklist(
        "--fhir-server",
        "http://127.0.0.1:9/fhir",
        "--client-id",
        "c",
        "--private-key",
        str(key),
        *audit_args(tmp_path),
    )
    assert (
        one_line_failure(result)
        == f"pannet-cds: private key {key}: not a PEM private key or a private JWK"
    )


def test_the_previous_worklist_must_be_a_worklist_of_the_same_server(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"rows": []}))
    result = run_worklist(
        "--fhir-server",
        "http://127.0.0.1:9/fhir",
        "--since",
        "2026-11-24",
        "--previous",
        str(bad),
        *audit_args(tmp_path),
    )
    assert "not a worklist JSON file" in one_line_failure(result)
    other = tmp_path / "other.json"
    other.write_text(
        Worklist(
            generated_at="x",
            today="2026-11-24",
            fhir_server="http://elsewhere/fhir",
            due_within_days=30,
            rows=[],
            counts={},
        ).model_dump_json()
    )
    with ScriptedBulkServer() as server:
        result = run_worklist(
            "--fhir-server",
            server.base_url,
            "--since",
            "previous",
            "--previous",
            str(other),
            *audit_args(tmp_path),
        )
    assert "--since previous: the previous worklist records no export time" in one_line_failure(
        result
    )
    with ScriptedBulkServer() as server:
        result = run_worklist(
            "--fhir-server",
            server.base_url,
            "--since",
            "2026-11-24",
            "--previous",
            str(other),
            *audit_args(tmp_path),
        )
    assert "the previous worklist is from http://elsewhere/fhir" in one_line_failure(result)


def test_an_audit_database_that_cannot_be_written_is_said_after_the_worklist(tmp_path):
    out = tmp_path / "w.json"
    with ScriptedBulkServer(files={"Patient": ndjson(P1)}) as server:
        result = run_worklist(
            "--fhir-server",
            server.base_url,
            "-o",
            str(out),
            "--database-url",
            f"sqlite:///{tmp_path / 'missing-dir' / 'a.sqlite3'}",
        )
    assert "worklist written, but its audit record was not" in one_line_failure(result)
    assert out.exists()


def test_next_week_the_o_file_is_the_previous_worklist(tmp_path):
    out = tmp_path / "w.json"
    files = {"Patient": ndjson(P1), "Condition": ndjson(CONDITION)}
    with ScriptedBulkServer(files=files) as server:
        first = run_worklist(
            "--fhir-server",
            server.base_url,
            "--today",
            "2026-12-01",
            "-o",
            str(out),
            *audit_args(tmp_path),
        )
        assert first.returncode == 0, first.stderr
        second = run_worklist(
            "--fhir-server",
            server.base_url,
            "--today",
            "2026-12-08",
            "--since",
            "previous",
            "-o",
            str(out),
            *audit_args(tmp_path),
        )
        kickoffs = server.kickoffs
    assert second.returncode == 0, second.stderr
    assert kickoffs[1]["args"]["_since"] == "2026-12-01T10:00:00.000Z"  # the first transactionTime
    assert kickoffs[2]["body"]["parameter"][-1]["valueReference"] == {"reference": "Patient/p1"}
    merged = read_worklist(out)
    assert merged.since == "2026-12-01T10:00:00.000Z" and merged.today == "2026-12-08"
    assert second.stderr.startswith("pannet-cds: worklist run (incremental since 2026-12-01T10")
