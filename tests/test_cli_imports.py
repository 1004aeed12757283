"""`pannet-cds score` and `--help` start without the server stack: no Flask, SQLAlchemy,
gunicorn, audit trail or sandbox code is imported (each sub-command loads what it uses). And
`score` loads only what its record needs: the report reader (medspaCy/spaCy, pypdf) only for a
report with text, PyYAML only for a YAML site file, and of the FHIR R4B model classes it builds
only those that validate one of its resources (`fhir_mappers.r4_models`). Times: bench/."""

from __future__ import annotations

import base64
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

# Runs the command in this interpreter, then reports which modules it loaded and which FHIR
# model classes have a built validator (pydantic's __pydantic_complete__).
_PROBE = """
import json, sys
from cds_service.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
fhir = [m for name, m in list(sys.modules.items()) if name.startswith("fhir.resources.R4B.")]
built = sorted(
    k.__name__ for m in fhir for k in vars(m).values()
    if isinstance(k, type) and k.__module__ == m.__name__ and getattr(k, "__pydantic_complete__", 0)
)
print(json.dumps({"exit": code, "modules": sorted(sys.modules), "built": built}), file=sys.stderr)
"""


def probe(*args: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, *args],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=process_timeout(),
    )
    report = json.loads(result.stderr.strip().splitlines()[-1])
    assert report["exit"] in (0, None), result.stderr
    return report


def loaded_modules(*args: str) -> list[str]:
    return probe(*args)["modules"]


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


# --- what `score` loads for its record ------------------------------------------------------
CODED_REPORT = REPO_ROOT / "tests" / "data" / "realworld" / "rw01.bundle.json"
READER = ("fhir_mappers.report_text.findings", "fhir_mappers.report_text.pipeline")
NOT_FOR_CODED_DATA = (*READER, "spacy", "medspacy", "pypdf", "requests", "yaml", "lxml", "html")
SYNOPTIC = "Tumor size: 2.6 cm\nKi-67 proliferation index: 7 %\nPerineural invasion: Present\n"


def loaded(modules: list[str], names: tuple[str, ...]) -> list[str]:
    return sorted({n for n in names for m in modules if m == n or m.startswith(n + ".")})


def with_report_text(tmp_path: Path) -> Path:
    bundle = json.loads(CODED_REPORT.read_text())
    report = next(
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "DiagnosticReport"
    )
    data = base64.b64encode(SYNOPTIC.encode()).decode()
    report["presentedForm"] = [{"contentType": "text/plain", "data": data}]
    path = tmp_path / "with-text.bundle.json"
    path.write_text(json.dumps(bundle))
    return path


@pytest.mark.parametrize("record", [CASE, CODED_REPORT], ids=["observations-only", "coded-report"])
def test_score_of_coded_data_loads_no_report_reader_yaml_or_http(record):
    modules = loaded_modules("score", str(record), "--today", "2026-11-21")
    assert "fhir_mappers.record" in modules  # the record was mapped
    assert loaded(modules, NOT_FOR_CODED_DATA) == []


def test_score_of_a_report_with_text_loads_the_reader(tmp_path):
    # the same probe sees the reader, and medspaCy, once a report carries text
    modules = loaded_modules("score", str(with_report_text(tmp_path)), "--today", "2026-11-21")
    assert loaded(modules, (*READER, "medspacy")) == [*READER, "medspacy"]


def test_score_builds_only_the_fhir_models_that_validate_a_resource():
    built = probe("score", str(CASE), "--today", "2026-11-21")["built"]
    # p01's Patient has a name and no contact, communication or link: those are never built
    assert {"Patient", "HumanName", "Observation", "Procedure", "Condition"} <= set(built)
    assert not {"PatientContact", "PatientCommunication", "PatientLink"} & set(built)
    assert "ObservationComponent" not in built and "Address" not in built


def test_a_yaml_site_file_still_loads_after_fhir_core(tmp_path):
    # r4_models keeps PyYAML out of fhir_core's import only; a YAML site file still reads
    config = tmp_path / "site.yaml"
    config.write_text("scores: {}\n")
    modules = loaded_modules("score", str(CASE), "--today", "2026-11-21", "--config", str(config))
    assert "yaml" in modules
