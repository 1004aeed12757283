"""The imaging, not-curative and PRRT patterns written with `text_patterns.word_start` match
exactly what their plain spellings (`\\b` + word) match, at the same spans."""

from __future__ import annotations

import re

import pytest

from fhir_mappers import clinical_codes, conditions, imaging, resection_codes
from fhir_mappers.concepts import Concept
from tests.support.pattern_texts import random_texts, same_matches

# The patterns as they were written before `word_start`
PLAIN = {
    "_CT": (imaging._CT, r"\bct\b|computed tomograph|\bcat scan"),
    "_MRI": (imaging._MRI, r"\bmri?\b|magnetic resonance|\bmr[ia]?\b"),
    "_NOT_SURVEILLANCE": (
        imaging._NOT_SURVEILLANCE,
        r"\bpet\b|dotatate|dotatoc|\bfdg\b|octreoscan|scintigra|angiogra|\bcta\b",
    ),
    "NOT_CURATIVE_TEXT": (
        resection_codes.NOT_CURATIVE_TEXT,
        r"\bbiops|\bbiopsie|\bprobeexzision|\bfeinnadel|\bfine[- ]needle|\bpalliativ|\bdebulking|"
        r"\bcytoreduct|\bzytoredukt|\bbypass|\bdrainage|\bstent|\bumgehungsanastomose",
    ),
    "PRRT": (
        clinical_codes.DRUG_CLASSES["PRRT"][1],
        r"lutetium|lu[- ]?177|177[- ]?lu|dotatate|lutathera|\bprrt\b|peptide receptor radionuclide",
    ),
}
# the words the patterns look for, pieces of them, and characters at word boundaries
PIECES = (
    "ct",
    "cta",
    "cat scan",
    "mr",
    "mri",
    "mra",
    "pet",
    "fdg",
    "prrt",
    "biopsy",
    "fine needle",
    "fine-needle",
    "stent",
    "drainage",
    "lu-177",
    "t",
    "r",
    "a",
    "x",
    "_",
    "1",
    "é",
    " ",
    "-",
    "/",
    "(",
    "c",
    "m",
    "p",
)


@pytest.mark.parametrize("name", sorted(PLAIN))
def test_fast_spelling_matches_the_plain_one(name: str) -> None:
    fast_pattern, plain_pattern = PLAIN[name]
    texts = random_texts(PIECES, seed=sum(map(ord, name)), count=20_000, most=6)
    # the texts do reach the word-bounded alternatives
    assert same_matches(fast_pattern, plain_pattern, texts) > 200


@pytest.mark.parametrize(
    "text",
    ["ct abdomen", "abdominal mri", "pet/ct", "endoscopic biopsy", "prrt (lu-177)", "ctx", "impet"],
)
def test_a_few_plain_texts(text: str) -> None:
    for fast_pattern, plain_pattern in PLAIN.values():
        assert bool(re.search(fast_pattern, text)) == bool(re.search(plain_pattern, text))


NON_FUNCTIONING_PIECES = (
    "non-functioning",
    "nonfunctional",
    "non functional",
    "nicht-funktionell",
    "hormoninaktiv",
    "non fonctionnel",
    "no funcionante",
    "non funzionante",
    "niet functioneel",
    "non",
    "functional",
    "funktion",
    "-",
    " ",
    "x",
)


def test_non_functioning_stems_are_in_every_match() -> None:
    """`conditions._non_functioning` searches only a name holding one of the stems."""
    matched = 0
    for text in random_texts(NON_FUNCTIONING_PIECES, seed=17, count=20_000, most=5):
        for match in re.finditer(clinical_codes.NON_FUNCTIONING_TEXT, text):
            matched += 1
            assert any(s in match.group() for s in clinical_codes.NON_FUNCTIONING_STEMS), text
        says = re.search(clinical_codes.NON_FUNCTIONING_TEXT, text) is not None
        assert conditions._non_functioning(Concept(text=text)) == says, text
    assert matched > 5000


NEC_PIECES = (
    "poorly differentiated",
    "poorly-differentiated",
    "small cell carcinoma",
    "large-cell neuroendocrine",
    "nec",
    "neuroendocrine carcinoma",
    "neuroendokrines karzinom",
    "carcinome neuroendocrine",
    "carcinoma neuroendocrino",
    "neuro-endocrien carcinoom",
    "schlecht differenziert",
    "niedrig differenziert",
    "kleinzelliges karzinom",
    "großzellige neuroendokrin",
    "peu différencié",
    "poco diferenciado",
    "scarsamente differenziato",
    "slecht gedifferentieerd",
    "neuroendocrine tumor",
    "well differentiated",
    "well-differentiated",
    "gut differenziert",
    "hochdifferenziert",
    "bien différencié",
    "bien diferenciado",
    "ben differenziato",
    "goed gedifferentieerd",
    "large cell",
    "small",
    "neuro",
    "cell",
    "-",
    " ",
    "x",
)


def test_nec_stems_are_in_every_match() -> None:
    """`conditions._nec` searches a name for NEC_TEXT (WELL_DIFFERENTIATED_TEXT) only when it
    holds one of the stems."""
    matched = 0
    for text in random_texts(NEC_PIECES, seed=19, count=20_000, most=4):
        for match in re.finditer(clinical_codes.NEC_TEXT, text):
            matched += 1
            assert any(s in match.group() for s in clinical_codes.NEC_STEMS), text
        for match in re.finditer(clinical_codes.WELL_DIFFERENTIATED_TEXT, text):
            stems = clinical_codes.WELL_DIFFERENTIATED_STEMS
            assert any(s in match.group() for s in stems), text
    assert matched > 5000


RESECTION_PIECES = (
    "distal pancreatectomy",
    "hemicolectomy",
    "pankreatektomie",
    "whipple",
    "pppd",
    "pylorus-preserving",
    "pylorus erhaltende",
    "enucleation",
    "enucléación",
    "enukleation",
    "small bowel resection",
    "ileal resection",
    "resection of the pancreas",
    "résection du pancréas",
    "resektion des pankreas",
    "pankreaslinksresektion",
    "ileozökalresektion",
    "anterior resection",
    "anteriore rektumresektion",
    "transanal excision",
    "transanale exzision",
    "endoscopic mucosal resection",
    "endoskopische submukosadissektion",
    "excision",
    "resektat",
    "exzisat",
    "splenectomy",
    "resection",
    "pancreas",
    "specimen",
    "tail",
    "ec",
    "tom",
    "-",
    " ",
    "x",
    "é",
)


@pytest.mark.parametrize(
    ("pattern", "stems"),
    [
        (resection_codes.RESECTION_TEXT, resection_codes.RESECTION_STEMS),
        (resection_codes.SPECIMEN_RESECTION_TEXT, resection_codes.SPECIMEN_RESECTION_STEMS),
    ],
)
def test_resection_stems_are_in_every_match(pattern: str, stems: tuple[str, ...]) -> None:
    """`Concept.says_stemmed` searches a procedure / specimen / report name for the resection
    patterns only when it holds one of the stems: every match holds one."""
    matched = 0
    for text in random_texts(RESECTION_PIECES, seed=23, count=5_000, most=4):
        for match in re.finditer(pattern, text):
            matched += 1
            assert any(s in match.group() for s in stems), text
        says = re.search(pattern, text) is not None
        assert Concept(text=text).says_stemmed(pattern, stems) == says, text
    assert matched > 2000
