"""`pannet-cds score` ends its process once the answer is written (`cli_support.end_process`),
skipping Python's teardown of the heap: the same output, exit code and exit handlers as the
normal exit, which is still taken where the caller goes on (a test's `main([...])`, CliRunner)
or watches the process (a tracer or profiler)."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cds_service.cli import main
from tests.support.loopback import process_timeout

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
TODAY = "2026-11-21"

# Runs `main` as the console script does (no arguments: the process's own command line), after
# registering an exit handler and keeping an object whose finaliser runs only at a teardown.
_AS_SCRIPT = """
import atexit, os, sys
atexit.register(lambda: print("exit handler ran", file=sys.stderr))
class Torn:
    def __del__(self, write=os.write):  # the module's globals may be gone by then
        write(2, b"heap torn down\\n")
keep = Torn()
sys.argv = ["pannet-cds", *sys.argv[1:]]
from cds_service.cli import main
main({args})
"""


def run(code_args: str, *argv: str, trace: bool = False) -> subprocess.CompletedProcess[str]:
    code = _AS_SCRIPT.format(args=code_args)
    if trace:  # a tracer, as coverage or a debugger sets one
        code = "import sys; sys.settrace(lambda *a: None)\n" + code
    return subprocess.run(
        [sys.executable, "-c", code, *argv],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=process_timeout(),
    )


def with_report_text(tmp_path: Path) -> Path:
    bundle = json.loads((DATA / "realworld" / "rw01.bundle.json").read_text())
    text = (DATA / "reports" / "s01-synoptic-g2.txt").read_text()
    for entry in bundle["entry"]:
        if entry["resource"]["resourceType"] == "DiagnosticReport":
            data = base64.b64encode(text.encode()).decode()
            entry["resource"]["presentedForm"] = [{"contentType": "text/plain", "data": data}]
    path = tmp_path / "text.bundle.json"
    path.write_text(json.dumps(bundle))
    return path


def records(tmp_path: Path) -> list[Path]:
    bad = tmp_path / "bad-resource.json"
    bad.write_text(
        '[{"resourceType": "Patient", "id": "p"}, {"resourceType": "Observation", "id": "x",'
        ' "status": "final", "subject": {"reference": "Patient/p"}, "code": {"coding":'
        ' [{"system": "http://loinc.org", "code": "33728-7"}]}, "valueQuantity": {"value":'
        ' "big", "unit": "cm"}}]'
    )
    return [
        DATA / "cases" / "p01.bundle.json",
        DATA / "realworld" / "rw01.bundle.json",
        with_report_text(tmp_path),
        bad,  # assessed with a warning
    ]


def test_the_early_end_answers_exactly_as_the_normal_exit(tmp_path):
    for record in records(tmp_path):
        argv = ("score", str(record), "--today", TODAY)
        early = run("", *argv)
        normal = run("sys.argv[1:]", *argv)  # arguments given: the normal exit
        assert early.returncode == normal.returncode == 0, early.stderr
        assert early.stdout == normal.stdout and json.loads(early.stdout)["today"] == TODAY
        # the exit handlers ran either way; only the normal exit tore the heap down
        assert early.stderr.splitlines() == ["exit handler ran"], early.stderr
        assert normal.stderr.splitlines() == ["exit handler ran", "heap torn down"]


def test_errors_and_help_exit_as_before():
    early = run("", "score", "/nonexistent/record.json", "--today", TODAY)
    assert early.returncode == 2
    assert early.stderr.splitlines()[0].startswith("pannet-cds: /nonexistent/record.json")
    assert "heap torn down" in early.stderr  # a refusal takes the normal exit
    assert run("", "--help").returncode == 0


def test_a_traced_process_exits_normally():
    traced = run("", "score", str(DATA / "cases" / "p01.bundle.json"), "--today", TODAY, trace=True)
    assert traced.returncode == 0
    assert traced.stderr.splitlines() == ["exit handler ran", "heap torn down"]


@pytest.mark.parametrize("record", ["p01", "p02"])
def test_in_process_callers_go_on_after_the_command(record):
    path = DATA / "cases" / f"{record}.bundle.json"
    result = CliRunner().invoke(main, ["score", str(path), "--today", TODAY])
    assert result.exit_code == 0
    assert json.loads(result.output)["today"] == TODAY
    assert main.owns_process is False
