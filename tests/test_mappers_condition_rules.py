"""`conditions._icd10_rule` finds the longest allowed DIAGNOSIS_RULES prefix by lookups of the
code's own prefixes; compared here with the scan over every rule it replaced."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from fhir_mappers import clinical_codes as cc
from fhir_mappers import conditions
from fhir_mappers.concepts import Concept


def _scanned_rule(code: Concept) -> cc.DiagnosisRule | None:
    """The former `_icd10_rule`: every rule tried against every ICD-10 coding."""
    best: cc.DiagnosisRule | None = None
    for system, icd in conditions.icd10_codings(code):
        for rule in cc.DIAGNOSIS_RULES:
            if not icd.startswith(rule.prefix):
                continue
            if system != cc.ICD10CM and rule.prefix != cc.ICD10_ENDOCRINE_PANCREAS:
                continue
            if best is None or len(rule.prefix) > len(best.prefix):
                best = rule
    return best


def test_rule_prefixes_are_unique() -> None:
    prefixes = [rule.prefix for rule in cc.DIAGNOSIS_RULES]
    assert len(prefixes) == len(set(prefixes))


_SYSTEMS = [*sorted(cc.ICD10_SYSTEMS), "http://snomed.info/sct"]
_STEMS = [r.prefix for r in cc.DIAGNOSIS_RULES] + ["C25", "C7A", "C7B.0", "D3A.0", "C17.1"]


def _codes() -> list[str]:
    out = []
    for stem in _STEMS:
        for cut in range(1, len(stem) + 1):
            for tail in ("", "0", "1", "2", "9", "09", "092", "0921", ".1", " G"):
                out.append(stem[:cut] + tail)
    return out


def test_rule_as_the_scan_over_each_code_and_pair() -> None:
    codes = _codes()
    for system in _SYSTEMS:
        for icd in codes:
            code = Concept(((system, icd),))
            assert conditions._icd10_rule(code) == _scanned_rule(code), (system, icd)
    for first in codes[::7]:
        for second in codes[::5]:
            code = Concept(((cc.ICD10CM, first), (_SYSTEMS[1], second), (cc.ICD10CM, second)))
            assert conditions._icd10_rule(code) == _scanned_rule(code), (first, second)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(_SYSTEMS), st.sampled_from(_codes()) | st.text(max_size=9)),
        max_size=4,
    )
)
def test_rule_as_the_scan_for_any_codings(codings: list[tuple[str, str]]) -> None:
    code = Concept(tuple(codings))
    assert conditions._icd10_rule(code) == _scanned_rule(code)


def test_icd10_codings_once_per_record_as_read_each_time() -> None:
    """Within a record (`one_record`) a code's ICD-10 codings are normalised once and kept by
    the code's identity: the same answer as outside one, and a different code (even an equal
    one built anew) is read for itself."""
    from fhir_mappers.concepts import concept, one_record

    raw = {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "c25.4 "}]}
    other = {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "C78.7+"}]}
    outside = conditions.icd10_codings(concept(raw))
    assert outside == (("http://hl7.org/fhir/sid/icd-10-cm", "C25.4"),)
    with one_record():
        code = concept(raw)
        assert conditions.icd10_codings(code) == outside
        assert conditions.icd10_codings(code) is conditions.icd10_codings(code)
        assert conditions.icd10_codings(concept(other)) == (
            ("http://hl7.org/fhir/sid/icd-10", "C78.7"),
        )
        assert conditions.has_icd10_prefix(concept(other), ("C78",))
        assert not conditions.has_icd10_prefix(code, ("C78",))
        assert conditions.icd10_codings(Concept((("urn:x", "C25.4"),), "")) == ()
