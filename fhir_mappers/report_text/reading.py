"""Every readable report's text → one value per input, with its report and quoted phrase.

Within one report, findings that disagree give the worse (higher-risk) value, and the note says
so; across reports, the resection specimen's report wins, then the latest, then the worse value
(the same policy as `fhir_mappers.selection` for Observations, clinical.md §3).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from fhir_mappers.index import Entry, RecordIndex
from fhir_mappers.report_text.documents import ReportText, readable_reports
from fhir_mappers.report_text.limits import MAX_SEGMENT_CHARS, MAX_SEGMENTS
from fhir_mappers.selection import higher, lower, true_wins
from fhir_mappers.timing import Span

if TYPE_CHECKING:
    from fhir_mappers.report_text.findings import TextFinding


@dataclass(frozen=True)
class TextValue:
    value: Any
    source: str  # the report, Type/id
    quote: str
    note: str | None = None
    from_resection: bool = False
    when: Span | None = None


@dataclass
class TextReading:
    values: dict[str, TextValue] = field(default_factory=dict)
    resection_reports: list[ReportText] = field(default_factory=list)


# The worse (higher-risk) of two values per input (clinical.md §3.2); nodes examined: fewer.
WORSE: dict[str, Callable[[Any, Any], Any]] = {
    "tumor_size_cm": higher,
    "grade_reported": higher,
    "ki67_percent": higher,
    "mitoses_per_2mm2": higher,
    "lymphovascular_invasion": true_wins,
    "perineural_invasion": true_wins,
    "nodes_examined": lower,
    "nodes_positive": higher,
    "pn_positive": true_wins,
    "margins_involved": true_wins,
    "functional": true_wins,
    "distant_metastasis": true_wins,
    "recurrence": true_wins,
    "poorly_differentiated": true_wins,
    "net": true_wins,
    "resection": true_wins,
}
LABELS = {
    "tumor_size_cm": "tumour size (cm)",
    "grade_reported": "histologic grade",
    "ki67_percent": "Ki-67 (%)",
    "mitoses_per_2mm2": "mitotic count (per 2 mm²)",
    "lymphovascular_invasion": "lymphovascular invasion",
    "perineural_invasion": "perineural invasion",
    "nodes_examined": "regional nodes examined",
    "nodes_positive": "positive regional nodes",
    "pn_positive": "pN category",
    "margins_involved": "margins involved",
    "functional": "functional tumour",
    "distant_metastasis": "distant metastasis",
    "recurrence": "recurrence",
    "poorly_differentiated": "poorly differentiated carcinoma",
    "primary_site": "primary site",
    "net": "neuroendocrine tumour",
    "resection": "resection",
}


def read_reports(
    index: RecordIndex,
    warnings: list[str],
    is_resection_report: Callable[[Entry], bool] = lambda entry: False,
) -> TextReading:
    """`is_resection_report`: whether coded data already show a report is of the resection
    specimen (its text need not say so)."""
    reading = TextReading()
    per_input: dict[str, list[TextValue]] = {}
    for report in readable_reports(index, warnings):
        found = _report_findings(report, warnings)
        if not found:
            continue
        chosen = _per_report(report, found, warnings)
        known_resection = is_resection_report(report.entry)
        is_resection = known_resection or "resection" in chosen
        if "resection" in chosen and not known_resection:
            reading.resection_reports.append(report)
        for name, value in chosen.items():
            stamped = TextValue(
                value.value, value.source, value.quote, value.note, is_resection, report.when
            )
            per_input.setdefault(name, []).append(stamped)
    reading.values = {name: _across_reports(name, vals) for name, vals in per_input.items()}
    return reading


def _report_findings(report: ReportText, warnings: list[str]) -> list[TextFinding]:
    found: list[TextFinding] = []
    if not report.pieces:
        return found
    # The reader (its vocabulary, patterns and, on first use, medspaCy) is imported only when a
    # report has text: a record of coded data alone does not pay for it.
    from fhir_mappers.report_text.findings import read_text

    for piece in report.pieces:
        piece_findings, skipped = read_text(piece.text)
        found.extend(piece_findings)
        if skipped:
            warnings.append(
                f"{report.ref}: {piece.where}: {skipped} line(s) not read (over "
                f"{MAX_SEGMENT_CHARS:,} characters without a sentence end, or past the first "
                f"{MAX_SEGMENTS:,} lines naming a finding)"
            )
    return found


def _per_report(
    report: ReportText, found: list[TextFinding], warnings: list[str]
) -> dict[str, TextValue]:
    from fhir_mappers.report_text.findings import UNCERTAIN  # loaded: there were findings

    by_input: dict[str, list[TextFinding]] = {}
    for finding in _with_lvi(found):
        by_input.setdefault(finding.input, []).append(finding)
    out: dict[str, TextValue] = {}
    for name, findings in by_input.items():
        known = [f for f in findings if f.value is not None]
        label = LABELS.get(name, name)
        for f in findings:
            if f.value is None and f.note and not known:
                warnings.append(
                    f"{report.ref}: {label} unknown from the text '{f.quote}': {f.note}"
                )
        if not known:
            continue
        hedged = [f for f in findings if f.value is None and f.note == UNCERTAIN]
        if hedged and all(f.value is False for f in known):
            # "Not identified" in one place, "suspicious for" in another: absence is not shown
            warnings.append(
                f"{report.ref}: {label} unknown: the report text says both '{known[0].quote}' "
                f"and '{hedged[0].quote}'"
            )
            continue
        worse = WORSE.get(name)
        if worse is None:  # no "worse" order (primary site): only an agreeing text is used
            if len({f.value for f in known}) > 1:
                warnings.append(f"{report.ref}: the report text names more than one {label}")
                continue
            value = known[0].value
        else:
            value = known[0].value
            for f in known[1:]:
                value = worse(value, f.value)
        first = next(f for f in known if f.value == value)
        note = first.note
        others = sorted({_show(f.value) for f in known if f.value != value})
        if others:
            note = _join(
                note,
                f"the report text also gives {', '.join(others)}; the higher-risk "
                f"{_show(value)} is used",
            )
        out[name] = TextValue(value, report.ref, first.quote, note)
    net, nec = out.get("net"), out.get("poorly_differentiated")
    if net is not None and nec is not None and net.value is True and nec.value is True:
        warnings.append(
            f"{report.ref}: the report text names both a well-differentiated neuroendocrine "
            f"tumour ('{net.quote}') and a neuroendocrine carcinoma ('{nec.quote}'); "
            "poorly differentiated carcinoma is left unknown — confirm"
        )
        del out["poorly_differentiated"]
    return out


def _with_lvi(found: list[TextFinding]) -> list[TextFinding]:
    """Lymphovascular invasion from "LVI", lymphatic (L) and venous (V) findings: any present
    means present; absent needs "LVI absent", or both lymphatic and venous absent."""
    from fhir_mappers.report_text.findings import TextFinding  # loaded: there were findings

    out = [f for f in found if f.input not in ("lvi", "lymphatic", "venous")]
    lvi = [f for f in found if f.input == "lvi"]
    lymphatic = [f for f in found if f.input == "lymphatic" and f.value is not None]
    venous = [f for f in found if f.input == "venous" and f.value is not None]
    present = [f for f in [*lvi, *lymphatic, *venous] if f.value is True]
    name = "lymphovascular_invasion"
    if present:
        out.extend(TextFinding(name, True, f.quote, f.note) for f in present)
    out.extend(TextFinding(name, f.value, f.quote, f.note) for f in lvi if f.value is not True)
    if not present and lymphatic and venous:
        quote = f"{lymphatic[0].quote} … {venous[0].quote}"
        if lymphatic[0].quote == venous[0].quote:
            quote = lymphatic[0].quote
        out.append(TextFinding(name, False, quote, "lymphatic and venous invasion both absent"))
    return out


def _across_reports(name: str, found: list[TextValue]) -> TextValue:
    if len(found) == 1:
        return found[0]
    best = max(_rank(t) for t in found)
    top = [t for t in found if _rank(t) == best]
    worse = WORSE.get(name)
    chosen = top[0]
    for t in top[1:]:
        if (
            worse is not None
            and worse(chosen.value, t.value) == t.value
            and t.value != chosen.value
        ):
            chosen = t
    if len({_show(t.value) for t in top}) > 1:
        listing = ", ".join(f"{t.source}: {_show(t.value)}" for t in top)
        note = f"reports disagree ({listing}); the higher-risk value is used"
        return TextValue(
            chosen.value,
            chosen.source,
            chosen.quote,
            _join(chosen.note, note),
            chosen.from_resection,
            chosen.when,
        )
    return chosen


def _rank(t: TextValue) -> tuple[bool, date, date]:
    if t.when is None:
        return (t.from_resection, date.min, date.min)
    return (t.from_resection, t.when.last, t.when.first)


def _show(value: object) -> str:
    return str(value.value) if hasattr(value, "value") else str(value)


def _join(a: str | None, b: str) -> str:
    return f"{a}; {b}" if a else b
