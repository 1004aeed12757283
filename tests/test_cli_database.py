"""Read-only database commands (`feedback-stats`, `audit export|prune`) never create a database
where they happen to be run, and `audit export` refuses a reversed time range."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cds_service.cli import main
from cds_service.db import create_schema, make_engine

ENV = "PANNET_CDS_DATABASE_URL"


def invoke(args: list[str], **env: str):
    return CliRunner().invoke(main, args, env={ENV: "", **env})


@pytest.mark.parametrize(
    "args",
    [["feedback-stats"], ["feedback-stats", "--json"], ["audit", "export"]],
)
def test_missing_sqlite_file_is_refused_and_not_created(tmp_path, args):
    missing = tmp_path / "nowhere" / "cds.sqlite3"
    url = f"sqlite:///{missing}"
    result = invoke(args, **{ENV: url})
    assert result.exit_code == 2
    assert result.stdout == ""
    message = result.stderr.strip()
    assert message.startswith("pannet-cds: database file ")
    assert str(missing) in message and url in message and ENV in message
    assert not missing.exists() and not missing.parent.exists()


def test_default_database_in_the_working_directory_is_not_created(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["feedback-stats"], env={ENV: None})
    assert result.exit_code == 2
    assert "pannet-cds.sqlite3" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_prune_refuses_a_missing_database(tmp_path):
    missing = tmp_path / "cds.sqlite3"
    result = invoke(["audit", "prune", "--days", "30", "--database-url", f"sqlite:///{missing}"])
    assert result.exit_code == 2
    assert not missing.exists()


def test_existing_database_is_read(tmp_path):
    url = f"sqlite:///{tmp_path / 'cds.sqlite3'}"
    create_schema(make_engine(url))
    result = invoke(["feedback-stats", "--json"], **{ENV: url})
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("since", "until"),
    [("2026-02-01", "2026-01-01"), ("2026-01-01T10:00:00", "2026-01-01T10:00:00")],
)
def test_reversed_or_empty_export_range_is_refused(tmp_path, since, until):
    url = f"sqlite:///{tmp_path / 'cds.sqlite3'}"
    create_schema(make_engine(url))
    result = invoke(["audit", "export", "--since", since, "--until", until, "--database-url", url])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "is not before --until" in result.stderr


def test_ordered_export_range_is_accepted(tmp_path):
    url = f"sqlite:///{tmp_path / 'cds.sqlite3'}"
    create_schema(make_engine(url))
    result = invoke(
        ["audit", "export", "--since", "2026-01-01", "--until", "2026-02-01", "--database-url", url]
    )
    assert result.exit_code == 0, result.output
    assert "0 audit record(s) exported" in result.stderr


@pytest.mark.parametrize("value", ["2026-13-01", "01/02/2026", "2026-01-01 10:00"])
def test_malformed_export_time_says_the_expected_format(tmp_path, value):
    url = f"sqlite:///{tmp_path / 'cds.sqlite3'}"
    create_schema(make_engine(url))
    result = invoke(["audit", "export", "--since", value, "--database-url", url])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"pannet-cds: --since {value!r}: not a date or time, expected YYYY-MM-DD or"
        " YYYY-MM-DDThh:mm:ss (optionally with an offset such as +01:00)"
    ]
