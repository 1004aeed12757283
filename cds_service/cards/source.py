"""The card's `source`: which publications the guidance rests on, and its topic code."""

from __future__ import annotations

from cds_service.cards.markdown import safe_url
from cds_service.cards.models import Coding, Source
from scoring.assessment import Assessment, ScoreResult, ScoreStatus

# No standard CDS topic code set exists (https://cds-hooks.hl7.org/2.0/#source) and no SNOMED CT
# concept for "NET recurrence-risk surveillance" was confirmed, so the topic is a local code.
TOPIC = Coding(
    system="https://pannet-cds.org/topics",
    code="net-recurrence-risk",
    display="Neuroendocrine tumour recurrence risk and surveillance",
)

# Short names for labels and summaries, keyed by score id (cds-api.md "Score ids").
SCORE_SHORT_NAMES: dict[str, str] = {
    "zaidi-rrs-2019": "Zaidi RRS",
    "ventin-2025": "Ventin 2025",
    "zheng-lms-2025": "Zheng LMS",
}
SCORE_LABEL_NAMES: dict[str, str] = {
    "zaidi-rrs-2019": "Zaidi 2019 RRS",
    "ventin-2025": "Ventin 2025",
    "zheng-lms-2025": "Zheng 2025 LMS",
}

# clinical.md §4: the default surveillance schedule's evidence.
SURVEILLANCE_CITATION = (
    "Singh S et al. Joint recommendations of CommNETS and NANETS for follow-up after resection "
    "of neuroendocrine tumours. JAMA Oncol 2018;4(11):1597-1604"
)
SURVEILLANCE_CITATION_URL = "https://doi.org/10.1001/jamaoncol.2018.2428"
SURVEILLANCE_LABEL = "CommNETS/NANETS 2018"


def short_name(score: ScoreResult) -> str | None:
    """The summary's name for a score; None for ids this module does not know, because the
    summary carries no free text."""
    return SCORE_SHORT_NAMES.get(score.id)


def label_name(score: ScoreResult) -> str:
    return SCORE_LABEL_NAMES.get(score.id) or " ".join(score.title.split())


def applicable_scores(assessment: Assessment) -> list[ScoreResult]:
    return [s for s in assessment.scores if s.status is not ScoreStatus.NOT_APPLICABLE]


def driving_score(assessment: Assessment) -> ScoreResult | None:
    """The score the card leads with: the one that set the overall tier, else the first with
    points, else the first applicable one."""
    applicable = applicable_scores(assessment)
    if assessment.overall_tier is not None:
        for score in applicable:
            if score.tier == assessment.overall_tier:
                return score
    for score in applicable:
        if score.points is not None or score.points_range:
            return score
    return applicable[0] if applicable else None


def build_source(assessment: Assessment) -> Source:
    names = [n for n in (label_name(s) for s in applicable_scores(assessment)) if n]
    if assessment.surveillance is not None:
        names.append(SURVEILLANCE_LABEL)
    label = f"pannet-cds ({'; '.join(names)})" if names else "pannet-cds"
    driver = driving_score(assessment)
    candidates = [driver.citation_url if driver else None, SURVEILLANCE_CITATION_URL]
    url = next(u for u in (safe_url(c) for c in candidates) if u is not None)
    return Source(label=label, url=url, topic=TOPIC)
