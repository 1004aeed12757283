"""Is a finding present, absent or unknown? ConText's categories plus an affirmation cue.

- uncertain (POSSIBLE_EXISTENCE) or hypothetical: unknown, never present or absent (§3.3);
- history, family, another specimen, or under an unread section header: not about this
  specimen, so not read at all;
- negated: absent;
- otherwise present only when the clause affirms it ("present", "identified", "shows ...");
  a bare mention ("Lymphovascular invasion:" with nothing after it) is unknown.
"""

from __future__ import annotations

import re
from enum import Enum

from fhir_mappers.report_text.context_rules import (
    FAMILY,
    HISTORICAL,
    HYPOTHETICAL,
    NEGATED,
    OTHER_SPECIMEN,
    POSSIBLE,
)

_AFTER = re.compile(
    r"\b(?:present|identified|seen|noted|detected|observed|positive|yes|involved|evident|"
    r"focal|focally|extensive|multifocal)\b"
)
_BEFORE = re.compile(
    r"\b(?:shows?|showed|showing|with|demonstrates|demonstrated|demonstrating|exhibits?|"
    r"positive for|presence of|evidence of|focal|focally|extensive|foci of|involved by)\b"
)


class Assertion(Enum):
    PRESENT = "present"
    ABSENT = "absent"
    UNKNOWN = "unknown"
    NOT_THIS_SPECIMEN = "not about this specimen"


def about_other(cues: frozenset[str], unread_section: bool) -> bool:
    return unread_section or bool(cues & {HISTORICAL, FAMILY, OTHER_SPECIMEN})


def uncertain(cues: frozenset[str]) -> bool:
    return bool(cues & {POSSIBLE, HYPOTHETICAL})


def assess(cues: frozenset[str], unread_section: bool, before: str, after: str) -> Assertion:
    """`before` / `after`: the clause's text on either side of the mention (lower case)."""
    if about_other(cues, unread_section):
        return Assertion.NOT_THIS_SPECIMEN
    if uncertain(cues):
        return Assertion.UNKNOWN
    if NEGATED in cues:
        return Assertion.ABSENT
    if _AFTER.search(after) or _BEFORE.search(before):
        return Assertion.PRESENT
    return Assertion.UNKNOWN
