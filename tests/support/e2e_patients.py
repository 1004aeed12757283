"""The patients of the end-to-end tests: the shared cases (tests/data/cases) and our own
(tests/data/e2e), as Bundles ready to load, and the check of an assessment against the facts
each case's `*.expected.json` lists."""

from __future__ import annotations

import copy
import json
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[1] / "data"
SHARED_CASES = ("p01", "p02", "p03", "p04")
OWN_CASES = ("e01", "e02", "e03", "e04", "e05", "e06", "e07")
ALL_CASES = SHARED_CASES + OWN_CASES
# The day the e2e bundles' dates were written relative to (see tests/data/e2e/README.md).
ANCHOR = date(2026, 11, 21)
_DATE_PREFIX = re.compile(r"^(\d{4}-\d{2}-\d{2})(?=$|T)")


def _case_dir(case: str) -> Path:
    return DATA / ("cases" if case in SHARED_CASES else "e2e")


def _shift(node: Any, days: int) -> Any:
    if isinstance(node, dict):
        return {key: _shift(value, days) for key, value in node.items()}
    if isinstance(node, list):
        return [_shift(item, days) for item in node]
    if isinstance(node, str) and (match := _DATE_PREFIX.match(node)):
        moved = date.fromisoformat(match.group(1)) + timedelta(days=days)
        return moved.isoformat() + node[match.end() :]
    return node


def case_bundle(case: str, today: date | None = None) -> dict[str, Any]:
    """The case's Bundle; our own cases with every date moved so that they keep their distance
    from `today` (the shared cases are used as published)."""
    bundle = json.loads((_case_dir(case) / f"{case}.bundle.json").read_text())
    if case in SHARED_CASES:
        return bundle
    return _shift(bundle, ((today or date.today()) - ANCHOR).days)


def bundle_resources(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [copy.deepcopy(entry["resource"]) for entry in bundle["entry"]]


def expected_facts(case: str) -> dict[str, Any]:
    return json.loads((_case_dir(case) / f"{case}.expected.json").read_text())


def fact_mismatches(assessment: dict[str, Any], expected: dict[str, Any]) -> list[str]:
    """Every listed fact the assessment contradicts, as readable lines (empty: all hold)."""
    problems: list[str] = []

    def check(what: str, got: Any, want: Any) -> None:
        if got != want:
            problems.append(f"{what}: got {got!r}, expected {want!r}")

    scores = {score["id"]: score for score in assessment["scores"]}
    # the same factor (e.g. node_positive) appears in several scores, from the same source
    factors: dict[str, dict[str, Any]] = {}
    for score in assessment["scores"]:
        for factor in score["factors"]:
            factors.setdefault(factor["id"], factor)
    for key, facts in expected.items():
        if key == "overall":
            check("overall_tier", assessment["overall_tier"], facts)
        elif key == "surveillance":
            check("surveillance.tier", (assessment["surveillance"] or {}).get("tier"), facts)
        elif key == "sources":
            for factor_id, source in facts.items():
                got = factors.get(factor_id, {}).get("source", "(factor absent)")
                check(f"{factor_id}.source", got, source)
        elif key == "patient-view card":
            continue  # a fact about the service's card policy, checked by the caller
        else:
            score = scores.get(key)
            if score is None:
                problems.append(f"{key}: score not reported")
                continue
            for name, field in (
                ("status", "status"),
                ("points_range", "points_range"),
                ("tier", "tier"),
                ("present", "present"),
                ("unknown", "unknown"),
            ):
                if name in facts:
                    check(f"{key}.{field}", score[field], facts[name])
            if "possible" in facts:
                possible = sorted(score["possible_tiers"])
                check(f"{key}.possible_tiers", possible, sorted(facts["possible"]))
    return problems
