"""The card's `detail`: the whole assessment as GitHub-Flavored Markdown (clinical.md §5).

Ordered as a clinician acts on it: what to do first (the next abdominal CT/MRI, its date, how long
it is overdue, which data to record), then the tier and schedule, the values to confirm, and last
the long tables (score factors, every input) for checking. Every string that is not a literal of
this module passes through `escape_text`, `aside` or `link`.
"""

from __future__ import annotations

import re

from cds_service.cards.action import (
    UNREAD_WARNINGS,
    action_section,
    only_ordered,
    risk_lines,
    schedule_words,
)
from cds_service.cards.detail_scores import scores_section, text_sources
from cds_service.cards.markdown import (
    aside,
    bullets,
    escape_all,
    escape_text,
    flatten_parens,
    link,
)
from cds_service.cards.source import (
    SEARCH_NOTE,
    SURVEILLANCE_CITATION,
    SURVEILLANCE_CITATION_URL,
    applicable_scores,
    is_search_url,
)
from cds_service.cards.summary import TIER_WORDS
from cds_service.cards.wording import VALUE_WORDS, missing_words, value_words
from scoring.assessment import (
    Assessment,
    InputResult,
    ScoreResult,
    SurveillancePlan,
    Tier,
    tier_rank,
)
from scoring.scope import OutOfScope
from scoring.site_config import SCORE_DEFINITIONS

CONFIRM_SENTENCE = "This is a default schedule; confirm with the treating team."
TEXT_MARK = "read from the report text — confirm"
_REFS = re.compile(r"\(([^()]*)\)")
# The inputs each guideline flag (scoring/combine.py) is read from, by the flag's name.
_FLAG_INPUTS = {
    "Lymph-node positive": {"nodes_positive", "pn_positive", "nodes_examined"},
    "Ki-67 > 5 %": {"ki67_percent"},
}
FLOOR_RANK = tier_rank(Tier.INTERMEDIATE)  # the guideline floor (node-positive or Ki-67 > 5 %)


def _input_value(value: str | float | int | bool | None) -> str:
    return escape_text(_value_text(value))


def _value_text(value: str | float | int | bool | None) -> str:
    """An input's value in words, before escaping ("unknown", "yes" and "no" escape to
    themselves)."""
    if type(value) is str:  # most inputs: `value_words` of a str, which is a str already
        return VALUE_WORDS.get(value, value)
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value_words(value))


def _missing_section(
    assessment: Assessment, words: dict[str, str], applicable: list[ScoreResult]
) -> list[str]:
    def line(score: ScoreResult) -> str:
        items = "; ".join([words[m] for m in score.missing])
        return f"{escape_text(score.title)}: {items}"

    with_missing = [s for s in applicable if s.missing]
    # While the tier is open, only a score that can give a tier is settled by its missing data.
    open_tier = assessment.overall_tier is None
    settle = [line(s) for s in with_missing if s.possible_tiers or not open_tier]
    other = [line(s) for s in with_missing if open_tier and not s.possible_tiers]
    plan = assessment.surveillance
    lighter = [words[m] for m in plan.lighter_if_known] if plan else []
    if not settle and not lighter and not other:
        return []
    out = ["### Missing data", ""]
    if any(w.startswith(UNREAD_WARNINGS) for w in assessment.warnings):
        out = [
            "### Missing, or could not be read from the EHR",
            "",
            "Part of the record could not be read from the EHR (see Warnings): these may be "
            "recorded there.",
            "",
        ]
    if settle:
        lead = (
            "Known values for these would settle the tier:"
            if assessment.overall_tier is None
            else "Not in the record; the tier is settled without them:"
        )
        out += [lead, "", bullets(settle), ""]
    if lighter:
        out += ["These could allow a lighter schedule if known:", "", bullets(lighter), ""]
    if other:
        out += [
            "Not in the record; these scores give no tier without site weights:",
            "",
            bullets(other),
        ]
        out.append("")
    return out


def _schedule_line(plan: SurveillancePlan) -> str:
    missed = set(plan.missed_dates)
    dates = plan.schedule_dates[: len(plan.schedule_months)]
    shown = escape_all(dates)  # one batch: ~10 dates
    pairs = [
        f"month {month} ({shown[i]}{', missed' if dates[i] in missed else ''})"
        if i < len(dates)
        else f"month {month}"
        for i, month in enumerate(plan.schedule_months)
    ]
    return "**Abdominal CT or MRI at:** " + "; ".join(pairs)


def _surveillance_section(assessment: Assessment, schedule: str | None) -> list[str]:
    """`schedule`: the assessment's `schedule_words`."""
    out = ["### Surveillance schedule", ""]
    plan = assessment.surveillance
    if plan is None:
        return [*out, "No schedule could be set (see missing data).", ""]
    facts = [f"**Schedule tier:** {schedule or 'not determined'}"]
    if plan.anchor_date:
        facts.append(f"**Counted from resection on:** {escape_text(plan.anchor_date)}")
    if plan.schedule_months:
        facts.append(_schedule_line(plan))
    if plan.overdue:
        since = plan.overdue_since or plan.next_due
        latest = (
            f"; the latest missed exam was due {escape_text(plan.next_due)}"
            if plan.next_due and plan.next_due != since
            else ""
        )
        facts.append(f"**Overdue since:** {escape_text(since or 'unknown')}{latest}")
    elif plan.next_due:
        state = " — **due now**" if plan.due_now else ""
        facts.append(f"**Next due:** {escape_text(plan.next_due)}{state}")
    else:
        facts.append("**Next due:** none scheduled; further imaging as clinically indicated")
    if plan.last_imaging:
        refs = ", ".join(escape_text(r) for r in plan.imaging_sources)
        ordered = only_ordered(plan, assessment.today)
        head = "**Abdominal CT/MRI ordered:** " if ordered else "**Last abdominal CT/MRI:** "
        when = escape_text(plan.last_imaging) + (", not yet done" if ordered else "")
        facts.append(head + aside(when, refs or None))
    elif plan.anchor_date:
        facts.append("**Last abdominal CT/MRI:** none on record since the resection")
    facts.append("Somatostatin-receptor PET and FDG-PET are not for routine surveillance.")
    return [*out, bullets(facts), ""]


def _inputs_section(assessment: Assessment) -> list[str]:
    inputs = assessment.inputs
    if not inputs:
        return []
    # Every cell escaped in one batch (`escape_all`), then read back by position in the order
    # put in (a slice per row's sources, not a call per cell).
    # Each input's fields read from its vars once (`scoring.assessment.fields_of`).
    fields = [vars(i) for i in inputs]
    raw: list[str] = []
    for i in fields:
        note = i["note"]
        raw += (i["label"], _value_text(i["value"]), *i["sources"])
        # The value cell marks a text-derived value; its note need only quote the phrase.
        raw.append(note.removeprefix(f"{TEXT_MARK}: ") if note else "")
    cells = escape_all(raw)
    lines = ["| Input | Value | Source | Note |", "|---|---|---|---|"]
    at = 0
    for i in fields:
        count = len(i["sources"])
        label, value = cells[at], cells[at + 1]
        if i["read_from_text"]:
            value = aside(value, TEXT_MARK)
        sources = ", ".join(cells[at + 2 : at + 2 + count]) or "—"
        note = cells[at + 2 + count]
        at += 3 + count
        # As `table` writes a row: an empty cell becomes one space.
        lines.append(f"| {label or ' '} | {value or ' '} | {sources} | {note or ' '} |")
    return ["### Inputs read from the record", "", "\n".join(lines), ""]


def _report_text_section(assessment: Assessment, read: list[InputResult]) -> list[str]:
    """Every value read from report text (`read`), with its exact phrase, and every disagreement
    between text and discrete data (clinical.md §3.2, §3.3)."""
    disagreed = [i for i in assessment.inputs if i.text_disagreement]
    if not read and not disagreed:
        return []
    out = [f"### Values {TEXT_MARK}", ""]
    if read:
        out += [
            bullets(
                f"**{escape_text(i.label)}:** {_input_value(i.value)} — "
                f"{', '.join(escape_text(r) for r in i.sources)}, quoting "
                f"“{escape_text(i.quote or '')}”"
                for i in read
            ),
            "",
        ]
    if disagreed:
        out += [
            "Report text and discrete data disagree; the worse value is used:",
            "",
            bullets(
                f"**{escape_text(i.label)}:** {escape_text(i.text_disagreement or '')}"
                for i in disagreed
            ),
            "",
        ]
    return out


def _once(match: re.Match[str]) -> str:
    inner = match.group(1)
    if "," not in inner:  # one reference (most groups): nothing to deduplicate
        ref = inner.strip()
        return f"({ref})" if "/" in ref else match.group(0)
    refs = [r.strip() for r in inner.split(",")]
    return f"({', '.join(dict.fromkeys(refs))})" if all("/" in r for r in refs) else match.group(0)


def _flags_section(assessment: Assessment, read: list[InputResult]) -> list[str]:
    """`read`: the inputs read from report text."""
    if not assessment.guideline_flags:
        return []
    # Two inputs read from one report name it twice in the flag's sources: once is enough.
    flags = [_REFS.sub(_once, f) for f in assessment.guideline_flags]
    from_text = {i.id for i in read}
    flags = [
        f"{f} — {TEXT_MARK}" if from_text & _FLAG_INPUTS.get(f.split(":", 1)[0], set()) else f
        for f in flags
    ]
    out = ["### Guideline flags", "", bullets(escape_all(flags))]
    plan = assessment.surveillance
    raised = any("at least intermediate" in f for f in assessment.guideline_flags)
    if raised and plan is not None and plan.tier is not None and tier_rank(plan.tier) >= FLOOR_RANK:
        # "at least intermediate" beside a high schedule reads as a contradiction: say it is met.
        out += ["", f"The {TIER_WORDS[plan.tier]} schedule meets the intermediate-intensity floor."]
    return [*out, ""]


def _citation(label: str, url: str) -> str:
    return link(label, url) + (f" — {SEARCH_NOTE}" if is_search_url(url) else "")


# The citations of the scores this code defines, rendered once at import (`_citation` parses
# each URL twice): a table of code constants only; any other citation is rendered per call.
_RENDERED_CITATIONS: dict[tuple[str, str], str] = {
    (c, u): _citation(c, u)
    for c, u in [
        *((d.citation, d.citation_url) for d in SCORE_DEFINITIONS),
        (SURVEILLANCE_CITATION, SURVEILLANCE_CITATION_URL),
    ]
}


def _rendered_citation(label: str, url: str) -> str:
    done = _RENDERED_CITATIONS.get((label, url))
    return done if done is not None else _citation(label, url)


def _citations(applicable: list[ScoreResult]) -> list[str]:
    items = [_rendered_citation(s.citation, s.citation_url) for s in applicable]
    items.append(_rendered_citation(SURVEILLANCE_CITATION, SURVEILLANCE_CITATION_URL))
    return ["### Citations", "", bullets(items), ""]


def build_detail(assessment: Assessment) -> str:
    # Worked out once for the sections that each need them.
    words = missing_words(assessment)  # escaped once for the three places that show them
    applicable = applicable_scores(assessment)
    read = [i for i in assessment.inputs if i.read_from_text]
    schedule = schedule_words(assessment)
    out = action_section(assessment, words) + risk_lines(assessment, schedule)
    out += _report_text_section(assessment, read)
    if assessment.warnings:
        out += ["### Warnings", "", bullets(escape_text(w) for w in assessment.warnings), ""]
    out += _surveillance_section(assessment, schedule)
    out += _missing_section(assessment, words, applicable)
    out += _flags_section(assessment, read)
    from_text = text_sources(assessment, read)
    out += scores_section(assessment, words, applicable=applicable, from_text=from_text)
    out += _inputs_section(assessment)
    out += _citations(applicable)
    out.append(CONFIRM_SENTENCE)
    # Record text and mapper messages may nest parentheses; the reader gets them flat.
    return flatten_parens("\n".join(out))


def build_out_of_scope_detail(assessment: Assessment) -> str:
    reason = (
        escape_text(assessment.scope_reason) if assessment.scope_reason else "no reason recorded"
    )
    if assessment.scope_code == OutOfScope.RECURRENCE.value:
        # Not a population rule: the patient is past the surveillance the scores guide.
        why = (
            "With a recurrence on record the patient has left post-resection surveillance: "
            "the recurrence-risk scores do not apply. No surveillance schedule is suggested."
        )
    else:
        why = (
            "The recurrence-risk scores apply only after curative-intent resection of a "
            "well-differentiated neuroendocrine tumour without distant metastasis at surgery. "
            "No surveillance schedule is suggested."
        )
    out = [f"**Not assessed:** {reason}", "", why, ""]
    if assessment.warnings:
        out += ["### Warnings", "", bullets(escape_text(w) for w in assessment.warnings), ""]
    out.append("If the record is wrong, correct it; the service reassesses on its next call.")
    return flatten_parens("\n".join(out))
