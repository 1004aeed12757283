"""Input fuzzing of `pannet-cds score`: any bytes on standard input give either the assessment
as JSON (exit 0) or one line on stderr (exit 2), never a traceback. The fuzzed runs are in
process (click's runner); the largest and deepest inputs also go through a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings

from cds_service.cli import main
from tests.support.fhir_strategies import case_bundle, payload_texts
from tests.support.loopback import process_timeout

EXAMPLES = 200
REPO_ROOT = Path(__file__).resolve().parent.parent
TEN_MB = 10 * 1024 * 1024


def check_outcome(exit_code: int, stdout: str, stderr: str) -> None:
    assert "Traceback" not in stdout + stderr
    if exit_code == 0:
        assert stderr == ""
        assessment = json.loads(stdout)
        assert {"overall_tier", "possible_tiers", "scores"} <= assessment.keys()
    else:
        assert exit_code == 2, stderr
        assert stdout == ""
        lines = stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("pannet-cds: ")


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(payload_texts())
def test_any_input_is_an_assessment_or_one_line_and_exit_2(text):
    result = CliRunner().invoke(main, ["score", "-", "--today", "2025-06-01"], input=text)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    check_outcome(result.exit_code, result.stdout, result.stderr)


def run_score(path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "cds_service.cli", "score", str(path), "--today", "2025-06-01"],
        capture_output=True,
        text=True,
        env=env,
        timeout=process_timeout(),
        check=False,
    )


def ten_mb_bundle() -> dict:
    """A real case padded past 10 MB with many harmless resources."""
    bundle = case_bundle("p01")
    filler = {
        "resourceType": "Basic",
        "code": {"text": "x" * 1000},
        "subject": {"reference": "Patient/p01"},
    }
    copies = TEN_MB // len(json.dumps(filler)) + 1
    bundle["entry"] += [{"resource": {**filler, "id": f"pad-{i}"}} for i in range(copies)]
    return bundle


@pytest.mark.parametrize(
    "name, content",
    [
        ("ten-mb.json", lambda: json.dumps(ten_mb_bundle())),
        (
            "deep.json",
            lambda: '{"resourceType": "Bundle", "entry": ' + '{"a":' * 5000 + "1" + "}" * 5001,
        ),
        ("nested-arrays.json", lambda: "[" * 200_000 + "]" * 200_000),
        ("not-utf8.json", lambda: b"\xff\xfe{\x00}".decode("latin-1")),
        ("nan.json", lambda: '{"resourceType": "Bundle", "entry": [NaN, Infinity]}'),
    ],
)
def test_extreme_files_through_the_real_command(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content(), encoding="latin-1" if name == "not-utf8.json" else "utf-8")
    result = run_score(path)
    check_outcome(result.returncode, result.stdout, result.stderr)


def test_ten_mb_case_still_gets_its_assessment(tmp_path):
    path = tmp_path / "big.json"
    path.write_text(json.dumps(ten_mb_bundle()))
    assert path.stat().st_size > TEN_MB
    result = run_score(path)
    assert result.returncode == 0, result.stderr
    expected = json.loads((REPO_ROOT / "tests/data/cases/p01.expected.json").read_text())
    assert json.loads(result.stdout)["overall_tier"] == expected["overall"]
