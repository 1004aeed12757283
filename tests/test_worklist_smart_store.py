"""Worklist runs in the service's database, on SQLite and on PostgreSQL (each test runs on both;
PostgreSQL skips with its reason when 127.0.0.1:5432 cannot be reached): a run read back is the
run stored, the latest per FHIR server (and Group) is found, a fresh database gets its table."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, inspect, select, update

from cds_service.db import make_engine
from cds_service.worklist.store import (
    WorklistStoreError,
    latest_worklist,
    save_worklist,
    worklist_runs,
)
from tests.worklist_samples import sample_worklist

SERVER = "http://fhir.example.org/fhir"


def test_round_trip_is_the_same_worklist(engine: Engine) -> None:
    worklist = sample_worklist(SERVER)
    save_worklist(engine, worklist)
    assert latest_worklist(engine, SERVER, "net-clinic") == worklist
    assert latest_worklist(engine, SERVER) == worklist


def test_a_fresh_database_gets_its_table_at_the_first_save(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        assert "worklist_runs" not in inspect(engine).get_table_names()
        save_worklist(engine, sample_worklist(SERVER))
        assert latest_worklist(engine, SERVER) is not None
    finally:
        engine.dispose()


def test_latest_per_server_and_group(engine: Engine) -> None:
    old = sample_worklist(SERVER, generated_at="2026-11-24T06:00:00Z")
    new = sample_worklist(SERVER, generated_at="2026-12-01T06:00:00+00:00")
    other_group = sample_worklist(SERVER, group="other", generated_at="2026-11-30T06:00:00Z")
    everyone = sample_worklist(SERVER, group=None, generated_at="2026-11-29T06:00:00Z")
    other_server = sample_worklist(
        "http://elsewhere.example/fhir", generated_at="2026-12-02T00:00Z"
    )
    # stored out of time order: the newest run wins, not the last one written
    for run in (new, old, other_group, everyone, other_server):
        save_worklist(engine, run)
    assert latest_worklist(engine, SERVER, "net-clinic") == new
    assert latest_worklist(engine, SERVER, "other") == other_group
    assert latest_worklist(engine, SERVER, "") == everyone
    assert latest_worklist(engine, SERVER) == new
    assert latest_worklist(engine, "http://elsewhere.example/fhir") == other_server
    assert latest_worklist(engine, "http://nobody.example/fhir") is None


def test_the_server_url_is_matched_without_its_trailing_slash(engine: Engine) -> None:
    worklist = sample_worklist(f"{SERVER}/")
    save_worklist(engine, worklist)
    assert latest_worklist(engine, f"  {SERVER}") == worklist


def test_times_in_other_zones_are_compared_as_instants(engine: Engine) -> None:
    earlier = sample_worklist(SERVER, generated_at="2026-12-01T07:00:00+02:00")  # 05:00 UTC
    later = sample_worklist(SERVER, generated_at="2026-12-01T06:00:00Z")
    save_worklist(engine, later)
    save_worklist(engine, earlier)
    assert latest_worklist(engine, SERVER) == later


def test_a_worklist_without_its_server_is_refused(engine: Engine) -> None:
    with pytest.raises(WorklistStoreError, match="without its FHIR server"):
        save_worklist(engine, sample_worklist(None))


def test_a_bad_generated_at_is_named(engine: Engine) -> None:
    with pytest.raises(WorklistStoreError, match="generated_at is not an ISO date-time"):
        save_worklist(engine, sample_worklist(SERVER, generated_at="last tuesday"))


def test_a_stored_document_this_version_cannot_read_is_a_clear_error(engine: Engine) -> None:
    save_worklist(engine, sample_worklist(SERVER))
    with engine.begin() as connection:
        connection.execute(update(worklist_runs).values(document='{"format_version": 99}'))
    with pytest.raises(WorklistStoreError, match="produce a new one with `pannet-cds worklist`"):
        latest_worklist(engine, SERVER)


def test_the_indexed_columns_are_stored_beside_the_document(engine: Engine) -> None:
    save_worklist(engine, sample_worklist(f"{SERVER}/", group=None))
    with engine.connect() as connection:
        row = connection.execute(select(worklist_runs)).one()
    assert (row.fhir_server, row.group_id, row.format_version) == (SERVER, "", 1)
    assert row.generated_at.year == 2026 and '"rows"' in row.document
