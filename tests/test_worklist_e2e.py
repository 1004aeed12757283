"""`pannet-cds worklist` end to end against a real FHIR server with Bulk Data (sekmet-fhir): the
real-world corpus, the demo patients, a patient without a NET diagnosis and a generated cohort
are loaded, a Group names them, and the command's worklist is checked row by row: every
patient's row is the one the same pipeline gives its loaded record, the overdue patients are all
on top, recurrence and out-of-scope rows say why with their source, and the patient without a
NET diagnosis is counted, not listed. Then an incremental run (`--since previous`) after one
patient's new CT and a new patient, on a later day."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from datetime import date
from pathlib import Path

import pytest
import requests

from cds_service.worklist.models import STATE_ORDER, RowState, WorklistRow
from tests.support.fhir_load import HEADERS, TIMEOUT_S, load_bundle
from tests.support.realworld import CASES, expected_of, load_bundle_of
from tests.support.worklist_cohort import (
    NO_NET_PATIENT,
    cohort_bundles,
    expected_row,
    load_cohort,
    put_group,
    read_worklist,
    run_worklist,
)

pytestmark = pytest.mark.e2e

TODAY = date(2026, 12, 1)
GROUP = "worklist-e2e"
GENERATED = 30


def _normal(row: WorklistRow) -> dict:
    """A row with its lists in a fixed order (export order is the server's)."""
    data = row.model_dump(mode="json")
    for key in ("sources", "warnings"):
        data[key] = sorted(data[key])
    return data


@pytest.fixture(scope="module")
def cohort(fhir_server) -> dict:
    bundles = cohort_bundles(GENERATED)
    load_cohort(fhir_server.base_url, bundles, GROUP)
    return bundles


@pytest.fixture(scope="module")
def first_run(fhir_server, cohort, tmp_path_factory) -> tuple[Path, str]:
    workdir = tmp_path_factory.mktemp("worklist")
    out = workdir / "worklist.json"
    result = run_worklist(
        "--fhir-server",
        fhir_server.base_url,
        "--group",
        GROUP,
        "--today",
        TODAY.isoformat(),
        "-o",
        str(out),
        "--database-url",
        f"sqlite:///{workdir / 'audit.sqlite3'}",
    )
    assert result.returncode == 0, result.stderr
    return out, result.stderr


def test_every_row_is_the_pipelines_row_for_the_loaded_record(fhir_server, cohort, first_run):
    worklist = read_worklist(first_run[0])
    rows = {row.patient_id: row for row in worklist.rows}
    for pid, bundle in cohort.items():
        expected = expected_row(bundle, TODAY, fhir_server.base_url)
        if expected is None:
            assert pid not in rows, pid
            assert pid in worklist.without_net_ids
        else:
            assert _normal(rows[pid]) == _normal(expected), pid
    assert set(rows) | set(worklist.without_net_ids) == set(cohort)
    assert worklist.counts.patients_exported == len(cohort)
    assert worklist.counts.patients_scored == len(cohort)
    assert worklist.counts.lines_skipped == 0 and worklist.skipped == []


def test_overdue_patients_are_all_on_top_most_overdue_first(first_run):
    rows = read_worklist(first_run[0]).rows
    states = [row.state for row in rows]
    assert states == sorted(states, key=STATE_ORDER.index)
    overdue = [row for row in rows if row.state == RowState.OVERDUE]
    assert overdue and rows[: len(overdue)] == overdue
    assert [r.days_overdue for r in overdue] == sorted(
        (r.days_overdue for r in overdue), reverse=True
    )
    for row in overdue:
        assert row.days_overdue > 0 and row.overdue_since and row.missed_dates
        assert row.next_exam == "abdominal CT/MRI"
        assert row.resection_date and f"Patient/{row.patient_id}" in row.sources


def test_the_corpus_rows_say_what_its_expected_files_say(first_run):
    rows = {row.patient_id: row for row in read_worklist(first_run[0]).rows}
    by_case = {}
    for case in CASES:
        bundle = load_bundle_of(case)
        pid = next(
            e["resource"]["id"]
            for e in bundle["entry"]
            if e["resource"]["resourceType"] == "Patient"
        )
        by_case[case] = rows[pid]
    for case, row in by_case.items():
        expected = expected_of(case)
        if expected["scope_code"] == "recurrence-on-record":
            assert row.state == RowState.RECURRENCE, case
            assert row.reason.startswith("recurrence on record") and "/" in row.reason, case
        elif not expected["in_scope"]:
            assert row.state == RowState.OUT_OF_SCOPE, case
            assert "metastasis" in row.reason, case
        else:
            assert row.state in (RowState.OVERDUE, RowState.DUE, RowState.UNDETERMINED), case
            assert row.tier == expected["overall_tier"], case
            assert row.schedule_tier == expected["surveillance_tier"], case
    assert any(r.state == RowState.RECURRENCE for r in by_case.values())


def test_demo_patients_named_with_their_identity(first_run):
    rows = {row.patient_id: row for row in read_worklist(first_run[0]).rows}
    p04 = rows["pannet-demo-p04"]
    assert p04.tier is None and len(p04.possible_tiers) > 1 and p04.missing_data
    assert rows["pannet-demo-p06"].state == RowState.OVERDUE
    assert rows["pannet-demo-p06"].name and rows["pannet-demo-p06"].birth_date
    assert NO_NET_PATIENT not in rows


def test_the_run_is_one_line_in_the_audit_trail_with_counts_only(first_run):
    out, stderr = first_run
    assert stderr.strip().splitlines()[-1].startswith("pannet-cds: worklist run (full):")
    db = sqlite3.connect(out.parent / "audit.sqlite3")
    rows = db.execute("SELECT service_id, patient_ref, inputs, cards FROM audit_records").fetchall()
    assert len(rows) == 1
    service_id, patient_ref, inputs, cards = rows[0]
    assert service_id == "pannet-cds-worklist" and patient_ref is None
    text = inputs + cards
    assert "pannet-demo" not in text and "Test" not in text
    figures = {i["id"]: i["value"] for i in json.loads(inputs)}
    assert figures["patients_exported"] == len(read_worklist(out).rows) + 1


def _run_group_worklist(base_url: str, out: Path, workdir: Path) -> None:
    """The first run's command again, into `out` (its format from the extension)."""
    result = run_worklist(
        *("--fhir-server", base_url, "--group", GROUP, "--today", TODAY.isoformat()),
        *("-o", str(out), "--database-url", f"sqlite:///{workdir / 'audit.sqlite3'}"),
    )
    assert result.returncode == 0, result.stderr


def test_csv_output_has_the_same_rows_in_the_same_order(fhir_server, cohort, first_run, tmp_path):
    out = tmp_path / "worklist.csv"
    _run_group_worklist(fhir_server.base_url, out, tmp_path)
    table = list(csv.DictReader(io.StringIO(out.read_text())))
    expected = read_worklist(first_run[0]).rows
    assert [r["patient_id"] for r in table] == [r.patient_id for r in expected]
    assert [r["state"] for r in table] == [r.state.value for r in expected]


def test_patient_level_export_lists_the_cohort_too(fhir_server, cohort, first_run, tmp_path):
    out = tmp_path / "all.json"
    result = run_worklist(
        "--fhir-server",
        fhir_server.base_url,
        "--today",
        TODAY.isoformat(),
        "-o",
        str(out),
        "--database-url",
        f"sqlite:///{tmp_path / 'audit.sqlite3'}",
    )
    assert result.returncode == 0, result.stderr
    everyone = {row.patient_id: row for row in read_worklist(out).rows}
    for row in read_worklist(first_run[0]).rows:
        assert _normal(everyone[row.patient_id]) == _normal(row)


def test_incremental_run_rescores_changed_patients_and_advances_the_others(
    fhir_server, cohort, first_run, tmp_path
):
    base = fhir_server.base_url
    previous = read_worklist(first_run[0])
    # a new group so this test does not change what the other tests' group holds
    group = "worklist-e2e-since"
    session = requests.Session()
    put_group(base, group, list(cohort), session)
    full = tmp_path / "week1.json"
    audit = f"sqlite:///{tmp_path / 'audit.sqlite3'}"
    args = ("--fhir-server", base, "--group", group, "--database-url", audit)
    assert run_worklist(*args, "--today", TODAY.isoformat(), "-o", str(full)).returncode == 0
    # a generated patient: the corpus and demo patients are shared with other tests' calls
    overdue = next(
        r
        for r in previous.rows
        if r.state == RowState.OVERDUE and r.tier and r.patient_id.startswith("cohort-")
    )
    ct = {
        "resourceType": "ImagingStudy",
        "id": f"{overdue.patient_id}-worklist-ct",
        "status": "available",
        "subject": {"reference": f"Patient/{overdue.patient_id}"},
        "started": TODAY.isoformat(),
        "modality": [{"system": "http://dicom.nema.org/resources/ontology/DCM", "code": "CT"}],
        "procedureCode": [{"text": "CT abdomen with contrast"}],
    }
    response = session.put(
        f"{base}/ImagingStudy/{ct['id']}", json=ct, headers=HEADERS, timeout=TIMEOUT_S
    )
    assert response.status_code in (200, 201), response.text[:300]
    newcomer = json.loads(
        json.dumps(cohort["pannet-demo-p06"]).replace("pannet-demo-p06", "worklist-new")
    )
    load_bundle(base, newcomer)
    put_group(base, group, [*cohort, "worklist-new"], session)

    later = date(2027, 6, 1)
    week2 = tmp_path / "week2.json"
    result = run_worklist(
        *args,
        "--today",
        later.isoformat(),
        "--since",
        "previous",
        "--previous",
        str(full),
        "-o",
        str(week2),
    )
    assert result.returncode == 0, result.stderr
    merged = read_worklist(week2)
    rows = {row.patient_id: row for row in merged.rows}
    assert merged.since == read_worklist(full).transaction_time
    # re-scored from the new data: the new CT ends the overdue state
    assert rows[overdue.patient_id].state != RowState.OVERDUE
    assert rows[overdue.patient_id].last_imaging == TODAY.isoformat()
    assert rows["worklist-new"].state == RowState.OVERDUE
    assert merged.counts.patients_scored < len(cohort)
    # every other row kept, re-evaluated for the later day: as a fresh scoring would give it
    for pid, bundle in cohort.items():
        if pid in (overdue.patient_id, "worklist-new"):
            continue
        fresh = expected_row(bundle, later, base)
        if fresh is None:
            assert pid in merged.without_net_ids
            continue
        kept = _normal(rows[pid])
        assert kept.pop("record_read_on") == TODAY.isoformat(), pid
        want = _normal(fresh)
        want.pop("record_read_on")
        assert kept == want, pid
    assert [r.state for r in merged.rows] == sorted(
        (r.state for r in merged.rows), key=STATE_ORDER.index
    )


def test_a_group_the_server_does_not_have_is_one_line(fhir_server, tmp_path):
    result = run_worklist(
        "--fhir-server",
        fhir_server.base_url,
        "--group",
        "no-such-group",
        "--database-url",
        f"sqlite:///{tmp_path / 'audit.sqlite3'}",
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr == (
        f"pannet-cds: Group/no-such-group: not found on {fhir_server.base_url}, or the server has"
        " no Group-level $export (answered 404: Group/no-such-group not found)\n"
    )


def test_the_run_is_stored_for_the_smart_apps_worklist_page(fhir_server, first_run):
    from cds_service.db import make_engine
    from cds_service.worklist.store import latest_worklist

    out, _ = first_run
    engine = make_engine(f"sqlite:///{out.parent / 'audit.sqlite3'}")
    try:
        stored = latest_worklist(engine, fhir_server.base_url)
    finally:
        engine.dispose()
    written = read_worklist(out)
    assert stored is not None and stored.group == GROUP
    assert [r.patient_id for r in stored.rows] == [r.patient_id for r in written.rows]
    assert stored.counts == written.counts


def test_html_output_is_one_self_contained_page_of_the_same_rows(
    fhir_server, cohort, first_run, tmp_path
):
    out = tmp_path / "worklist.html"
    _run_group_worklist(fhir_server.base_url, out, tmp_path)
    page = out.read_text()
    assert page.lower().startswith("<!doctype html>")
    expected = read_worklist(first_run[0]).rows
    for row in expected[:5]:
        assert row.patient_id in page
    # self-contained: nothing loaded from elsewhere
    assert 'src="http' not in page and "<link" not in page
