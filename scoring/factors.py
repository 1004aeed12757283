"""How each factor is read from the clinical inputs: one small function per factor id.

Every function returns a three-valued answer (True / False / None = unknown) with the sources.
Thresholds come from clinical.md §2; each is named where it is compared.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from scoring.grade import derive_grade, grade_text
from scoring.inputs import ClinicalInputs, Fact, Grade, Sex


class FactorValue(NamedTuple):
    # A NamedTuple, not a frozen dataclass: a dozen are made per assessment, at a third of the
    # cost.
    value: bool | None
    sources: tuple[str, ...] = ()
    detail: str | None = None


# clinical.md §2.1: tumour size > 2 cm (strictly greater).
ZAIDI_SIZE_ABOVE_CM = 2.0
# clinical.md §2.2: tumour size >= 3 cm.
VENTIN_SIZE_FROM_CM = 3.0
# clinical.md §2.1/§2.3: Ki-67 bands 3-20 % (inclusive) and > 20 %.
KI67_BAND_FROM = 3.0
KI67_BAND_TO = 20.0


# Each reader gives what `_fact(fact, test, detail)` gave: unknown → (None, the sources, the note);
# known → (test(value), the sources, the detail, or the note when it has none), the detail
# formatted before the test, as its argument was. Written out, with the test inline: a dozen
# are read per assessment, and a lambda made and called per reading cost a third of their time
# (tests/scoring_support.py keeps `_fact` and the readers as they were, and tests compare).


def _truth(fact: Fact) -> FactorValue:
    """`_fact(fact, bool)`."""
    value = fact.value
    if value is None:
        return FactorValue(None, fact.sources, fact.note)
    return FactorValue(bool(value), fact.sources, fact.note)


def symptomatic(inputs: ClinicalInputs) -> FactorValue:
    return _truth(inputs.symptomatic)


def tumor_size_gt_2cm(inputs: ClinicalInputs) -> FactorValue:
    size = inputs.tumor_size_cm
    cm = size.value
    if cm is None:
        return FactorValue(None, size.sources, size.note)
    detail = f"{cm:g} cm"
    return FactorValue(cm > ZAIDI_SIZE_ABOVE_CM, size.sources, detail)


def tumor_size_ge_3cm(inputs: ClinicalInputs) -> FactorValue:
    size = inputs.tumor_size_cm
    cm = size.value
    if cm is None:
        return FactorValue(None, size.sources, size.note)
    detail = f"{cm:g} cm"
    return FactorValue(cm >= VENTIN_SIZE_FROM_CM, size.sources, detail)


def ki67_3_to_20(inputs: ClinicalInputs) -> FactorValue:
    ki67 = inputs.ki67_percent
    k = ki67.value
    if k is None:
        return FactorValue(None, ki67.sources, ki67.note)
    detail = f"Ki-67 {k:g} %"
    return FactorValue(KI67_BAND_FROM <= k <= KI67_BAND_TO, ki67.sources, detail)


def ki67_gt_20(inputs: ClinicalInputs) -> FactorValue:
    ki67 = inputs.ki67_percent
    k = ki67.value
    if k is None:
        return FactorValue(None, ki67.sources, ki67.note)
    detail = f"Ki-67 {k:g} %"
    return FactorValue(k > KI67_BAND_TO, ki67.sources, detail)


def node_positive(inputs: ClinicalInputs) -> FactorValue:
    """N+ if positive nodes >= 1 or pN1 (clinical.md §3); conflicting reports → the worse."""
    count, pn, examined = inputs.nodes_positive, inputs.pn_positive, inputs.nodes_examined
    if (count.value is not None and count.value >= 1) or pn.value is True:
        sources = (count.sources if count.value else ()) + (pn.sources if pn.value else ())
        detail = f"{count.value} positive node(s)" if count.value else "pN1"
        if count.value == 0 and pn.value is True:
            detail = "pN1 reported although the count is 0: the worse value is used"
        return FactorValue(True, sources, detail)
    if examined.value == 0:
        # No node examined is pNX: zero positive nodes then says nothing.
        return FactorValue(None, examined.sources, "no regional node examined (pNX)")
    if count.value == 0:
        return FactorValue(False, count.sources + examined.sources, "0 positive nodes")
    if pn.value is False:
        return FactorValue(False, pn.sources, "pN0")
    return FactorValue(None, ())


def male_sex(inputs: ClinicalInputs) -> FactorValue:
    sex = inputs.sex
    if sex.value is None:
        return FactorValue(None, sex.sources, sex.note)
    return FactorValue(sex.value == Sex.MALE, sex.sources, sex.note)


def who_grade_ge_2(inputs: ClinicalInputs) -> FactorValue:
    finding = derive_grade(inputs)
    grades = grade_text(finding.possible, "/")
    detail = f"{grades} ({finding.basis})"
    if Grade.G1 not in finding.possible:
        return FactorValue(True, finding.sources, detail)
    if finding.possible == {Grade.G1}:
        return FactorValue(False, finding.sources, detail)
    return FactorValue(None, finding.sources, detail)


def lvi_present(inputs: ClinicalInputs) -> FactorValue:
    return _truth(inputs.lymphovascular_invasion)


def vascular_invasion(inputs: ClinicalInputs) -> FactorValue:
    # The LMS paper's "vascular invasion" is read from the pathology's lymphovascular invasion
    # item (LOINC 33761-8), the only vascular-invasion element clinical.md §3 defines.
    return _truth(inputs.lymphovascular_invasion)


def no_adjuvant_therapy(inputs: ClinicalInputs) -> FactorValue:
    given = inputs.adjuvant_therapy
    if given.value is None:
        return FactorValue(None, given.sources, given.note)
    return FactorValue(not given.value, given.sources, given.note)


FACTOR_READERS: dict[str, Callable[[ClinicalInputs], FactorValue]] = {
    "symptomatic": symptomatic,
    "tumor_size_gt_2cm": tumor_size_gt_2cm,
    "tumor_size_ge_3cm": tumor_size_ge_3cm,
    "ki67_3_to_20": ki67_3_to_20,
    "ki67_gt_20": ki67_gt_20,
    "node_positive": node_positive,
    "male_sex": male_sex,
    "who_grade_ge_2": who_grade_ge_2,
    "lvi_present": lvi_present,
    "vascular_invasion": vascular_invasion,
    "no_adjuvant_therapy": no_adjuvant_therapy,
}

# What to record to settle an unknown factor, for the card's "missing" list.
FACTOR_MISSING_DATA: dict[str, str] = {
    "symptomatic": "symptoms at presentation (jaundice, abdominal pain, GI bleeding)",
    "tumor_size_gt_2cm": "tumour greatest dimension (LOINC 33728-7)",
    "tumor_size_ge_3cm": "tumour greatest dimension (LOINC 33728-7)",
    "ki67_3_to_20": "Ki-67 index (LOINC 29593-1)",
    "ki67_gt_20": "Ki-67 index (LOINC 29593-1)",
    "node_positive": "regional lymph nodes positive (LOINC 21893-3) or pN category",
    "male_sex": "administrative sex (Patient.gender)",
    "who_grade_ge_2": "WHO grade (LOINC 33732-9), or Ki-67 with mitotic count",
    "lvi_present": "lymphovascular invasion (LOINC 33761-8)",
    "vascular_invasion": "lymphovascular invasion (LOINC 33761-8)",
    "no_adjuvant_therapy": "adjuvant therapy after surgery (or a record that none was given)",
}
