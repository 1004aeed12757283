"""Plain sentences for the top of the patient page: the guideline flags as a clinician reads them
(the resources they come from are links, not ids in the sentence), why the overall tier is not
determined while a schedule is, and how long imaging is overdue. Decisions stay the assessment's;
this only words them."""

from __future__ import annotations

from dataclasses import dataclass

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


def flag_lines(inputs: ClinicalInputs, scheduled: Tier | None) -> list[FlagLine]:
    """One line per guideline flag. The floor ("at least intermediate") is said only while the
    schedule is not already above it: beside a high schedule it tells the reader nothing."""
    above_floor = scheduled is not None and tier_rank(scheduled) > tier_rank(GUIDELINE_FLOOR)
    # guideline_flags gives the node flag, then the Ki-67 flag; their sources, in that order:
    sources = (node_positive(inputs).sources, inputs.ki67_percent.sources)
    lines = []
    for flag, refs in zip(guideline_flags(inputs), sources, strict=True):
        name = flag.text.split(":", 1)[0]
        if flag.value is False:
            text = f"{name}: no"
        elif flag.value is True:
            text = f"{name}: yes" + ("" if above_floor else f", so {_FLOOR_WORDS}")
        else:
            text = f"{name}: unknown" + ("" if above_floor else f"; if so, {_FLOOR_WORDS}")
        lines.append(FlagLine(text, flag.value, tuple(dict.fromkeys(refs))))
    return lines


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def undetermined_reason(assessment: Assessment) -> str | None:
    """Why there is a schedule but no overall tier, in one sentence; None when not the case."""
    plan = assessment.surveillance
    if assessment.overall_tier is not None or plan is None or plan.tier is None:
        return None
    missing = plan.lighter_if_known or list(
        dict.fromkeys(m for s in assessment.scores for m in s.missing)
    )
    until = (
        f"until {_listed(missing)} {'is' if len(missing) == 1 else 'are'} recorded"
        if missing
        else "until the missing data are recorded"
    )
    scheduled = plan.tier.value.replace("-", " ")
    if assessment.possible_tiers:
        tiers = _listed([t.value.replace("-", " ") for t in assessment.possible_tiers])
        return (
            f"Several tiers are still possible ({tiers}), so surveillance is scheduled by the "
            f"highest possible tier, {scheduled}, {until}."
        )
    return (
        f"No score could assign a tier from the record, so surveillance is scheduled as "
        f"{scheduled} {until}."
    )


def overdue_text(plan: SurveillancePlan) -> str | None:
    """ "Overdue since <date> (n days); no abdominal CT/MRI since the resection on <date>"."""
    if not plan.overdue or not plan.overdue_since:
        return None
    days = plan.days_overdue
    months = f", about {round(days / 30.44)} months" if days is not None and days >= 60 else ""
    since = f"overdue since {plan.overdue_since}" + (
        f" ({days} days{months})" if days is not None else ""
    )
    if plan.last_imaging is None:
        return f"{since}: no abdominal CT/MRI on record since the resection on {plan.anchor_date}"
    return f"{since}: the last abdominal CT/MRI on record is from {plan.last_imaging}"
