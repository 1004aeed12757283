"""medspaCy on a blank spaCy pipeline: target phrases (`vocabulary.TARGETS`) and ConText
(`context_rules`: negation, uncertainty, history, hypothetical, other specimen) per mention.

spaCy and medspaCy are imported only when a report has text to read, and the pipeline is built
once per process (`pipeline()` is cached). No model is downloaded: a blank English pipeline has
only the rule-based tokenizer. Each segment (one line or sentence, bounded by
`limits.MAX_SEGMENT_CHARS`) is its own Doc and its own sentence, so ConText's work per segment
is bounded and the whole is linear in the text's length.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from fhir_mappers.report_text.context_rules import CUES, DROPPED_DEFAULT_CUES, TERMINATE
from fhir_mappers.report_text.limits import MAX_CUES, MAX_MENTIONS
from fhir_mappers.report_text.vocabulary import KI67, TARGETS


@dataclass(frozen=True)
class Mention:
    """One target phrase in a segment, with the ConText categories that modify it."""

    label: str
    start: int  # character offsets in the segment
    end: int
    cues: frozenset[str]


@dataclass(frozen=True)
class Pipeline:
    nlp: Any  # tokenizer, one-sentence marker, TargetMatcher
    context: Any  # the ConText component, applied per clause within bounds
    cue_words: frozenset[str]  # first words of every ConText rule, to count cues cheaply


@lru_cache(maxsize=1)
def pipeline() -> Pipeline:
    return build(blank_english)


def build(blank: Callable[[], Any]) -> Pipeline:
    """The pipeline on the blank English pipeline `blank()` returns (`pipeline()`: `blank_english`;
    the tests build it on `spacy.blank("en")` too and compare every decision)."""
    # spaCy before medspaCy, which imports it too: the same modules and instructions, but the
    # other order takes ~5,000 more page faults and 30-50 ms more CPU time (system) per process
    import spacy  # noqa: F401

    # medspaCy's import runs warnings.filterwarnings("ignore") (medspacy/common/medspacy_matcher
    # .py), which would silence every warning in the process for good: a server worker that warms
    # up this reader would never again log a deprecation or resource warning. The import's
    # changes to the filters are undone when it ends.
    with warnings.catch_warnings():
        from medspacy.context import ConText, ConTextRule
        from medspacy.target_matcher import TargetMatcher, TargetRule
    # The one warning of medspaCy's that reaches a read (a match overlapping an entity) quotes
    # the report's words: patient data, which must not reach a log.
    warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"medspacy\.target_matcher")
    from spacy.language import Language

    if "pannet_one_sentence" not in Language.factories:

        @Language.component("pannet_one_sentence")
        def one_sentence(doc: Any) -> Any:
            for i, token in enumerate(doc):
                token.is_sent_start = i == 0
            return doc

    nlp = blank()
    nlp.add_pipe("pannet_one_sentence")
    matcher: TargetMatcher = nlp.add_pipe("medspacy_target_matcher")
    matcher.add([TargetRule(t.phrase, t.label) for t in TARGETS])
    # One token pattern ("Ki 67", "Ki - 67", "KI-67"): it also keeps the TargetMatcher's token
    # matcher non-empty, which spaCy would otherwise warn about (W036) on every Doc.
    matcher.add(
        [
            TargetRule(
                "ki 67", KI67, pattern=[{"LOWER": "ki"}, {"TEXT": "-", "OP": "?"}, {"LOWER": "67"}]
            )
        ]
    )
    context = ConText(nlp, rules=None)  # applied by `mentions`, clause by clause, within bounds
    # medspaCy's default rules read from its own file, as `ConText(nlp)` would load them, but
    # without a second blank pipeline and matcher built only to list them (~100 ms per process)
    defaults = ConTextRule.from_json(context.DEFAULT_RULES_FILEPATH)
    mine = {c.literal for c in CUES}
    kept = [r for r in defaults if r.literal not in DROPPED_DEFAULT_CUES | mine]
    added = [
        ConTextRule(
            c.literal, c.category if c.category != TERMINATE else "TERMINATE", direction=c.direction
        )
        for c in CUES
    ]
    context.add(kept + added)
    return Pipeline(nlp, context, frozenset(_first_words(kept + added)))


def blank_english() -> Any:
    """What `spacy.blank("en")` builds, without its round trip through spaCy's configuration
    system (filling and validating the whole training configuration, ~30 ms): the English
    language class's own tokenizer (exceptions, prefix/suffix/infix patterns, URL and token
    matches) and vocabulary. `tests/test_report_text_pipeline_build.py` compares the two."""
    from spacy.lang.en import English

    return English()


def warm_up() -> None:
    """Build the pipeline now (about 1.5 s of imports and rule compilation), e.g. in a server
    worker before it accepts calls, so the first call with report text does not pay it."""
    pipeline()


def _first_words(rules: list[Any]) -> set[str]:
    words: set[str] = set()
    for rule in rules:
        first = rule.pattern[0].get("LOWER") if isinstance(rule.pattern, list) else None
        if isinstance(first, dict):
            words.update(w.lower() for w in first.get("IN", ()))
        elif isinstance(first, str):
            words.add(first.lower())
        else:
            words.add(rule.literal.split()[0].lower() if rule.literal.split() else rule.literal)
    return words


def mentions(segments: Iterable[str], built: Pipeline | None = None) -> list[list[Mention] | None]:
    """Mentions per segment (by `built`, default `pipeline()`); None for a segment with more than
    MAX_MENTIONS findings or MAX_CUES cue words (ConText's work grows with their product; no real
    clause has so many)."""
    built = built or pipeline()
    out: list[list[Mention] | None] = []
    for doc in built.nlp.pipe(segments):
        cues = sum(1 for token in doc if token.lower_ in built.cue_words)
        if len(doc.ents) > MAX_MENTIONS or cues > MAX_CUES:
            out.append(None)
            continue
        built.context(doc)
        found = []
        for ent in doc.ents:
            cues = frozenset(m.category for m in ent._.modifiers)
            found.append(Mention(ent.label_, ent.start_char, ent.end_char, cues))
        out.append(found)
    return out
