"""The card's `source`: which publications the guidance rests on, and its topic code."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from cds_service.cards.markdown import safe_url
from cds_service.cards.models import Coding, Source
from cds_service.cards.wire import wire_constant
from scoring.assessment import Assessment, ScoreResult, ScoreStatus

# No standard CDS topic code set exists (https://cds-hooks.hl7.org/2.0/#source) and no SNOMED CT
# concept for "NET recurrence-risk surveillance" was confirmed, so the topic is a local code.
TOPIC = wire_constant(
    Coding(
        system="https://pannet-cds.org/topics",
        code="net-recurrence-risk",
        display="Neuroendocrine tumour recurrence risk and surveillance",
    )
)

# Short names for labels and summaries, keyed by score id (cds-api.md "Score ids").
SCORE_SHORT_NAMES: dict[str, str] = {
    "zaidi-rrs-2019": "Zaidi RRS",
    "ventin-2025": "Ventin 2025",
    "zheng-lms-2025": "Zheng LMS",
}
# What each short name stands for, spelled out once on the card (the summary uses the short name).
SCORE_LONG_NAMES: dict[str, str] = {
    "zaidi-rrs-2019": "the Recurrence Risk Score of Zaidi et al. 2019",
    "ventin-2025": "the node-negative PanNET recurrence score of Ventin et al. 2025",
    "zheng-lms-2025": "the Liver Metastasis Score of Zheng et al. 2025",
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


# The fallback link, checked once; a constant safe_url refused would stop the import.
_SURVEILLANCE_URL: str = safe_url(SURVEILLANCE_CITATION_URL) or ""
if not _SURVEILLANCE_URL:
    raise ValueError(f"not a safe URL: {SURVEILLANCE_CITATION_URL!r}")

# The specification gives a DOI or PMID for some articles only; for the others the citation URL
# is a PubMed search, and the card says so rather than pass a search off as the article.
SEARCH_NOTE = "a PubMed search: no DOI or PMID is confirmed for this article"


def is_search_url(url: str | None) -> bool:
    """True for a literature search (PubMed `?term=`), not an article's own address."""
    if not url:
        return False
    parts = urlsplit(url)
    return "term=" in parts.query or parts.path.rstrip("/").endswith("/search")


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
    return _driver(assessment, applicable_scores(assessment))


def _driver(assessment: Assessment, applicable: list[ScoreResult]) -> ScoreResult | None:
    overall = assessment.overall_tier
    if overall is not None:
        for score in applicable:
            if score.tier == overall:
                return score
    for score in applicable:
        if score.points is not None or score.points_range:
            return score
    return applicable[0] if applicable else None


def _label_and_url(assessment: Assessment) -> tuple[str, str]:
    applicable = applicable_scores(assessment)  # once, for the label and the driving score
    names = [n for n in [label_name(s) for s in applicable] if n]
    if assessment.surveillance is not None:
        names.append(SURVEILLANCE_LABEL)
    label = f"pannet-cds ({'; '.join(names)})" if names else "pannet-cds"
    driver = _driver(assessment, applicable)
    # The leading score's article when the specification names it; a search is not a citation,
    # so the surveillance consensus (whose DOI is known) is linked instead.
    driver_url = driver.citation_url if driver and not is_search_url(driver.citation_url) else None
    url = safe_url(driver_url) if driver_url is not None else None
    return label, url or _SURVEILLANCE_URL


def build_source(assessment: Assessment) -> Source:
    label, url = _label_and_url(assessment)
    return Source(label=label, url=url, topic=TOPIC)


# The topic's wire dict, made once; each card gets a copy of its own.
_TOPIC_WIRE = TOPIC.to_wire()


def source_wire(assessment: Assessment) -> dict[str, Any]:
    """`build_source(assessment).to_wire()`, without the model: the card is validated from it."""
    label, url = _label_and_url(assessment)
    return {"label": label, "url": url, "topic": dict(_TOPIC_WIRE)}
