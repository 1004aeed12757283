"""Assessment → worklist row, the list's order, the writers, and re-evaluating a kept row for a
later day (incremental runs), over the real-world corpus, the demo patients and a generated
cohort scored in process (the end-to-end test does the same through a FHIR server)."""

from __future__ import annotations

import csv
import io
from datetime import date
from functools import cache
from typing import Any

import pytest

from bench.cohort import generate_cohort
from cds_service.sandbox.patients import demo_patients
from cds_service.scoring_pipeline import assess_resources
from cds_service.worklist.audit_line import audit_run_record, summary_text
from cds_service.worklist.merge import MergeError, check_mergeable, merge_into, reevaluate
from cds_service.worklist.models import RowState, Worklist, WorklistCounts, WorklistRow
from cds_service.worklist.row_store import RowStore
from cds_service.worklist.rows import NO_RESECTION_DATE, patient_identity, plan_fields, row_for
from cds_service.worklist.scoring import assess_record
from cds_service.worklist.writers import write_csv, write_json
from fhir_mappers.payload import resources_from_payload
from scoring.assessment import SurveillancePlan, Tier
from scoring.site_config import DEFAULT_SITE_CONFIG
from tests.support.realworld import CASES, expected_of, load_bundle_of

TODAY = date(2026, 12, 1)
SITE = DEFAULT_SITE_CONFIG


@cache
def _bundles() -> tuple[tuple[str, dict[str, Any]], ...]:
    bundles = [load_bundle_of(c) for c in CASES] + [p.bundle for p in demo_patients()]
    bundles += generate_cohort(12, seed=3)
    out = []
    for bundle in bundles:
        entries = bundle["entry"]
        pid = next(
            e["resource"]["id"] for e in entries if e["resource"]["resourceType"] == "Patient"
        )
        out.append((pid, bundle))
    return tuple(out)


def records() -> list[tuple[str, list[dict[str, Any]]]]:
    """Patient id → resources as `resources_from_payload` gives them (with their fullUrls, which
    Bundle-internal references need)."""
    return [(pid, resources_from_payload(bundle)) for pid, bundle in _bundles()]


def row_of(resources, today: date, due_within: int = 30) -> WorklistRow | None:
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    inputs, assessment = assess_record(resources, today=today, site=SITE, fhir_base=None)
    return row_for(
        patient, patient["id"], inputs, assessment, today=today, due_within_days=due_within
    )


def test_the_worklist_scores_exactly_as_the_hooks_pipeline():
    for pid, resources in records():
        _inputs, assessment = assess_record(list(resources), today=TODAY, site=SITE, fhir_base=None)
        assert assessment == assess_resources(list(resources), today=TODAY), pid


def test_out_of_scope_and_recurrence_rows_say_why_with_the_source():
    for case in CASES:
        expected = expected_of(case)
        row = row_of(resources_from_payload(load_bundle_of(case)), TODAY)
        if expected["scope_code"] is None:
            continue
        if expected["scope_code"] == "recurrence-on-record":
            assert row.state == RowState.RECURRENCE
            assert row.reason.startswith("recurrence on record")
            assert any(ref in row.reason for ref in row.sources), (case, row.reason)
        elif expected["scope_code"]:
            assert row.state == RowState.OUT_OF_SCOPE and row.reason, case
            assert row.next_due is None and row.tier is None


def test_a_patient_without_a_net_diagnosis_gets_no_row():
    patient = {"resourceType": "Patient", "id": "x", "gender": "female"}
    assert row_of([patient], TODAY) is None


def test_the_state_is_the_first_that_applies_in_urgency_order():
    p04 = dict(records())["pannet-demo-p04"]  # tier undetermined, resected 2024-03-04
    early = row_of(p04, date(2024, 4, 1))
    assert early.state == RowState.UNDETERMINED
    assert early.missing_data and early.tier is None and len(early.possible_tiers) > 1
    due = row_of(p04, date(2024, 8, 20))  # first exam 2024-09-04 within 30 days
    assert due.state == RowState.DUE and due.next_due == "2024-09-04"
    assert due.missing_data == early.missing_data  # still named, but "due" comes first
    late = row_of(p04, TODAY)
    assert late.state == RowState.OVERDUE and late.days_overdue == (TODAY - date(2024, 9, 4)).days
    p02 = dict(records())["pannet-demo-p02"]  # tier settled
    assert row_of(p02, date(2024, 4, 1)).state == RowState.ON_SCHEDULE
    assert row_of(p02, date(2024, 4, 1), due_within=365).state == RowState.DUE


def _plan(**kw) -> SurveillancePlan:
    base = {"tier": Tier.HIGH, "basis": "b", "anchor_date": "2026-01-01", "next_due": "2027-01-01"}
    return SurveillancePlan(**(base | kw))


def test_an_unknown_tier_is_undetermined_only_when_the_missing_data_changes_the_schedule():
    assert plan_fields(_plan(), today=TODAY, due_within_days=30)["state"] == RowState.ON_SCHEDULE
    lighter = plan_fields(_plan(lighter_if_known=["Ki-67"]), today=TODAY, due_within_days=30)
    assert lighter["state"] == RowState.UNDETERMINED and lighter["missing_data"] == ["Ki-67"]
    undated = plan_fields(_plan(anchor_date=None, next_due=None), today=TODAY, due_within_days=30)
    assert undated["state"] == RowState.UNDETERMINED
    assert undated["missing_data"] == [NO_RESECTION_DATE] and undated["next_exam"] is None


def _row(pid: str, state: RowState, **kw) -> WorklistRow:
    return WorklistRow(patient_id=pid, state=state, scored_at="2026-12-01", **kw)


@pytest.fixture
def store(tmp_path):
    rows = RowStore(tmp_path / "rows.sqlite3")
    yield rows
    rows.close()


def test_ranking_puts_the_most_overdue_first_then_the_soonest_due(store):
    rows = [
        _row("a", RowState.OUT_OF_SCOPE),
        _row("b", RowState.DUE, next_due="2026-12-20"),
        _row("c", RowState.OVERDUE, days_overdue=10),
        _row("d", RowState.RECURRENCE),
        _row("e", RowState.OVERDUE, days_overdue=400),
        _row("f", RowState.DUE, next_due="2026-12-05"),
        _row("g", RowState.UNDETERMINED),
        _row("h", RowState.ON_SCHEDULE, next_due="2027-05-01"),
        _row("i", RowState.UNDETERMINED, next_due="2027-01-01"),
    ]
    for row in rows:
        store.add(row)
    assert [r.patient_id for r in store.ranked_rows()] == [
        "e",
        "c",
        "f",
        "b",
        "i",
        "g",
        "d",
        "h",
        "a",
    ]


def test_counts_per_state_and_tier_of_rows_in_scope(store):
    for row in [
        _row("a", RowState.OVERDUE, tier=Tier.HIGH),
        _row("b", RowState.UNDETERMINED),
        _row("c", RowState.RECURRENCE),
    ]:
        store.add(row)
        store.mark_scored(row.patient_id)
    store.add_without_net("d")
    store.mark_scored("d")
    counts = store.counts(patients_exported=4, lines_skipped=2)
    assert (counts.patients_scored, counts.patients_without_net, counts.lines_skipped) == (4, 1, 2)
    assert counts.by_state == {
        RowState.OVERDUE: 1,
        RowState.UNDETERMINED: 1,
        RowState.RECURRENCE: 1,
    }
    assert counts.by_tier == {"high": 1, "undetermined": 1}


@pytest.mark.parametrize(
    "later", [date(2024, 8, 20), date(2025, 3, 1), date(2027, 6, 1), date(2031, 1, 1)]
)
def test_a_kept_row_reevaluated_for_a_later_day_is_the_row_a_fresh_scoring_gives(later):
    changed = 0
    for pid, resources in records():
        first = row_of(resources, date(2024, 4, 1))
        if first is None:
            continue
        kept = reevaluate(first, today=later, due_within_days=30, site=SITE)
        fresh = row_of(resources, later)
        assert kept.model_dump(exclude={"record_read_on"}) == fresh.model_dump(
            exclude={"record_read_on"}
        ), pid
        assert kept.record_read_on == "2024-04-01"
        changed += first.state != fresh.state
    assert changed  # the day moved some patient to another state: re-evaluation was needed


def _worklist(rows: list[WorklistRow], **kw) -> Worklist:
    base = {
        "generated_at": "2026-12-01T00:00:00+00:00",
        "today": "2026-12-01",
        "fhir_server": "http://fhir.example/r4",
        "due_within_days": 30,
        "rows": rows,
        "counts": WorklistCounts(),
    }
    return Worklist(**(base | kw))


def test_merge_keeps_unchanged_patients_and_takes_the_rescored(store):
    old = [_row("a", RowState.RECURRENCE, reason="r"), _row("b", RowState.OUT_OF_SCOPE, reason="o")]
    store.add(_row("b", RowState.OVERDUE, days_overdue=3))
    store.mark_scored("b")
    store.mark_scored("c")  # re-scored: now without a NET diagnosis... or with one
    previous = _worklist(old, without_net_ids=["c", "d"])
    merge_into(store, previous, today=TODAY, due_within_days=30, site=SITE)
    assert [(r.patient_id, r.state) for r in store.ranked_rows()] == [
        ("b", RowState.OVERDUE),
        ("a", RowState.RECURRENCE),
    ]
    assert list(store.without_net_ids()) == ["d"]


def test_merge_refuses_another_server_or_group():
    previous = _worklist([], group="g1")
    check_mergeable(previous, fhir_server="http://fhir.example/r4/", group="g1")
    with pytest.raises(MergeError, match=r"from http://fhir\.example/r4, not http://other"):
        check_mergeable(previous, fhir_server="http://other", group="g1")
    with pytest.raises(MergeError, match="for group g1, not g2"):
        check_mergeable(previous, fhir_server="http://fhir.example/r4", group="g2")


def test_identity_from_the_patient_resource():
    patient = {
        "resourceType": "Patient",
        "name": [
            {"use": "nickname", "given": ["Bo"]},
            {"use": "official", "given": ["Ann", "B"], "family": "Lee"},
        ],
        "birthDate": "1960-02-03",
        "identifier": [
            {"system": "urn:ins", "value": "INS-1"},
            {
                "type": {
                    "coding": [
                        {"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}
                    ]
                },
                "value": "MRN-9",
            },
        ],
    }
    assert patient_identity(patient) == {
        "name": "Ann B Lee",
        "birth_date": "1960-02-03",
        "mrn": "MRN-9",
    }
    assert patient_identity({"resourceType": "Patient", "name": "bad"}) == {
        "name": None,
        "birth_date": None,
        "mrn": None,
    }


def test_csv_cells_cannot_run_as_spreadsheet_formulas():
    row = _row(
        "a", RowState.DUE, name='=HYPERLINK("http://x")', sources=["Patient/a", "Condition/c"]
    )
    out = io.StringIO()
    write_csv([row], out)
    table = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert table[0]["name"] == '\'=HYPERLINK("http://x")'
    assert table[0]["sources"] == "Patient/a Condition/c"


@pytest.mark.parametrize("count", [0, 1, 3])
def test_json_output_reads_back_as_the_same_worklist(count):
    rows = [_row(f"p{n}", RowState.DUE, next_due="2026-12-20") for n in range(count)]
    worklist = _worklist(rows, without_net_ids=[f"x{n}" for n in range(count)])
    out = io.StringIO()
    write_json(_worklist([]), rows, worklist.without_net_ids, out)
    assert Worklist.model_validate_json(out.getvalue()) == worklist


def test_the_audit_line_holds_counts_and_no_patient_data():
    rows = [row_of(r, TODAY) for _pid, r in records()[:8]]
    rows = [r for r in rows if r]
    by_state: dict = {}
    for row in rows:
        by_state[row.state] = by_state.get(row.state, 0) + 1
    worklist = _worklist(rows, counts=WorklistCounts(patients_exported=8, by_state=by_state))
    record = audit_run_record(worklist, SITE).model_dump_json()
    for row in rows:
        assert row.patient_id not in record
        assert not row.name or row.name not in record
    assert summary_text(worklist) in record and record.count('"patients_exported"') == 1
