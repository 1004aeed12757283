"""One report's text → findings: (input, value, exact quoted phrase), each from one segment.

Value items (size, Ki-67, mitoses, grade, nodes) are read from the text after their name,
unless ConText marks the name uncertain, historical or about another specimen. Presence items
(invasion, margins, metastasis, recurrence, diagnosis, functional type, resection) go through
`assertion.assess`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fhir_mappers.report_text import values
from fhir_mappers.report_text import vocabulary as v
from fhir_mappers.report_text.assertion import Assertion, about_other, assess, uncertain
from fhir_mappers.report_text.limits import MAX_QUOTE_CHARS, MAX_SEGMENTS
from fhir_mappers.report_text.pipeline import Mention, mentions
from fhir_mappers.report_text.segments import Segment, clauses, relevant, segments
from scoring.inputs import PrimarySite

UNCERTAIN = "stated as uncertain"


@dataclass(frozen=True)
class TextFinding:
    input: str  # a ClinicalInputs field name, or "distant_metastasis" / "net" / "resection"
    value: object  # None: the text names it but leaves it unknown (the note says why)
    quote: str
    note: str | None = None


# Distant sites (clinical.md §1: distant metastasis); nodal metastasis is regional, not distant.
_DISTANT = re.compile(
    r"\b(?:distant|liver|hepatic|lung|pulmonary|bone|osseous|peritoneal|peritoneum|ovary|"
    r"ovarian|brain|omentum|omental)\b"
)
_NODAL = re.compile(r"\b(?:lymph nodes?|nodal|node)\b")
# A negation anywhere before the mention in its segment: ConText's clause scope stops at a comma,
# so "no liver, lung or bone metastases" leaves "lung or bone metastases" bare; a bare mention
# after such a cue is not read as present (nor as absent: the list may not cover it).
_NEGATION_BEFORE = re.compile(r"\b(?:no|not|without|negative|free of|none|absence of)\b")
# "liver metastases?": a question, not a finding.
_QUESTIONED = re.compile(r"^\s{0,3}+\?")
_TUMOUR = re.compile(r"\b(?:neuroendocrine|net|tumou?r|carcinoid|neoplasm|disease)\b")
_EXAMINED = re.compile(r"\b(?:examined|retrieved|recovered|identified|total|assessed)\b")
_POSITIVE = re.compile(r"\b(?:involved|positive|with metastas[ie]s|metastatic|with tumou?r)\b")
_NOT_CURATIVE = re.compile(r"\b(?:biopsy|fna|aspiration|cytology|brushing)\b")
_PANCREAS = re.compile(r"\bpancrea|\buncinate\b|\bislet\b|\bpannet\b|\bpnet\b")
_OTHER_GEP = re.compile(
    r"\b(?:duoden\w{0,4}|ileum|ileal|jejun\w{0,4}|small (?:bowel|intestine)|stomach|gastric|"
    r"append\w{0,6}|colon|colonic|rect\w{0,3}|cec\w{0,3}|caec\w{0,3})\b"
)
_SITE_ITEM = re.compile(r"^\s{0,4}+(?:tumou?r site|primary site|site)\s{0,3}+:")
_FUNCTIONAL_NAMES = {v.FUNCTIONAL, v.NON_FUNCTIONING}


def read_text(text: str) -> tuple[list[TextFinding], int]:
    """Findings of one text, and the number of over-long segments not read."""
    found_segments, skipped = segments(text)
    out: list[TextFinding] = []
    if not found_segments:
        return out, skipped
    # ConText runs per clause: a cue governs its own clause only ("margins free" does not
    # negate the diagnosis before it, "No LVI, perineural invasion is present").
    pieces = [
        (i, offset, clause)
        for i, s in enumerate(found_segments)
        for offset, clause in clauses(s.text)
        if relevant(clause)
    ]
    if len(pieces) > MAX_SEGMENTS:
        skipped += len(pieces) - MAX_SEGMENTS
        pieces = pieces[:MAX_SEGMENTS]
    by_clause = mentions(clause for _, _, clause in pieces)
    per_segment: list[list[Mention]] = [[] for _ in found_segments]
    for (i, offset, _), found in zip(pieces, by_clause, strict=True):
        if found is None:
            skipped += 1
            continue
        per_segment[i].extend(
            Mention(m.label, m.start + offset, m.end + offset, m.cues) for m in found
        )
    for segment, segment_mentions in zip(found_segments, per_segment, strict=True):
        out.extend(_segment_findings(segment, segment_mentions))
    return out, skipped


def _segment_findings(segment: Segment, found: list[Mention]) -> list[TextFinding]:
    text = segment.text
    low = text.lower()
    out: list[TextFinding] = []
    readable = [m for m in found if not about_other(m.cues, segment.unread)]
    if not segment.unread:
        out.extend(_categories(text))
    # "Histologic Grade: G2, Ki-67 3%-20% and/or 2-20 mitoses per 2 mm2" states the grade's
    # definition: a range or bound beside a grade is the band, not this tumour's value.
    grade_line = any(m.label == v.GRADE for m in readable)
    for mention in readable:
        quote = _quote(text, mention)
        after = low[mention.end : mention.end + values.WINDOW]
        if mention.label in (v.SIZE, v.KI67, v.MITOSES, v.GRADE):
            if uncertain(mention.cues):
                key = _VALUE_INPUT[mention.label]
                out.append(TextFinding(key, None, quote, UNCERTAIN))
                continue
            read = _value(mention, low, after, quote)
            if grade_line and mention.label in (v.KI67, v.MITOSES):
                read = [f for f in read if not _band(f)]
            out.extend(read)
        elif mention.label == v.NODES:
            out.extend(_nodes(mention, low, after, quote))
        else:
            out.extend(_presence(mention, segment, low, quote))
    return out


_VALUE_INPUT = {
    v.SIZE: "tumor_size_cm",
    v.KI67: "ki67_percent",
    v.MITOSES: "mitoses_per_2mm2",
    v.GRADE: "grade_reported",
}


def _value(mention: Mention, low: str, after: str, quote: str) -> list[TextFinding]:
    key = _VALUE_INPUT[mention.label]
    if mention.label == v.SIZE:
        value, note = values.size_cm(after)
        if value is None:  # "measuring 2.6 cm in greatest dimension": the size comes first
            value, note = values.size_cm(low[max(0, mention.start - 40) : mention.start])
    elif mention.label == v.KI67:
        value, note = values.percent(after)
    elif mention.label == v.MITOSES:
        value, note = values.mitoses_per_2mm2(after)
        if value is None:
            value, note = values.mitoses_per_2mm2(low[max(0, mention.start - 30) : mention.end])
    else:
        value, note = values.grade(low[mention.start : mention.end + values.WINDOW])
        if value is None and note == "no grade":
            return []  # "grade" in passing ("high-grade dysplasia") names no tumour grade
    if value is None and note and ("not converted" in note or "exact value" in note):
        return [TextFinding(key, None, quote, note)]
    return [] if value is None else [TextFinding(key, value, quote, note)]


# The edges of the WHO 2019 grade bands (Ki-67 3 % / 20 %, mitoses 2 / 20 per 2 mm²).
_BAND_EDGES = (2.0, 3.0, 20.0)


def _band(finding: TextFinding) -> bool:
    """A range, or a bound at a band edge ("<3 %"): how a grade is defined, not a count."""
    note = finding.note or ""
    return note.startswith("range") or (bool(note) and finding.value in _BAND_EDGES)


def _nodes(mention: Mention, low: str, after: str, quote: str) -> list[TextFinding]:
    if uncertain(mention.cues):
        return []
    around = low[max(0, mention.start - 30) : mention.end + values.WINDOW]
    pair = values.ratio(around)
    if pair is not None:
        positive, examined = pair
        return [
            TextFinding("nodes_positive", positive, quote),
            TextFinding("nodes_examined", examined, quote),
        ]
    number = values.count(after)
    if number is None:
        return []
    head = after.split(str(number), 1)[0]
    if _POSITIVE.search(head):
        return [TextFinding("nodes_positive", number, quote)]
    if _EXAMINED.search(head):
        return [TextFinding("nodes_examined", number, quote)]
    return []


_PRESENCE_INPUT = {
    v.LVI: "lvi",
    v.LYMPHATIC: "lymphatic",
    v.VENOUS: "venous",
    v.PNI: "perineural_invasion",
    v.MARGIN: "margins_involved",
}


def _presence(mention: Mention, segment: Segment, low: str, quote: str) -> list[TextFinding]:
    before, after = _clause_sides(segment.text, mention)
    state = assess(mention.cues, segment.unread, before, after)
    if state is Assertion.NOT_THIS_SPECIMEN:
        return []
    label = mention.label
    if label in _PRESENCE_INPUT:
        value = {Assertion.PRESENT: True, Assertion.ABSENT: False}.get(state)
        note = None
        if value is None:
            note = UNCERTAIN if uncertain(mention.cues) else "stated without a clear answer"
        return [TextFinding(_PRESENCE_INPUT[label], value, quote, note)]
    if label == v.METASTASIS:
        return _metastasis(mention, state, low, quote)
    if state is not Assertion.UNKNOWN and state is not Assertion.PRESENT:
        return []
    affirmed = not mention.cues  # a diagnosis word itself affirms, when nothing qualifies it
    if label == v.RECURRENCE and affirmed and _TUMOUR.search(low):
        return [TextFinding("recurrence", True, quote)]
    if label == v.NET and affirmed:
        return [TextFinding("net", True, quote), *_site(low, quote)]
    if label == v.NEC and affirmed:
        return [TextFinding("poorly_differentiated", True, quote)]
    if label in _FUNCTIONAL_NAMES and affirmed:
        return [TextFinding("functional", label == v.FUNCTIONAL, quote)]
    if label == v.RESECTION and affirmed and not _NOT_CURATIVE.search(low):
        return [TextFinding("resection", True, quote)]
    return []


def _metastasis(mention: Mention, state: Assertion, low: str, quote: str) -> list[TextFinding]:
    distant = _DISTANT.search(low) is not None
    if not distant:
        return []  # nodal (regional) metastasis, or no site: not a distant-metastasis statement
    if state is Assertion.ABSENT:
        return [TextFinding("distant_metastasis", False, quote)]
    if state is Assertion.UNKNOWN and mention.cues:
        return [TextFinding("distant_metastasis", None, quote, UNCERTAIN)]
    said = low[mention.start : mention.end]
    if state is not Assertion.PRESENT and _QUESTIONED.match(low[mention.end : mention.end + 4]):
        return [TextFinding("distant_metastasis", None, quote, UNCERTAIN)]
    if state is not Assertion.PRESENT and _NEGATION_BEFORE.search(low[: mention.start]):
        return [TextFinding("distant_metastasis", None, quote, "a negation in the sentence")]
    if said.startswith("distant") and state is not Assertion.PRESENT:
        return []  # "Distant metastasis:" with no stated answer
    if _NODAL.search(low) and not said.startswith("distant") and state is not Assertion.PRESENT:
        return []  # "metastatic NET in nodes; liver ..." is too tangled to read
    return [TextFinding("distant_metastasis", True, quote)]


def _site(low: str, quote: str) -> list[TextFinding]:
    if _PANCREAS.search(low):
        return [TextFinding("primary_site", PrimarySite.PANCREAS, quote)]
    if _OTHER_GEP.search(low):
        return [TextFinding("primary_site", PrimarySite.OTHER_GEP, quote)]
    return []


# "pM1: Distant metastasis" at a line's start defines a category (a template's legend); an
# answer puts the category after its item ("Distant Metastasis (pM): pM1").
_LEGEND = re.compile(r"^\s{0,4}+[yr]{0,2}+[pc]?(?:T|N|M|L|V|Pn)[0-4X][a-d]?\s{0,2}+:")


def _categories(text: str) -> list[TextFinding]:
    """pN / pM and UICC L, V, Pn categories written in a segment (case-sensitive)."""
    out: list[TextFinding] = []
    if _LEGEND.match(text):
        return out
    quote = text[:MAX_QUOTE_CHARS]
    pn, _ = values.pn_category(text)
    if pn is not None:
        out.append(TextFinding("pn_positive", pn, quote))
    pair = values.pn_ratio(text)
    if pair is not None:
        out.append(TextFinding("nodes_positive", pair[0], quote))
        out.append(TextFinding("nodes_examined", pair[1], quote))
    pm, _ = values.pm_category(text)
    if pm is not None:
        out.append(TextFinding("distant_metastasis", pm, quote))
    uicc = values.uicc_invasion(text)
    names = {"l": "lymphatic", "v": "venous", "pn": "perineural_invasion"}
    out.extend(TextFinding(names[k], flag, quote) for k, flag in uicc.items())
    low = text.lower()
    if _SITE_ITEM.match(low):
        out.extend(_site(low, quote))
    return out


def _clause_sides(text: str, mention: Mention) -> tuple[str, str]:
    for offset, clause in clauses(text):
        end = offset + len(clause)
        if offset <= mention.start and mention.end <= end:
            low = clause.lower()
            return low[: mention.start - offset], low[mention.end - offset :]
    return "", ""


def _quote(text: str, mention: Mention) -> str:
    if len(text) <= MAX_QUOTE_CHARS:
        return text
    start = max(0, mention.start - MAX_QUOTE_CHARS // 3)
    return text[start : start + MAX_QUOTE_CHARS]
