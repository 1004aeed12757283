"""The audit trail on the real databases (a SQLite file and PostgreSQL): write, read back,
retention, export as CSV and JSON, and the `pannet-cds audit` commands."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta

from click.testing import CliRunner

from cds_service.audit.export import ExportFormat, export_records
from cds_service.audit.records import AuditCard, AuditRecord, audit_record
from cds_service.audit.store import AuditRecorder, prune_audit, read_audit, write_audit
from cds_service.cli import main
from cds_service.scoring_pipeline import assess_resources
from scoring.site_config import DEFAULT_SITE_CONFIG
from tests.report_text_support import record_for as report_record_for
from tests.support.cds_calls import case_resources

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def record_for(case: str, *, at: datetime = NOW, hook_instance: str = "hi-1") -> AuditRecord:
    assessment = assess_resources(case_resources(case), today=date(2026, 3, 1))
    return audit_record(
        recorded_at=at,
        service_id="pannet-cds-patient-view",
        hook="patient-view",
        hook_instance=hook_instance,
        patient_ref=f"Patient/{case}",
        assessment=assessment,
        site=DEFAULT_SITE_CONFIG,
        cards=[
            AuditCard(
                uuid="0b3c7c1e-6f0e-4b53-9f1c-2f3c1d5e6a7b",
                indicator="warning",
                summary="Intermediate recurrence risk",
            )
        ],
    )


def test_record_carries_versions_inputs_with_sources_and_tier():
    record = record_for("p01")
    assert record.overall_tier == "intermediate"
    zaidi = next(v for v in record.score_versions if v.id == "zaidi-rrs-2019")
    assert zaidi.version == "2019.1"
    assert zaidi.weights_origin == "published"
    size = next(i for i in record.inputs if i.id == "tumor_size_cm")
    assert size.value is not None
    assert size.sources and all("/" in s for s in size.sources)


def test_round_trip_keeps_every_field(engine):
    record = record_for("p01")
    row_id = write_audit(engine, record)
    [stored] = list(read_audit(engine))
    assert stored.id == row_id
    assert stored.model_dump(exclude={"id"}) == record.model_dump(exclude={"id"})
    assert stored.recorded_at == NOW


def test_a_value_read_from_report_text_is_flagged_and_quoted_in_the_stored_record(engine):
    resources, _meta, report_ref = report_record_for("s01-synoptic-g2")
    assessment = assess_resources(resources, today=date(2026, 3, 1))
    record = audit_record(
        recorded_at=NOW,
        service_id="pannet-cds-pathology",
        hook="order-sign",
        hook_instance="hi-text",
        patient_ref=None,
        assessment=assessment,
        site=DEFAULT_SITE_CONFIG,
        cards=[],
    )
    write_audit(engine, record)
    [stored] = list(read_audit(engine))
    from_text = [i for i in stored.inputs if i.read_from_text]
    assert from_text, "the synoptic report's values are read from text"
    for item in from_text:
        assert item.quote and report_ref in item.sources
    assert not any(i.read_from_text for i in stored.inputs if i.id == "sex")


def test_unknown_tier_is_stored_as_null_not_low(engine):
    write_audit(engine, record_for("p04"))
    [stored] = list(read_audit(engine))
    assert stored.overall_tier is None
    assert set(stored.possible_tiers) == {"low", "intermediate", "high"}


def test_read_filters_by_time_window_and_service(engine):
    for days in range(5):
        write_audit(
            engine, record_for("p02", at=NOW - timedelta(days=days), hook_instance=f"h{days}")
        )
    window = list(read_audit(engine, since=NOW - timedelta(days=2), until=NOW))
    # In the order written (the service writes them as they happen).
    assert [r.hook_instance for r in window] == ["h1", "h2"]
    assert list(read_audit(engine, service_id="another")) == []


def test_prune_deletes_only_records_past_retention(engine):
    write_audit(engine, record_for("p01", at=NOW - timedelta(days=40), hook_instance="old"))
    write_audit(engine, record_for("p01", at=NOW - timedelta(days=10), hook_instance="new"))
    assert prune_audit(engine, retention_days=30, now=NOW) == 1
    assert [r.hook_instance for r in read_audit(engine)] == ["new"]


def test_recorder_prunes_at_most_once_per_interval(engine):
    clock = [0.0]
    recorder = AuditRecorder(engine, 30, prune_interval_s=3600, monotonic=lambda: clock[0])
    long_ago = datetime.now(UTC) - timedelta(days=400)
    recorder.record(record_for("p01", at=datetime.now(UTC), hook_instance="a"))
    write_audit(engine, record_for("p01", at=long_ago, hook_instance="old"))
    recorder.record(record_for("p01", at=datetime.now(UTC), hook_instance="b"))
    # The first write pruned; within the hour the old record survives.
    assert "old" in {r.hook_instance for r in read_audit(engine)}
    clock[0] = 3601.0
    recorder.record(record_for("p01", at=datetime.now(UTC), hook_instance="c"))
    assert {r.hook_instance for r in read_audit(engine)} == {"a", "b", "c"}


def test_recorder_without_retention_never_prunes(engine):
    recorder = AuditRecorder(engine, None, prune_interval_s=0)
    write_audit(engine, record_for("p01", at=NOW - timedelta(days=4000), hook_instance="ancient"))
    recorder.record(record_for("p01", at=datetime.now(UTC), hook_instance="now"))
    assert {r.hook_instance for r in read_audit(engine)} == {"ancient", "now"}


def test_csv_export_has_one_row_per_assessment_with_json_cells():
    records = [record_for("p01", hook_instance="x"), record_for("p04", hook_instance="y")]
    out = io.StringIO()
    assert export_records(records, out, ExportFormat.CSV) == 2
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [r["hook_instance"] for r in rows] == ["x", "y"]
    assert rows[0]["overall_tier"] == "intermediate"
    assert rows[1]["overall_tier"] == ""
    inputs = json.loads(rows[0]["inputs"])
    assert any(i["sources"] for i in inputs)
    assert json.loads(rows[0]["cards"])[0]["indicator"] == "warning"


def test_json_export_is_a_valid_array_even_when_empty():
    out = io.StringIO()
    assert export_records([], out, ExportFormat.JSON) == 0
    assert json.loads(out.getvalue()) == []
    out = io.StringIO()
    export_records([record_for("p03")], out, ExportFormat.JSON)
    [item] = json.loads(out.getvalue())
    assert item["overall_tier"] == "high"
    assert AuditRecord.model_validate(item).patient_ref == "Patient/p03"


def test_cli_export_and_prune(database_url, engine, tmp_path):
    write_audit(
        engine, record_for("p01", at=datetime.now(UTC) - timedelta(days=100), hook_instance="o")
    )
    write_audit(engine, record_for("p02", at=datetime.now(UTC), hook_instance="n"))
    runner = CliRunner()
    out_file = tmp_path / "audit.json"
    result = runner.invoke(
        main,
        [
            "audit",
            "export",
            "--format",
            "json",
            "-o",
            str(out_file),
            "--database-url",
            database_url,
        ],
    )
    assert result.exit_code == 0, result.output
    assert [r["hook_instance"] for r in json.loads(out_file.read_text())] == ["o", "n"]

    result = runner.invoke(
        main,
        ["audit", "prune", "--database-url", database_url],
        env={"PANNET_CDS_AUDIT_RETENTION_DAYS": "30"},
    )
    assert result.exit_code == 0, result.output
    assert "1 audit record(s)" in result.output

    result = runner.invoke(main, ["audit", "export", "--database-url", database_url])
    assert result.exit_code == 0
    assert next(iter(csv.DictReader(io.StringIO(result.stdout))))["hook_instance"] == "n"


def test_cli_prune_needs_a_retention_period(tmp_path):
    result = CliRunner().invoke(
        main,
        ["audit", "prune", "--database-url", f"sqlite:///{tmp_path / 'x.sqlite3'}"],
        env={"PANNET_CDS_AUDIT_RETENTION_DAYS": ""},
    )
    assert result.exit_code == 2
    assert "--days" in result.output
