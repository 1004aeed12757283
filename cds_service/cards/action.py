"""The first lines of the card detail: what to do (the next abdominal CT/MRI, when it is due, how
long it is overdue, which data to record), then the tier and schedule it rests on.

A surgeon reading the card in the EHR decides from these lines; the score tables and the input
table follow for checking. Every string from the assessment passes through `escape_text`.
"""

from __future__ import annotations

from datetime import date

from cds_service.cards.markdown import bullets, escape_text
from cds_service.cards.source import SCORE_LONG_NAMES, driving_score, short_name
from cds_service.cards.summary import TIER_WORDS, score_phrase
from cds_service.cards.wording import missing_words
from scoring.assessment import Assessment, ScoreResult, SurveillancePlan, sorted_tiers

IMAGING = (
    "Multiphasic CT abdomen with contrast or MRI abdomen without and with contrast, as alternatives"
)
# Warnings for a FHIR query that failed (blueprints/hooks.py, smart/page_context.py): facts it
# would have delivered are unknown, not absent.
UNREAD_WARNINGS = ("Not available from the FHIR server", "Could not be read from the EHR")


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def overdue_by(since: str | None, today: str, days: int | None) -> str | None:
    """ "2 years 3 months" (whole months elapsed), "12 days" under a month; None if unknown."""
    start, end = _date(since), _date(today)
    if start is None or end is None or end <= start:
        return _plural(days, "day") if days and days > 0 else None
    months = (end.year - start.year) * 12 + end.month - start.month - (end.day < start.day)
    if months < 1:
        return _plural((end - start).days, "day")
    years, rest = divmod(months, 12)
    parts = ([_plural(years, "year")] if years else []) + ([_plural(rest, "month")] if rest else [])
    return " ".join(parts)


def only_ordered(plan: SurveillancePlan, today: str) -> bool:
    """Whether the latest imaging on record is an order, not an exam done: dated after today, or
    every source an order (ServiceRequest). The plan counts orders as covering an exam."""
    if plan.last_imaging is None:
        return False
    later = plan.last_imaging > today
    return later or all(r.startswith("ServiceRequest/") for r in plan.imaging_sources)


def _month_of(plan: SurveillancePlan, due: str | None) -> str:
    if due in plan.schedule_dates:
        index = plan.schedule_dates.index(due)
        if index < len(plan.schedule_months):
            return f", month {plan.schedule_months[index]} after resection"
    return ""


def _overdue_lines(plan: SurveillancePlan, today: str) -> tuple[str, list[str]]:
    since = plan.overdue_since or plan.next_due
    by = overdue_by(since, today, plan.days_overdue)
    when = f" since {escape_text(since)}" if since else ""
    head = f"**Abdominal CT or MRI is overdue{when}{', by ' + by if by else ''}: order it now.**"
    missed = [d for d in plan.missed_dates if since is None or d >= since]
    if plan.last_imaging is None:
        resected = (
            f" since resection on {escape_text(plan.anchor_date)}" if plan.anchor_date else ""
        )
        fact = f"No abdominal CT/MRI on record{resected}"
        if missed:
            first = "due" if len(missed) == 1 else "the first due"
            fact += f"; {_plural(len(missed), 'scheduled exam')} missed, {first} "
            fact += escape_text(missed[0])
    else:
        fact = f"No abdominal CT/MRI since {escape_text(plan.last_imaging)}"
        if since:
            fact += f"; due {escape_text(since)}"
        if len(missed) > 1:
            fact += f"; {_plural(len(missed), 'scheduled exam')} missed since"
    lines = [fact + ".", IMAGING + "."]
    later = [d for d in plan.schedule_dates if d > today and d not in missed]
    if later:
        lines.append(f"Then by the schedule: {escape_text(later[0])}{_month_of(plan, later[0])}.")
    return head, lines


def _not_anchored(plan: SurveillancePlan, recorded: str | None) -> tuple[str, list[str]]:
    if recorded:
        # A date is on record but could not anchor the schedule (dated after today).
        head = (
            f"**The recorded resection date, {escape_text(recorded)}, cannot be used: correct it "
            "so the surveillance dates can be set.**"
        )
    else:
        head = "**No resection date on record: record it so the surveillance dates can be set.**"
    first = f" at month {plan.schedule_months[0]}" if plan.schedule_months else ""
    return head, [f"First abdominal CT or MRI{first} after the resection."]


def _due_lines(plan: SurveillancePlan, today: str, recorded: str | None) -> tuple[str, list[str]]:
    if plan.overdue:
        return _overdue_lines(plan, today)
    if plan.anchor_date is None:
        return _not_anchored(plan, recorded)
    due = plan.next_due
    if due and plan.due_now:
        head = f"**Abdominal CT or MRI is due on {escape_text(due)}: order it now.**"
        lines = [f"Scheduled exam{_month_of(plan, due)}.", IMAGING + "."]
    elif due:
        head = f"**Next abdominal CT or MRI: {escape_text(due)}{_month_of(plan, due)}.**"
        lines = ["Nothing is due now."]
    else:
        head, lines = (
            "**No further scheduled abdominal CT/MRI: image as clinically indicated.**",
            [],
        )
    if plan.last_imaging and only_ordered(plan, today):
        lines.append(
            f"Abdominal CT/MRI ordered for {escape_text(plan.last_imaging)}, not yet done."
        )
    elif plan.last_imaging:
        lines.append(f"Last abdominal CT/MRI: {escape_text(plan.last_imaging)}.")
    return head, lines


def _record_line(assessment: Assessment, words: dict[str, str]) -> str | None:
    plan = assessment.surveillance
    if plan is not None and plan.lighter_if_known:
        items = "; ".join([words[m] for m in plan.lighter_if_known])
        return f"**Record, as they could allow a lighter schedule:** {items}."
    if assessment.overall_tier is None:
        # Only scores that can give a tier: a factors-only score's missing data settle nothing.
        missing = [m for s in assessment.scores if s.possible_tiers for m in s.missing]
        if missing:
            items = "; ".join([words[m] for m in dict.fromkeys(missing)])
            return f"**Record, to settle the tier:** {items}."
    return None


def action_section(assessment: Assessment, words: dict[str, str] | None = None) -> list[str]:
    """The detail's opening: the exam to order and when, then what to record. `words`: the
    assessment's `missing_words`, if the caller has them."""
    plan = assessment.surveillance
    if plan is None:
        head, lines = "**No surveillance schedule could be set: see the missing data below.**", []
    else:
        recorded = next(
            (i.value for i in assessment.inputs if i.id == "resection" and i.value), None
        )
        head, lines = _due_lines(plan, assessment.today, str(recorded) if recorded else None)
        if plan.suggest_chromogranin:
            lines.append(
                "Serum chromogranin A with the imaging: pre-operative value "
                "above its reference range, or a functional tumour."
            )
    record = _record_line(assessment, missing_words(assessment) if words is None else words)
    if record:
        lines.append(record)
    if any(w.startswith(UNREAD_WARNINGS) for w in assessment.warnings):
        lines.append("**Part of the record could not be read from the EHR:** see Warnings.")
    return [head, "", bullets(lines), ""] if lines else [head, ""]


def _score_words(score: ScoreResult | None) -> str | None:
    """ "Zaidi RRS, the Recurrence Risk Score of Zaidi et al. 2019: 9–10 of 10 points"."""
    phrase = score_phrase(score)
    if score is None or phrase is None:
        return None
    name, long_name = short_name(score), SCORE_LONG_NAMES.get(score.id)
    points = phrase.removeprefix(f"({name} ").removesuffix(")")
    points = points.replace("/", " of ") + ("" if "points" in points else " points")
    return f"{name}, {long_name}: {points}" if long_name else f"{name}: {points}"


def schedule_words(assessment: Assessment) -> str | None:
    """ "high, the highest tier still possible, ...": the schedule's tier and why, in the words
    both the tier line and the schedule section use (the plan's `basis` lists the schedule's
    possible tiers, floor included, which read beside the risk tier's list as a contradiction)."""
    plan = assessment.surveillance
    if plan is None or plan.tier is None:
        return None
    words = TIER_WORDS[plan.tier]
    if assessment.overall_tier is None and assessment.possible_tiers:
        why = "the highest tier still possible" + (
            ", until the missing data are recorded"
            if plan.lighter_if_known
            else "; the missing data would not make it lighter"
        )
    elif assessment.overall_tier is None:
        why = "as nothing in the record shows a lower risk"
    elif plan.tier is assessment.overall_tier:
        why = "set by the risk tier"
    else:
        # The basis may repeat the schedule's own tier first ("very low: G1, N0, ...").
        why = escape_text(plan.basis.removeprefix(f"{words}: "))
    return f"{words}, {why}"


def risk_section(assessment: Assessment) -> list[str]:
    """The tier, its leading score spelled out, and the schedule in the same words."""
    return risk_lines(assessment, schedule_words(assessment))


def risk_lines(assessment: Assessment, schedule: str | None) -> list[str]:
    """`risk_section` with the assessment's `schedule_words` the caller has already."""
    if assessment.overall_tier is not None:
        tier = f"**Risk tier:** {TIER_WORDS[assessment.overall_tier]}"
    elif assessment.possible_tiers:
        possible = ", ".join(TIER_WORDS[t] for t in sorted_tiers(set(assessment.possible_tiers)))
        tier = f"**Risk tier:** not determined, incomplete data; possible: {possible}"
    else:
        tier = (
            "**Risk tier:** not determined: no score with published points and cut-offs "
            "gives this patient a tier"
        )
    score = _score_words(driving_score(assessment))
    lines = [tier + (f". {score}." if score else ".")]
    if schedule:
        lines.append(f"**Schedule:** {schedule}.")
    caveat = metastasis_unknown_caveat(assessment)
    if caveat:
        lines.append(caveat)
    return [line for item in lines for line in (item, "")]


M_UNKNOWN_CAVEAT = (
    "not recorded. The tier and schedule assume there was none; a patient metastatic at surgery"
    " is outside these scores."
)


def metastasis_status_unknown(assessment: Assessment) -> bool:
    """clinical.md §1: unknown M status is unknown, never M0. A tier shown while it is unknown
    rests on the patient not having been metastatic at surgery; the card and the app say so
    next to the tier, not only by an "unknown" row at the end of the input table."""
    if not assessment.in_scope:
        return False
    status = next((i for i in assessment.inputs if i.id == "metastatic_at_surgery"), None)
    return status is not None and status.value is None


def metastasis_unknown_caveat(assessment: Assessment) -> str | None:
    if not metastasis_status_unknown(assessment):
        return None
    return f"**Distant metastasis at surgery:** {M_UNKNOWN_CAVEAT}"
