"""The real-world corpus (tests/data/realworld) for the tests that read it. The table of cases
still waiting for a mapper change is `PENDING` in tests/test_realworld_corpus.py."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).resolve().parents[1] / "data" / "realworld"
CASES: tuple[str, ...] = tuple(sorted(p.name[:4] for p in CORPUS.glob("rw*.bundle.json")))


@cache
def _expected(case: str) -> str:
    return (CORPUS / f"{case}.expected.json").read_text()


def expected_of(case: str) -> dict[str, Any]:
    return json.loads(_expected(case))


def load_bundle_of(case: str) -> dict[str, Any]:
    return json.loads((CORPUS / f"{case}.bundle.json").read_text())
