"""The card detail's score sections: each applicable score's status, points, tier and factor
table (value, points, source), for checking the tier the card's first lines state."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cds_service.cards.markdown import aside, bullets, escape_all, escape_text, table
from cds_service.cards.source import applicable_scores
from cds_service.cards.summary import TIER_WORDS
from cds_service.cards.wording import missing_words
from scoring.assessment import (
    Assessment,
    FactorResult,
    InputResult,
    ScoreResult,
    ScoreStatus,
    sorted_tiers,
)

SITE_CONFIGURED = "site-configured"
TEXT_NOTE = "read from the report text"

# `table(["Factor", "Value", "Points", "Source"], ...)`'s first two lines.
FACTOR_TABLE_HEAD = table(["Factor", "Value", "Points", "Source"], [])

STATUS_WORDS: dict[ScoreStatus, str] = {
    ScoreStatus.SCORED: "scored",
    ScoreStatus.PARTIAL: "partial, some factors unknown",
    ScoreStatus.FACTORS_ONLY: "factors only, no published points",
    ScoreStatus.NOT_APPLICABLE: "not applicable",
}


def tiers_text(tiers: list) -> str:
    return ", ".join(TIER_WORDS[t] for t in sorted_tiers(set(tiers))) or "none"


_VALUE_WORDS: dict[bool | None, str] = {True: "present", False: "absent", None: "unknown"}


def _value_word(value: bool | None) -> str:
    return _VALUE_WORDS[value]


# A factor's fields, read from its `vars` once per factor: a dict lookup each, where a pydantic
# attribute read took ~400 instructions before `scoring.fast_reads` (and still does wherever
# that cannot apply).
Fields = Mapping[str, Any]


def fields_of(factor: FactorResult) -> Fields:
    return vars(factor)


def _factor_points(factor: Fields) -> str:
    points = factor["points"]
    if points is not None:
        return str(points)
    if factor["value"] is None and factor["weight"] is not None:
        return f"0 or {factor['weight']}"
    return "—"


def _factor_refs(factor: Fields) -> list[str]:
    """The factor's source, then its other sources, each once."""
    source, sources = factor["source"], factor["sources"]
    if not sources:  # most factors: one source or none, nothing to deduplicate
        return [source] if source else []
    return list(dict.fromkeys([source, *sources] if source else sources))


def _points_line(score: ScoreResult) -> str | None:
    scale = f" of {score.max_points}" if score.max_points is not None else ""
    rng = score.points_range
    if rng and len(rng) == 2 and rng[0] != rng[1]:
        return f"{rng[0]}–{rng[1]}{scale} points; a range, as some factors are unknown"
    if score.points is not None:
        return f"{score.points}{scale} points"
    return None


def _facts(score: ScoreResult) -> list[str]:
    facts = [f"**Status:** {STATUS_WORDS[score.status]}"]
    if score.weights_origin == SITE_CONFIGURED:
        facts.append("**Weights:** site-configured weights, not published; set by this site")
    elif score.weights_origin:
        facts.append(f"**Weights:** {escape_text(score.weights_origin)}")
    points = _points_line(score)
    if points:
        facts.append(f"**Points:** {points}")
    if score.tier is not None:
        facts.append(f"**Tier:** {TIER_WORDS[score.tier]}")
    elif score.possible_tiers:
        facts.append(f"**Tier:** not determined; possible: {tiers_text(score.possible_tiers)}")
    if score.status is ScoreStatus.FACTORS_ONLY:
        facts.append(
            f"**Factors present:** {score.present} of {len(score.factors)}, "
            f"{score.unknown} unknown; no tier without site-configured weights"
        )
    if score.reason:
        facts.append(f"**Why:** {escape_text(score.reason)}")
    return facts


def text_sources(assessment: Assessment, read: list[InputResult] | None = None) -> set[str]:
    """The resources values were read from as report text: a factor from one of them is marked.
    `read`: the assessment's inputs read from report text, if the caller has them."""
    if read is None:
        read = [i for i in assessment.inputs if i.read_from_text]
    return {r for i in read for r in i.sources}


def _value_cell(factor: Fields, from_text: set[str]) -> str:
    source, detail = factor["source"], factor["detail"]
    text = from_text and (
        (source and source in from_text) or any(s in from_text for s in factor["sources"])
    )
    said = detail and "report text" in detail  # the detail already says so
    return aside(_value_word(factor["value"]), TEXT_NOTE if text and not said else None)


def _factor_rows(
    factors: list[Fields], refs_of: list[list[str]], from_text: set[str], cells: list[str], at: int
) -> tuple[list[str], int]:
    """The factor table's rows, reading the escaped cells from `cells[at]` on in the order
    `_cells` put them, and the position after them; `refs_of`: each factor's `_factor_refs`."""
    rows = []
    for f, refs in zip(factors, refs_of, strict=True):
        label = cells[at]
        if f["detail"]:
            label = aside(label, cells[at + 1])
            at += 2
        else:
            at += 1
        if refs:
            sources = ", ".join(cells[at : at + len(refs)])
            at += len(refs)
        else:
            sources = "not in record" if f["value"] is None else "—"
        # Without text-derived inputs no value cell carries a note: `_value_cell` is its word.
        value = _value_cell(f, from_text) if from_text else _VALUE_WORDS[f["value"]]
        points = str(f["points"]) if f["points"] is not None else _factor_points(f)
        # As `table` writes a row: an empty cell becomes one space.
        rows.append(f"| {label or ' '} | {value} | {points} | {sources or ' '} |")
    return rows, at


def _cells(
    scores: list[ScoreResult], factors: list[list[Fields]], refs: list[list[list[str]]]
) -> list[str]:
    """The sections' record text, escaped in one batch: per score its title, then each factor's
    label, detail and references."""
    raw: list[str] = []
    for score, fields, refs_of in zip(scores, factors, refs, strict=True):
        raw.append(score.title)
        for f, factor_refs in zip(fields, refs_of, strict=True):
            raw.append(f["label"])
            if f["detail"]:
                raw.append(f["detail"])
            raw += factor_refs
    return escape_all(raw)


def _score_section(
    score: ScoreResult,
    factors: list[Fields],
    refs_of: list[list[str]],
    from_text: set[str],
    cells: list[str],
    at: int,
    words: dict[str, str],
) -> tuple[list[str], int]:
    """The score's lines, reading its escaped cells from `cells[at]` on, and the position after
    them."""
    out = [f"#### {cells[at]}", "", bullets(_facts(score))]
    at += 1
    if factors:
        rows, at = _factor_rows(factors, refs_of, from_text, cells, at)
        out += ["", "\n".join([FACTOR_TABLE_HEAD, *rows])]
    if score.missing:
        items = "; ".join([words[m] for m in score.missing])
        out += ["", f"**Missing:** {items}"]
    for note in score.notes:
        out += ["", f"_Note:_ {escape_text(note)}"]
    return [*out, ""], at


def scores_section(
    assessment: Assessment,
    words: dict[str, str] | None = None,
    *,
    applicable: list[ScoreResult] | None = None,
    from_text: set[str] | None = None,
) -> list[str]:
    """`words`, `applicable`, `from_text`: the assessment's `missing_words`, `applicable_scores`
    and `text_sources`, if the caller has them."""
    words = missing_words(assessment) if words is None else words
    applicable = applicable_scores(assessment) if applicable is None else applicable
    out = ["### Scores", ""]
    from_text = text_sources(assessment) if from_text is None else from_text
    factors = [[fields_of(f) for f in score.factors] for score in applicable]
    refs = [[_factor_refs(f) for f in fields] for fields in factors]
    cells = _cells(applicable, factors, refs)
    at = 0
    for score, fields, refs_of in zip(applicable, factors, refs, strict=True):
        lines, at = _score_section(score, fields, refs_of, from_text, cells, at, words)
        out += lines
    for score in assessment.scores:
        if score.status is ScoreStatus.NOT_APPLICABLE:
            why = f": {escape_text(score.reason)}" if score.reason else ""
            out += [f"- {escape_text(score.title)} — not applicable{why}"]
    if len(applicable) < len(assessment.scores):
        out.append("")
    return out
