"""The fast spellings of word-bounded pattern alternatives (`text_patterns.word_start`) match
exactly what the plain spellings match, at the same spans."""

from __future__ import annotations

import pytest

from fhir_mappers import clinical_codes as cc
from fhir_mappers.text_patterns import word_start
from tests.support.pattern_texts import random_texts, same_matches

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


@pytest.mark.parametrize("name", sorted(PLAIN))
def test_fast_spelling_matches_the_plain_one(name: str) -> None:
    texts = random_texts(PIECES, seed=sum(map(ord, name)), count=20_000, most=6)
    # the texts do reach the word-bounded alternatives
    assert same_matches(getattr(cc, name), PLAIN[name], texts) > 200


def test_word_start_spelling() -> None:
    assert word_start("gi bleed") == r"g(?<=\bg)i bleed"
    assert word_start("hormonaktiv", ("non-",)) == r"h(?<=\bh)(?<!non\-h)ormonaktiv"
    with pytest.raises(ValueError):
        word_start(r"\bx")
