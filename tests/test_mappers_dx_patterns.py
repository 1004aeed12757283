"""The diagnosis, resection, metastasis and recurrence text patterns stay linear on hostile
input (issue 11.1; developers' guide: linear on a 100,000-character string).

Two deterministic checks, no timing assertion: (1) the structure of every pattern has no
unbounded greedy or lazy repeat, only bounded `{0,n}` ones and possessive `*+` / `++` (a
backtracking blow-up needs an unbounded repeat that can give characters back); (2) a guard
against any blow-up the structure check could miss: the searches over 100,000-character
hostile strings finish in a child process within 60 s (the old patterns needed minutes).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from fhir_mappers import clinical_codes, resection_codes, spread_codes

try:  # Python 3.11+
    from re import _constants as sre_constants  # type: ignore[attr-defined]
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    import sre_constants  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

MODULES = (clinical_codes, resection_codes, spread_codes)
PATTERNS = {
    f"{module.__name__.rsplit('.', 1)[1]}.{name}": getattr(module, name)
    for module in MODULES
    for name in dir(module)
    if name.endswith(("_TEXT", "_BREAK", "_ABBREVIATION"))
    and isinstance(getattr(module, name), str)
}
UNBOUNDED = sre_constants.MAXREPEAT
BACKTRACKING_REPEATS = (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT)


def _unbounded_backtracking(tree) -> list[str]:
    found: list[str] = []
    for op, arg in tree:
        if op in BACKTRACKING_REPEATS:
            low, high, sub = arg
            if high == UNBOUNDED:
                found.append(f"{op} {{{low},}}")
            found += _unbounded_backtracking(sub)
        elif op is sre_constants.POSSESSIVE_REPEAT:
            found += _unbounded_backtracking(arg[2])
        elif op in (sre_constants.SUBPATTERN,):
            found += _unbounded_backtracking(arg[-1])
        elif op is sre_constants.BRANCH:
            for branch in arg[1]:
                found += _unbounded_backtracking(branch)
        elif op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT, sre_constants.ATOMIC_GROUP):
            found += _unbounded_backtracking(arg[-1] if isinstance(arg, tuple) else arg)
    return found


def test_patterns_are_found():
    # the check must see the tables it guards
    assert {"resection_codes.RESECTION_TEXT", "spread_codes.METASTASIS_TEXT"} <= set(PATTERNS)
    assert "clinical_codes.NET_TEXT" in PATTERNS


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_no_unbounded_backtracking_repeat(name):
    assert _unbounded_backtracking(sre_parse.parse(PATTERNS[name])) == []


def test_structure_check_can_fail():
    assert _unbounded_backtracking(sre_parse.parse(r"\w+ectomy|(pancrea\w*) resection"))
    assert not _unbounded_backtracking(sre_parse.parse(r"\bpancrea\w*+ resection|\w{0,9}x"))


_CHILD = """
import re, sys
from fhir_mappers import clinical_codes, resection_codes, spread_codes
n = 100_000
hostile = ["a" * n, "pancrea" * (n // 7), "metasta" * (n // 7), "resection of " * (n // 13),
           "no " * (n // 3), "ectom" * (n // 5), "pankreas" * (n // 8), "e" * n,
           ("a" * 40 + " ") * (n // 41), "lebermetasta" * (n // 12)]
for module in (clinical_codes, resection_codes, spread_codes):
    for name in dir(module):
        value = getattr(module, name)
        if name.endswith(("_TEXT", "_BREAK", "_ABBREVIATION")) and isinstance(value, str):
            pattern = re.compile(value)
            for text in hostile:
                pattern.search(text)
print("done")
"""


def test_hostile_100k_strings_finish():
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-c", _CHILD], cwd=root, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "done"
