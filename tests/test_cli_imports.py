"""`pannet-cds score` and `--help` start without the server stack: no Flask, SQLAlchemy,
gunicorn, audit trail or sandbox code is imported (each sub-command loads what it uses)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cds_service.cli import _LAZY_COMMANDS
from cds_service.cli_lazy import load_command
from tests.support.loopback import process_timeout

REPO_ROOT = Path(__file__).resolve().parent.parent
CASE = REPO_ROOT / "tests" / "data" / "cases" / "p01.bundle.json"
HEAVY = (
    "flask",
    "sqlalchemy",
    "gunicorn",
    "cds_service.app",
    "cds_service.server",
    "cds_service.db",
    "cds_service.audit",
    "cds_service.sandbox",
)

# Runs the command in this interpreter, then reports which modules it loaded.
_PROBE = """
import json, sys
from cds_service.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
print(json.dumps({"exit": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""


def loaded_modules(*args: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, *args],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=process_timeout(),
    )
    report = json.loads(result.stderr.strip().splitlines()[-1])
    assert report["exit"] in (0, None), result.stderr
    return report["modules"]


def heavy_modules(modules: list[str]) -> list[str]:
    return [m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY)]


@pytest.mark.parametrize(
    "args",
    [
        ["score", str(CASE), "--today", "2026-11-21"],
        ["--help"],
        ["score", "--help"],
    ],
)
def test_command_does_not_import_the_server_stack(args):
    modules = loaded_modules(*args)
    assert "cds_service.cli" in modules
    assert heavy_modules(modules) == []


def test_the_probe_sees_a_heavy_import():
    # the same probe on a command that needs the database must see SQLAlchemy
    assert "sqlalchemy" in heavy_modules(loaded_modules("audit", "--help"))


@pytest.mark.parametrize("name", sorted(_LAZY_COMMANDS))
def test_lazy_help_line_matches_the_group(name):
    target, short_help = _LAZY_COMMANDS[name]
    assert load_command(target).get_short_help_str(limit=200) == short_help
