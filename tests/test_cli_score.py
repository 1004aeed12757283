"""`pannet-cds score` as a user runs it: a real process, the shared cases, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.loopback import process_timeout

CASES = Path(__file__).parent / "data" / "cases"
CASE_IDS = sorted(p.name.split(".")[0] for p in CASES.glob("*.bundle.json"))


def run_score(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cds_service.cli", "score", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=process_timeout(),
    )


@pytest.fixture(scope="module")
def scored() -> dict[str, dict]:
    out = {}
    for case in CASE_IDS:
        result = run_score(str(CASES / f"{case}.bundle.json"), "--today", "2026-11-21")
        assert result.returncode == 0, result.stderr
        out[case] = json.loads(result.stdout)
    return out


def test_every_shared_case_is_scored(scored):
    assert set(scored) == {"p01", "p02", "p03", "p04"}


@pytest.mark.parametrize("case", CASE_IDS)
def test_shared_case_matches_its_expected_facts(scored, case):
    assessment = scored[case]
    expected = json.loads((CASES / f"{case}.expected.json").read_text())
    scores = {s["id"]: s for s in assessment["scores"]}
    for key, facts in expected.items():
        if key == "overall":
            assert assessment["overall_tier"] == facts
        elif key == "surveillance":
            assert assessment["surveillance"]["tier"] == facts
        else:
            score = scores[key]
            if "status" in facts:
                assert score["status"] == facts["status"]
            if "points_range" in facts:
                assert score["points_range"] == facts["points_range"]
            if "tier" in facts:
                assert score["tier"] == facts["tier"]
            if "possible" in facts:
                assert sorted(score["possible_tiers"]) == sorted(facts["possible"])
            if "present" in facts:
                assert score["present"] == facts["present"]
            if "unknown" in facts:
                assert score["unknown"] == facts["unknown"]


def test_every_factor_names_its_source_resource(scored):
    for assessment in scored.values():
        for score in assessment["scores"]:
            for factor in score["factors"]:
                if factor["value"] is not None:
                    assert factor["source"], (score["id"], factor["id"])
                    kind = factor["source"].split("/")[0]
                    assert kind in {
                        "Patient",
                        "Observation",
                        "Condition",
                        "Procedure",
                        "DiagnosticReport",
                        "MedicationRequest",
                        "MedicationStatement",
                    }


def test_shape_follows_the_contract(scored):
    a = scored["p01"]
    assert set(a) >= {"overall_tier", "possible_tiers", "scores", "surveillance"}
    assert set(a["surveillance"]) >= {"tier", "next_due", "schedule_months", "overdue"}
    for score in a["scores"]:
        assert set(score) >= {
            "id",
            "status",
            "points",
            "points_range",
            "max_points",
            "tier",
            "possible_tiers",
            "factors",
            "missing",
            "reason",
        }
        for factor in score["factors"]:
            assert set(factor) >= {"id", "value", "points", "source"}


def test_p04_never_claims_a_tier_and_schedules_by_the_highest(scored):
    a = scored["p04"]
    assert a["overall_tier"] is None
    assert a["surveillance"]["tier"] == "high"
    assert "Ki-67 index (LOINC 29593-1)" in a["surveillance"]["lighter_if_known"]


def test_reads_standard_input():
    text = (CASES / "p02.bundle.json").read_text()
    result = run_score("-", "--today", "2026-11-21", stdin=text)
    assert result.returncode == 0
    assert json.loads(result.stdout)["overall_tier"] == "low"


def test_bare_resource_array_is_accepted():
    bundle = json.loads((CASES / "p03.bundle.json").read_text())
    resources = [entry["resource"] for entry in bundle["entry"]]
    result = run_score("-", "--today", "2026-11-21", stdin=json.dumps(resources))
    assert result.returncode == 0
    assert json.loads(result.stdout)["overall_tier"] == "high"


def test_bundle_type_does_not_matter():
    bundle = json.loads((CASES / "p01.bundle.json").read_text())
    bundle["type"] = "searchset"
    result = run_score("-", "--today", "2026-11-21", stdin=json.dumps(bundle))
    assert result.returncode == 0
    assert json.loads(result.stdout)["overall_tier"] == "intermediate"


@pytest.mark.parametrize(
    ("payload", "says"),
    [
        ("this is not json", "not JSON"),
        ("", "file is empty"),
        ("  \n\t ", "file is empty"),
        ('"a string"', ""),
        ("42", ""),
        ('{"no": "resourceType"}', "resourceType"),
        ('{"resourceType": "Bundle", "type": "collection", "entry": {"a": 1}}', "entry"),
    ],
)
def test_bad_input_is_one_clear_line_and_exit_2(payload, says):
    result = run_score("-", stdin=payload)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert says in lines[0]


def with_bad_date(case: str, resource_type: str, element: str, value: str) -> tuple[str, str]:
    """The case bundle with `element` of its (first) `resource_type` set to `value`."""
    bundle = json.loads((CASES / f"{case}.bundle.json").read_text())
    resource = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == resource_type
    )
    for key in [k for k in resource if k.startswith(element.removesuffix("DateTime"))]:
        del resource[key]
    resource[element] = value
    return json.dumps(bundle), f"{resource_type}/{resource['id']}"


@pytest.mark.parametrize(
    ("resource_type", "element", "value", "says"),
    [
        ("Patient", "birthDate", "12/03/1960", "expected YYYY-MM-DD"),
        ("Procedure", "performedDateTime", "2024-13-45", "expected YYYY-MM-DD or YYYY-MM-DDThh"),
    ],
)
def test_malformed_fhir_date_names_the_expected_format(resource_type, element, value, says):
    text, culprit = with_bad_date("p01", resource_type, element, value)
    result = run_score("-", "--today", "2026-11-21", stdin=text)
    # refused naming the resource, or (one bad resource costs only itself) a warning saying so
    said = (
        result.stderr if result.returncode == 2 else " ".join(json.loads(result.stdout)["warnings"])
    )
    assert culprit in said and f"{element}: not a valid" in said and says in said, said
    assert "regex" not in said


@pytest.mark.parametrize("today", ["2024-1-xx", "21.11.2026", "2026-02-30"])
def test_malformed_today_says_the_expected_format(today):
    result = run_score(str(CASES / "p01.bundle.json"), "--today", today)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        f"pannet-cds: --today {today!r}: not a date, expected YYYY-MM-DD"
    ]


def test_file_over_the_size_limit_is_refused_before_reading_it_all(tmp_path):
    from cds_service.cli import SCORE_MAX_BYTES

    big = tmp_path / "big.json"
    with big.open("wb") as out:
        out.truncate(SCORE_MAX_BYTES + 1)  # sparse: 20 MiB of NUL bytes, instantly
    result = run_score(str(big))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip() == f"pannet-cds: {big}: larger than the limit of 20 MiB"
    at_limit = tmp_path / "at-limit.json"
    at_limit.write_bytes(b"[" + b" " * (SCORE_MAX_BYTES - 2) + b"]")
    assert run_score(str(at_limit), "--today", "2026-11-21").returncode == 0


@pytest.mark.parametrize(
    ("payload", "says"),
    [
        ('{"resourceType": "Bundle", "type": "collection", "entry": [1]}', "entry[0]"),
        (
            '[{"resourceType": "Patient", "id": "p"}, '
            '{"resourceType": "Observation", "id": "x", "status": "final", '
            '"subject": {"reference": "Patient/p"}, '
            '"code": {"coding": [{"system": "http://loinc.org", "code": "33728-7"}]}, '
            '"valueQuantity": {"value": "big", "unit": "cm"}}]',
            "Observation/x: not valid FHIR R4",
        ),
    ],
)
def test_one_bad_resource_costs_only_itself(payload, says):
    """Issue 9: an unreadable item or an invalid resource is left out with a warning naming
    it; the record is still assessed."""
    result = run_score("-", stdin=payload)
    assert result.returncode == 0, result.stderr
    assert any(says in w for w in json.loads(result.stdout)["warnings"])


def test_missing_file_is_a_clear_error(tmp_path):
    result = run_score(str(tmp_path / "nope.json"))
    assert result.returncode == 2
    assert result.stdout == ""
    assert "nope.json" in result.stderr


def test_invalid_site_config_is_refused(tmp_path):
    config = tmp_path / "site.yaml"
    config.write_text(
        "scores:\n  ventin-2025:\n    weights: {male_sex: 1, tumor_size_ge_3cm: 1, "
        "who_grade_ge_2: 1, lvi_present: 1}\n    tiers: [{tier: low, min: 0, max: 4}]\n"
    )
    result = run_score(str(CASES / "p01.bundle.json"), "--config", str(config))
    assert result.returncode == 2
    assert "13" in result.stderr
    assert result.stdout == ""


def test_site_weights_give_ventin_a_tier(tmp_path):
    # Illustrative weights that satisfy clinical.md §6's checks; not clinical values.
    config = tmp_path / "site.yaml"
    config.write_text(
        "scores:\n  ventin-2025:\n    weights: {male_sex: 3, tumor_size_ge_3cm: 4, "
        "who_grade_ge_2: 3, lvi_present: 3}\n    tiers:\n"
        "      - {tier: low, min: 0, max: 3}\n      - {tier: intermediate, min: 4, max: 7}\n"
        "      - {tier: high, min: 8, max: 13}\n"
    )
    result = run_score(
        str(CASES / "p01.bundle.json"), "--config", str(config), "--today", "2026-11-21"
    )
    assert result.returncode == 0, result.stderr
    ventin = next(s for s in json.loads(result.stdout)["scores"] if s["id"] == "ventin-2025")
    assert ventin["status"] == "scored"
    assert ventin["weights_origin"] == "site-configured"
    assert ventin["points"] == 6  # male 3 + grade >= 2 3
    assert ventin["tier"] == "intermediate"


@pytest.mark.parametrize("command", [["--help"], ["score", "--help"], ["serve", "--help"]])
def test_help_on_every_command(command):
    result = subprocess.run(
        [sys.executable, "-m", "cds_service.cli", *command],
        capture_output=True,
        text=True,
        timeout=process_timeout(),
    )
    assert result.returncode == 0
    assert "Usage" in result.stdout
