"""Report text → segments (one line or sentence each) → clauses, with the section in force.

All splitting is by single-character classes or fixed literals (linear). A segment longer than
`limits.MAX_SEGMENT_CHARS` is not read (counted, for a warning): no window of it could be
trusted to hold the negation or uncertainty cue that governs a finding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fhir_mappers.report_text.context_rules import READ_SECTIONS, UNREAD_SECTIONS
from fhir_mappers.report_text.limits import MAX_KEYWORDS, MAX_SEGMENT_CHARS, MAX_SEGMENTS

_SENTENCE_END = re.compile(r"(?<=[.;!?])\s++")
# A clause ends at a comma, semicolon or a contrastive conjunction: a cue governs its own
# clause only ("No LVI, perineural invasion is present").
_CLAUSE_END = re.compile(r",|;|\b(?:but|however|whereas|although|while)\b")
_HEADER = re.compile(r"[ \t]{0,8}+([A-Za-z][A-Za-z /&-]{0,40}+)[ \t]{0,4}+(?::|$)")
_SECTIONS = {name: True for name, _ in UNREAD_SECTIONS} | {name: False for name, _ in READ_SECTIONS}
# Cheap pre-filter: only segments naming something the reader understands go to spaCy.
_RELEVANT = re.compile(
    r"lymph|vascul|venous|\binvasion\b|\blvi\b|angio|perineural|\bpn[01x]\b|\b[lv][0-2x]\b|"
    r"ki[- ]?67|mib|mitos|mitotic|size|dimension|diameter|measur|grade|\bg[123]\b|node|"
    r"metasta|recurr|neuroendocrine|\bsite\b|pancrea|\bnet\b|pannet|pnet|carcinoid|islet|"
    r"carcinoma|minen|insulinoma|gastrinoma|glucagonoma|somatostatinoma|vipoma|function|"
    r"duodenectomy|whipple|enucleat|resect|ectomy\b|margin|\b[yr]{0,2}+[pc][tnm]"
)


# An unticked checklist option ("___ Present", "[ ] Not identified", "( ) pM1"): a choice
# offered by a blank CAP template, never an answer.
_UNTICKED = re.compile(r"^(?:_{2,}+|\[\s?\]|\(\s?\))")
# A ticked option ("_X_ Present", "[x] Present") answers the item line above it; it is read
# as "<item> … <option>" (both exact phrases of the report).
_TICKED = re.compile(r"^(?:_{0,3}+[xX]_{1,3}+|\[[xX]\]|\([xX]\))")
JOIN = " … "


@dataclass(frozen=True)
class Segment:
    text: str
    section: str | None
    unread: bool  # under a history / prior-pathology / frozen-section header


def segments(text: str) -> tuple[list[Segment], int]:
    """(relevant segments, number of segments not read: over-long, or past MAX_SEGMENTS)."""
    out: list[Segment] = []
    skipped = 0
    section: str | None = None
    unread = False
    item = ""
    for line in text.splitlines():
        if _TICKED.match(line.strip()) and item:
            line = f"{item}{JOIN}{line.strip()}"
        elif line.strip() and not _UNTICKED.match(line.strip()):
            item = line.strip()[:MAX_SEGMENT_CHARS]
        header = _header(line)
        if header is not None:
            section, unread = header, _SECTIONS[header]
        elif not line.strip():
            unread = False  # an unread section ends at a blank line or the next read header
        for sentence in _SENTENCE_END.split(line):
            stripped = sentence.strip()
            if not stripped or _UNTICKED.match(stripped):
                continue
            if len(stripped) > MAX_SEGMENT_CHARS:
                skipped += 1
                continue
            keywords = len(_RELEVANT.findall(stripped.lower()))
            if len(out) >= MAX_SEGMENTS or keywords > MAX_KEYWORDS:
                skipped += 1  # past the bound, or a run of findings no sentence holds
            elif keywords:
                out.append(Segment(stripped, section, unread))
    return out, skipped


def _header(line: str) -> str | None:
    match = _HEADER.match(line[:60])
    if match is None:
        return None
    name = " ".join(match.group(1).lower().split())
    return name if name in _SECTIONS else None


def relevant(text: str) -> bool:
    return _RELEVANT.search(text.lower()) is not None


def clauses(segment: str) -> list[tuple[int, str]]:
    """(offset, text) of each clause of a segment."""
    out: list[tuple[int, str]] = []
    start = 0
    for match in _CLAUSE_END.finditer(segment):
        out.append((start, segment[start : match.start()]))
        start = match.end()
    out.append((start, segment[start:]))
    return [(offset, text) for offset, text in out if text.strip()]
