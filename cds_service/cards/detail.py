"""The card's `detail`: the whole assessment as GitHub-Flavored Markdown (clinical.md §5).

Every string that is not a literal of this module passes through `escape_text` or `link`.
"""

from __future__ import annotations

from cds_service.cards.markdown import bullets, escape_text, link, table
from cds_service.cards.source import (
    SURVEILLANCE_CITATION,
    SURVEILLANCE_CITATION_URL,
    applicable_scores,
)
from cds_service.cards.summary import TIER_WORDS
from scoring.assessment import (
    Assessment,
    FactorResult,
    ScoreResult,
    ScoreStatus,
    SurveillancePlan,
    sorted_tiers,
)

CONFIRM_SENTENCE = "This is a default schedule; confirm with the treating team."
SITE_CONFIGURED = "site-configured"

_STATUS_WORDS: dict[ScoreStatus, str] = {
    ScoreStatus.SCORED: "scored",
    ScoreStatus.PARTIAL: "partial (some factors unknown)",
    ScoreStatus.FACTORS_ONLY: "factors only (no published points)",
    ScoreStatus.NOT_APPLICABLE: "not applicable",
}


def _tiers(tiers: list) -> str:
    return ", ".join(TIER_WORDS[t] for t in sorted_tiers(set(tiers))) or "none"


def _input_value(value: str | float | int | bool | None) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return escape_text(value)


def _value_word(value: bool | None) -> str:
    return {True: "present", False: "absent", None: "unknown"}[value]


def _factor_points(factor: FactorResult) -> str:
    if factor.points is not None:
        return str(factor.points)
    if factor.value is None and factor.weight is not None:
        return f"0 or {factor.weight}"
    return "—"


def _factor_sources(factor: FactorResult) -> str:
    refs = list(dict.fromkeys([*([factor.source] if factor.source else []), *factor.sources]))
    if refs:
        return ", ".join(escape_text(r) for r in refs)
    return "not in record" if factor.value is None else "—"


def _points_line(score: ScoreResult) -> str | None:
    scale = f" of {score.max_points}" if score.max_points is not None else ""
    rng = score.points_range
    if rng and len(rng) == 2 and rng[0] != rng[1]:
        return f"{rng[0]}–{rng[1]}{scale} points (range: some factors unknown)"
    if score.points is not None:
        return f"{score.points}{scale} points"
    return None


def _score_section(score: ScoreResult) -> list[str]:
    out = [f"#### {escape_text(score.title)}", ""]
    facts = [f"**Status:** {_STATUS_WORDS[score.status]}"]
    if score.weights_origin == SITE_CONFIGURED:
        facts.append("**Weights:** site-configured weights (not published; set by this site)")
    elif score.weights_origin:
        facts.append(f"**Weights:** {escape_text(score.weights_origin)}")
    points = _points_line(score)
    if points:
        facts.append(f"**Points:** {points}")
    if score.tier is not None:
        facts.append(f"**Tier:** {TIER_WORDS[score.tier]}")
    elif score.possible_tiers:
        facts.append(f"**Tier:** not determined; possible: {_tiers(score.possible_tiers)}")
    if score.status is ScoreStatus.FACTORS_ONLY:
        facts.append(
            f"**Factors present:** {score.present} of {len(score.factors)} "
            f"({score.unknown} unknown); no tier without site-configured weights"
        )
    if score.reason:
        facts.append(f"**Why:** {escape_text(score.reason)}")
    out.append(bullets(facts))
    if score.factors:
        rows = [
            [
                escape_text(f.label) + (f" ({escape_text(f.detail)})" if f.detail else ""),
                _value_word(f.value),
                _factor_points(f),
                _factor_sources(f),
            ]
            for f in score.factors
        ]
        out += ["", table(["Factor", "Value", "Points", "Source"], rows)]
    if score.missing:
        out += ["", "**Missing:** " + ", ".join(escape_text(m) for m in score.missing)]
    for note in score.notes:
        out += ["", f"_Note:_ {escape_text(note)}"]
    return [*out, ""]


# Warnings the hook pipeline (blueprints/hooks.py) and the SMART app (smart/page_context.py)
# write for a FHIR query that failed: the facts it would have delivered are unknown, not absent.
_UNREAD_WARNINGS = ("Not available from the FHIR server", "Could not be read from the EHR")


def _missing_section(assessment: Assessment) -> list[str]:
    settle = [
        f"{escape_text(s.title)}: {', '.join(escape_text(m) for m in s.missing)}"
        for s in applicable_scores(assessment)
        if s.missing
    ]
    plan = assessment.surveillance
    lighter = [escape_text(item) for item in plan.lighter_if_known] if plan else []
    if not settle and not lighter:
        return []
    out = ["### Missing data", ""]
    if any(w.startswith(_UNREAD_WARNINGS) for w in assessment.warnings):
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
            else "Not in the record (the tier is settled without them):"
        )
        out += [lead, "", bullets(settle), ""]
    if lighter:
        out += ["These could allow a lighter schedule if known:", "", bullets(lighter), ""]
    return out


def _surveillance_section(plan: SurveillancePlan | None) -> list[str]:
    out = ["### Surveillance", ""]
    if plan is None:
        return [*out, "No schedule could be set (see missing data).", ""]
    tier = TIER_WORDS[plan.tier] if plan.tier is not None else "not determined"
    facts = [f"**Schedule tier:** {tier}", f"**Basis:** {escape_text(plan.basis)}"]
    if plan.anchor_date:
        facts.append(f"**Counted from resection on:** {escape_text(plan.anchor_date)}")
    if plan.schedule_months:
        pairs = [
            f"month {m}"
            + (f" ({escape_text(plan.schedule_dates[i])})" if i < len(plan.schedule_dates) else "")
            for i, m in enumerate(plan.schedule_months)
        ]
        facts.append("**Abdominal CT or MRI at:** " + "; ".join(pairs))
    if plan.next_due:
        state = " — **overdue**" if plan.overdue else (" — **due now**" if plan.due_now else "")
        facts.append(f"**Next due:** {escape_text(plan.next_due)}{state}")
    elif plan.overdue:
        facts.append("**Next due:** **overdue**")
    else:
        facts.append("**Next due:** none scheduled; further imaging as clinically indicated")
    if plan.last_imaging:
        refs = ", ".join(escape_text(r) for r in plan.imaging_sources)
        facts.append(
            f"**Last abdominal CT/MRI:** {escape_text(plan.last_imaging)}"
            + (f" ({refs})" if refs else "")
        )
    if plan.suggest_chromogranin:
        facts.append(
            "**Serum chromogranin A** (LOINC 9811-1) suggested with imaging: pre-operative value "
            "above its reference range or functional tumour"
        )
    facts.append("Somatostatin-receptor PET and FDG-PET are not for routine surveillance.")
    return [*out, bullets(facts), ""]


def _inputs_section(assessment: Assessment) -> list[str]:
    if not assessment.inputs:
        return []
    rows = [
        [
            escape_text(i.label),
            _input_value(i.value) + (f" ({TEXT_MARK})" if i.read_from_text else ""),
            ", ".join(escape_text(r) for r in i.sources) or "—",
            escape_text(i.note) if i.note else "",
        ]
        for i in assessment.inputs
    ]
    return [
        "### Inputs read from the record",
        "",
        table(["Input", "Value", "Source", "Note"], rows),
        "",
    ]


TEXT_MARK = "read from the report text — confirm"


def _report_text_section(assessment: Assessment) -> list[str]:
    """Every value read from report text, with its exact phrase, and every disagreement between
    text and discrete data (clinical.md §3.2, §3.3)."""
    read = [i for i in assessment.inputs if i.read_from_text]
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
            "Report text and discrete data disagree (the worse value is used):",
            "",
            bullets(
                f"**{escape_text(i.label)}:** {escape_text(i.text_disagreement or '')}"
                for i in disagreed
            ),
            "",
        ]
    return out


def _citations(assessment: Assessment) -> list[str]:
    items = [link(s.citation, s.citation_url) for s in applicable_scores(assessment)]
    items.append(link(SURVEILLANCE_CITATION, SURVEILLANCE_CITATION_URL))
    return ["### Citations", "", bullets(items), ""]


def build_detail(assessment: Assessment) -> str:
    if assessment.overall_tier is not None:
        head = f"**Overall risk tier:** {TIER_WORDS[assessment.overall_tier]}"
    else:
        possible = _tiers(assessment.possible_tiers)
        head = f"**Overall risk tier:** not determined (incomplete data); possible: {possible}"
    out = [head, ""]
    applicable = applicable_scores(assessment)
    out += ["### Scores", ""]
    for score in applicable:
        out += _score_section(score)
    for score in assessment.scores:
        if score.status is ScoreStatus.NOT_APPLICABLE:
            why = f": {escape_text(score.reason)}" if score.reason else ""
            out += [f"- {escape_text(score.title)} — not applicable{why}"]
    if len(applicable) < len(assessment.scores):
        out.append("")
    out += _missing_section(assessment)
    if assessment.guideline_flags:
        out += [
            "### Guideline flags",
            "",
            bullets(escape_text(f) for f in assessment.guideline_flags),
            "",
        ]
    out += _surveillance_section(assessment.surveillance)
    out += _report_text_section(assessment)
    out += _inputs_section(assessment)
    if assessment.warnings:
        out += ["### Warnings", "", bullets(escape_text(w) for w in assessment.warnings), ""]
    out += _citations(assessment)
    out.append(CONFIRM_SENTENCE)
    return "\n".join(out)


def build_out_of_scope_detail(assessment: Assessment) -> str:
    reason = (
        escape_text(assessment.scope_reason) if assessment.scope_reason else "no reason recorded"
    )
    out = [
        f"**Not assessed:** {reason}",
        "",
        "The recurrence-risk scores apply only after curative-intent resection of a "
        "well-differentiated neuroendocrine tumour without distant metastasis at surgery. "
        "No surveillance schedule is suggested.",
        "",
    ]
    if assessment.warnings:
        out += ["### Warnings", "", bullets(escape_text(w) for w in assessment.warnings), ""]
    out.append("If the record is wrong, correct it; the service reassesses on its next call.")
    return "\n".join(out)
