"""The fast spellings of word-bounded pattern alternatives (`text_patterns.word_start`) match
exactly what the plain spellings match, at the same spans."""

from __future__ import annotations

import random
import re

import pytest

from fhir_mappers import clinical_codes as cc
from fhir_mappers.text_patterns import word_start

# The patterns as they were written before `word_start` (clinical_codes.py)
PLAIN = {
    "SYMPTOM_TEXT": (
        r"jaundice|icterus|abdominal pain|epigastric pain|\bgi bleed|"
        r"gastrointestinal (bleed|h(a)?emorrh)|mel(a)?ena|h(a)?ematochezia|h(a)?ematemesis"
    ),
    "NEC_TEXT": (
        r"poorly[- ]differentiated|small[- ]cell carcinoma|large[- ]cell neuroendocrine|\bnec\b|"
        r"neuroendocrine carcinoma|neuroendokrine[sn]? karzinom|carcinome neuroendocrine|"
        r"carcinoma neuroendocrino|neuro-endocrien carcinoom|schlecht differenziert|"
        r"niedrig differenziert|kleinzellige[sn]? karzinom|großzellige[sn]? neuroendokrin|"
        r"peu différencié|poco diferenciado|scarsamente differenziato|slecht gedifferentieerd"
    ),
    "FUNCTIONAL_TEXT": (
        r"insulinom|gastrinom|glucagonom|glukagonom|somatostatinom|vipom|zollinger|"
        r"carcinoid syndrome|karzinoidsyndrom|"
        r"(?<!non)(?<!non-)(?<!non )\bfunctioning\b|"
        r"(?<!non)(?<!non-)(?<!non )\bfunctional (net|tumou?r|pannet)|"
        r"(?<!nicht )(?<!nicht-)\bfunktionell(?:er|es)? (?:net|tumor)|(?<!non-)\bhormonaktiv"
    ),
}
# pieces the texts are made of: the words the patterns look for, their neighbours, and
# characters at word boundaries (letters, digits, "_", accented, punctuation, space)
PIECES = (
    "gi bleed",
    "nec",
    "functioning",
    "functional net",
    "functional tumour",
    "funktionell",
    "funktionelles tumor",
    "hormonaktiv",
    "non",
    "non-",
    "non ",
    "nicht ",
    "nicht-",
    "a",
    "x",
    "_",
    "1",
    "é",
    " ",
    "-",
    "|",
    "(",
    "g",
    "n",
    "f",
    "h",
    "ec",
    "i bleed",
    "unctioning",
)


def _texts(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(PIECES) for _ in range(rng.randint(0, 6))) for _ in range(count)]


@pytest.mark.parametrize("name", sorted(PLAIN))
def test_fast_spelling_matches_the_plain_one(name: str) -> None:
    plain, fast = re.compile(PLAIN[name]), re.compile(getattr(cc, name))
    assert fast.pattern != plain.pattern
    matched = 0
    for text in _texts(sum(map(ord, name)), 20_000):
        want = [m.span() for m in plain.finditer(text)]
        matched += bool(want)
        assert [m.span() for m in fast.finditer(text)] == want, text
        assert bool(fast.search(text)) == bool(plain.search(text)), text
    assert matched > 200  # the texts do reach the word-bounded alternatives


def test_word_start_spelling() -> None:
    assert word_start("gi bleed") == r"g(?<=\bg)i bleed"
    assert word_start("hormonaktiv", ("non-",)) == r"h(?<=\bh)(?<!non\-h)ormonaktiv"
    with pytest.raises(ValueError):
        word_start(r"\bx")
