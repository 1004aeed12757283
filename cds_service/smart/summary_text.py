"""Plain sentences for the top of the patient page: the guideline flags as a clinician reads them
(the resources they come from are links, not ids in the sentence), why the overall tier is not
determined while a schedule is, and how long imaging is overdue. Decisions stay the assessment's;
this only words them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from cds_service.cards.action import overdue_by
from cds_service.cards.wording import without_codes
from scoring.assessment import Assessment, SurveillancePlan, Tier, tier_rank
from scoring.combine import GUIDELINE_FLOOR, guideline_flags
from scoring.factors import node_positive
from scoring.inputs import ClinicalInputs

_FLOOR_WORDS = "at least intermediate-intensity surveillance (CommNETS/NANETS)"


@dataclass(frozen=True)
class FlagLine:
    text: str
    value: bool | None
    sources: tuple[str, ...]
    from_text: bool = False  # rests on a value read from report text: marked on the page


def flag_lines(inputs: ClinicalInputs, scheduled: Tier | None) -> list[FlagLine]:
    """One line per guideline flag. The floor ("at least intermediate") is said only while the
    schedule is not already above it: beside a high schedule it tells the reader nothing."""
    above_floor = scheduled is not None and tier_rank(scheduled) > tier_rank(GUIDELINE_FLOOR)
    # guideline_flags gives the node flag, then the Ki-67 flag; their sources, in that order:
    sources = (node_positive(inputs).sources, inputs.ki67_percent.sources)
    node_facts = (inputs.nodes_positive, inputs.pn_positive, inputs.nodes_examined)
    texts = (
        any(f.quote for f in node_facts if f.value is not None),
        bool(inputs.ki67_percent.quote),
    )
    lines = []
    for flag, refs, from_text in zip(guideline_flags(inputs), sources, texts, strict=True):
        name = flag.text.split(":", 1)[0]
        if flag.value is False:
            text = f"{name}: no"
        elif flag.value is True:
            text = f"{name}: yes" + ("" if above_floor else f", so {_FLOOR_WORDS}")
        else:
            text = f"{name}: unknown" + ("" if above_floor else f"; if so, {_FLOOR_WORDS}")
        lines.append(FlagLine(text, flag.value, tuple(dict.fromkeys(refs)), from_text))
    return lines


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def undetermined_reason(assessment: Assessment) -> str | None:
    """Why there is a schedule but no overall tier, in one sentence; None when not the case.
    It names data to record only when they could allow a lighter schedule (`lighter_if_known`):
    beside a guideline floor or a score without published weights, recording them would not."""
    plan = assessment.surveillance
    if assessment.overall_tier is not None or plan is None or plan.tier is None:
        return None
    missing = [without_codes(m) for m in plan.lighter_if_known]
    until = (
        f" until {_listed(missing)} {'is' if len(missing) == 1 else 'are'} recorded"
        if missing
        else ""
    )
    scheduled = plan.tier.value.replace("-", " ")
    if assessment.possible_tiers:
        tiers = _listed([t.value.replace("-", " ") for t in assessment.possible_tiers])
        rest = until if missing else "; no missing value could make it lighter"
        return (
            f"Several tiers are still possible ({tiers}), so surveillance is scheduled by the "
            f"highest possible tier, {scheduled}{',' if missing else ''}{rest}."
        )
    rest = until if missing else ", as nothing in the record shows a lower risk"
    return (
        "No score with published points and cut-offs gives this patient a tier, so surveillance "
        f"is scheduled as {scheduled}{rest}."
    )


def overdue_text(plan: SurveillancePlan, today: str) -> str | None:
    """ "Overdue since <date>, by <years and months>; no abdominal CT/MRI since the resection on
    <date>": the card's words (cards/action.py), so card and page give the same duration."""
    if not plan.overdue or not plan.overdue_since:
        return None
    by = overdue_by(plan.overdue_since, today, plan.days_overdue)
    since = f"overdue since {plan.overdue_since}" + (f", by {by}" if by else "")
    if plan.last_imaging is None:
        return f"{since}: no abdominal CT/MRI on record since the resection on {plan.anchor_date}"
    return f"{since}: the last abdominal CT/MRI on record is from {plan.last_imaging}"


# A mapper warning starts with the resource it is about ("Observation/x: not valid FHIR R4 ...").
_WARNING_REF = re.compile(r"^([A-Z][A-Za-z]+/[A-Za-z0-9\-.]{1,64}): (.+)$", re.DOTALL)


def warning_parts(warning: str) -> tuple[str | None, str]:
    """The resource a warning names (shown as a source link, not as an id in the sentence) and
    the rest of the warning; (None, warning) when it names none."""
    match = _WARNING_REF.match(warning)
    if match is None:
        return None, warning
    text = match.group(2)
    return match.group(1), text[:1].upper() + text[1:]
