"""The literal stems that let a mapper skip a text search (`Concept.says_stemmed`): every match
of the pattern holds one, so the skipping search answers as the plain one (`Concept.says`), on
random texts made of the patterns' words, their near misses and separators."""

from __future__ import annotations

import re

import pytest

from fhir_mappers import clinical_codes, imaging, medications
from fhir_mappers.concepts import Concept
from tests.support.pattern_texts import random_texts

_SEPARATORS = (" ", "-", "|", "/", "x", "(", "1", "")

CASES = {
    "functional": (
        clinical_codes.FUNCTIONAL_TEXT,
        clinical_codes.FUNCTIONAL_STEMS,
        (
            *clinical_codes.FUNCTIONAL_STEMS,
            "insulinoma",
            "vipoma",
            "carcinoid",
            "syndrome",
            "karzinoid",
            "non",
            "non-",
            "nicht ",
            "nicht-",
            "function",
            "functional",
            "funktionell",
            "er",
            "es",
            "net",
            "tumor",
            "tumour",
            "pannet",
            "hormon",
            "aktiv",
        ),
    ),
    "drug": (
        medications._ANY_DRUG_TEXT,
        medications._ANY_DRUG_STEMS,
        (
            *medications._ANY_DRUG_STEMS,
            "octreotide",
            "lanreotide",
            "pasireotide",
            "temodar",
            "temodal",
            "lu",
            "177",
            "17",
            "lu177",
            "prr",
            "t",
            "peptide receptor",
            "radionuclide",
            "dota",
            "tate",
        ),
    ),
    "abdomen": (
        imaging._ABDOMEN,
        imaging._ABDOMEN_STEMS,
        (*imaging._ABDOMEN_STEMS, "abdomen", "ab", "om", "live", "hepa", "pancreas", "ct"),
    ),
    "not surveillance": (
        imaging._NOT_SURVEILLANCE,
        imaging._NOT_SURVEILLANCE_STEMS,
        (
            *imaging._NOT_SURVEILLANCE_STEMS,
            "pet/ct",
            "pe",
            "dota",
            "toc",
            "fd",
            "octreo",
            "scan",
            "scinti",
            "angio",
            "gra",
            "ct",
            "a",
        ),
    ),
    "ct": (
        imaging._CT,
        imaging._CT_STEMS,
        (*imaging._CT_STEMS, "c", "t", "cat", "scan", "computed", "tomography", "abdomen"),
    ),
    "mri": (
        imaging._MRI,
        imaging._MRI_STEMS,
        (*imaging._MRI_STEMS, "m", "r", "i", "a", "mri", "mra", "magnetic", "resonance"),
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_stems_are_in_every_match(name: str) -> None:
    pattern, stems, words = CASES[name]
    matched = 0
    for text in random_texts((*words, *_SEPARATORS), seed=23, count=20_000, most=5):
        for match in re.finditer(pattern, text):
            matched += 1
            assert any(s in match.group() for s in stems), text
        concept = Concept(text=text)
        assert concept.says_stemmed(pattern, stems) == concept.says(pattern), text
    assert matched > 3000
