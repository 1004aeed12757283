"""The report reader's pipeline is built on `pipeline.blank_english()` (the English language
class, built directly) instead of `spacy.blank("en")` (the same class through spaCy's
configuration system, ~30 ms more per process): the tokenizer and vocabulary must be the same,
and so every mention, negation and uncertainty decision over the report corpus, the real-world
sources and random mixtures of the reader's target phrases and ConText cues."""

from __future__ import annotations

import random
from functools import cache
from pathlib import Path

import spacy

from fhir_mappers.report_text import pipeline as p
from fhir_mappers.report_text.context_rules import CUES
from fhir_mappers.report_text.segments import clauses, relevant, segments
from fhir_mappers.report_text.vocabulary import TARGETS

DATA = Path(__file__).resolve().parent / "data"
_FILLERS = ("the", "tumour", "is", "seen", "in", "3 cm", "12 %", "and", ".", "2/10 HPF", ":", "n't")


def _corpus_texts() -> list[str]:
    reports = DATA / "reports"
    files = [*sorted(reports.glob("*.txt")), *sorted(reports.glob("*.html"))]
    files += sorted((DATA / "realworld").glob("*.source.md"))
    return [f.read_text() for f in files]


def _mixtures(count: int) -> list[str]:
    """Random sequences of target phrases, ConText cues (ours and medspaCy's defaults) and
    fillers: every cue next to every kind of finding, in many orders."""
    built = p.pipeline()
    default_cues = [rule.literal for rule in built.context.rules]
    pools = (
        [t.phrase for t in TARGETS] + ["Ki-67", "KI 67", "ki - 67"],
        [c.literal for c in CUES] + default_cues,
        list(_FILLERS),
    )
    rng = random.Random(13)
    texts = []
    for _ in range(count):
        words = [
            rng.choice(pools[min(int(rng.random() * 2.5), 2)]) for _ in range(rng.randint(1, 8))
        ]
        texts.append(" ".join(words))
    return texts


@cache
def _clauses() -> tuple[str, ...]:
    out = []
    for text in _corpus_texts() + _mixtures(3000):
        found, _ = segments(text)
        out += [c for s in found for _, c in clauses(s.text) if relevant(c)]
        out.append(text[:400])  # the text as one segment too
    return tuple(out)


@cache
def _on_spacy_blank() -> p.Pipeline:
    return p.build(lambda: spacy.blank("en"))


def _decisions(built: p.Pipeline) -> list:
    return [
        None if found is None else [(m.label, m.start, m.end, sorted(m.cues)) for m in found]
        for found in p.mentions(_clauses(), built)
    ]


def test_blank_english_is_what_spacy_blank_builds():
    direct, via_config = p.blank_english(), spacy.blank("en")
    assert type(direct) is type(via_config)
    assert direct.tokenizer.to_bytes() == via_config.tokenizer.to_bytes()
    assert direct.vocab.to_bytes() == via_config.vocab.to_bytes()
    assert (direct.batch_size, direct.max_length) == (via_config.batch_size, via_config.max_length)
    assert direct.config["nlp"] == via_config.config["nlp"]
    assert direct.pipe_names == via_config.pipe_names == []


def test_every_reader_decision_is_the_same_on_either_blank_pipeline():
    built = p.pipeline()
    assert [n for n, _ in built.nlp.pipeline] == [n for n, _ in _on_spacy_blank().nlp.pipeline]
    ours, reference = _decisions(built), _decisions(_on_spacy_blank())
    assert len(ours) > 5000
    # the corpus reaches every kind of decision: mentions with and without cues, and refusals
    assert sum(len(d or ()) for d in ours) > 5000
    assert sum(1 for d in ours for m in d or () if m[3]) > 1000
    assert ours == reference


def test_the_comparison_sees_a_different_tokenizer():
    # the same rules on the multi-language tokenizer (no English exceptions: "n't", "a.m.")
    # decide differently somewhere in the same clauses, so the comparison above can fail
    other = p.build(lambda: spacy.blank("xx"))
    assert _decisions(other) != _decisions(_on_spacy_blank())
