"""WHO 2019/2022 grade of a digestive NET from reported grade, Ki-67 and mitotic count
(clinical.md §3.1). Returns the set of grades the known data still allow."""

from __future__ import annotations

from typing import NamedTuple

from scoring.inputs import ClinicalInputs, Grade

ALL_GRADES = frozenset(Grade)

# clinical.md §3.1: G1 Ki-67 < 3 %; G2 Ki-67 3-20 %; G3 Ki-67 > 20 %.
KI67_G2_FROM = 3.0
KI67_G3_ABOVE = 20.0
# clinical.md §3.1: G1 mitoses < 2 per 2 mm²; G2 2-20; G3 > 20.
MITOSES_G2_FROM = 2.0
MITOSES_G3_ABOVE = 20.0

_ORDER = (Grade.G1, Grade.G2, Grade.G3)


class GradeFinding(NamedTuple):
    possible: frozenset[Grade]
    sources: tuple[str, ...]
    basis: str

    @property
    def determined(self) -> Grade | None:
        return next(iter(self.possible)) if len(self.possible) == 1 else None


def grade_text(possible: frozenset[Grade], separator: str) -> str:
    """`separator.join(sorted(g.value for g in possible))`; one grade (the usual case) without
    the sort."""
    if len(possible) == 1:
        for grade in possible:
            if type(grade) is Grade:
                return grade._value_  # `.value` is a Python-level property of the enum
    return separator.join(sorted(g.value for g in possible))


def grade_from_ki67(ki67_percent: float) -> Grade:
    if ki67_percent > KI67_G3_ABOVE:
        return Grade.G3
    if ki67_percent >= KI67_G2_FROM:
        return Grade.G2
    return Grade.G1


def grade_from_mitoses(mitoses_per_2mm2: float) -> Grade:
    if mitoses_per_2mm2 > MITOSES_G3_ABOVE:
        return Grade.G3
    if mitoses_per_2mm2 >= MITOSES_G2_FROM:
        return Grade.G2
    return Grade.G1


def _at_least(grade: Grade, *, up_to: Grade = Grade.G3) -> frozenset[Grade]:
    low, high = _ORDER.index(grade), _ORDER.index(up_to)
    return frozenset(_ORDER[low : max(low, high) + 1])


def _one_step_up(grade: Grade) -> Grade:
    return _ORDER[min(_ORDER.index(grade) + 1, len(_ORDER) - 1)]


def derive_grade(inputs: ClinicalInputs) -> GradeFinding:
    """A reported grade wins over a derived one; otherwise the higher of the Ki-67 and mitotic
    grades. A missing component leaves the grades it could still raise the result to."""
    if inputs.grade_reported.value is not None:
        return GradeFinding(
            frozenset({inputs.grade_reported.value}), inputs.grade_reported.sources, "reported"
        )
    ki67, mitoses = inputs.ki67_percent, inputs.mitoses_per_2mm2
    if ki67.value is not None and mitoses.value is not None:
        both = (grade_from_ki67(ki67.value), grade_from_mitoses(mitoses.value))
        worst = max(both, key=_ORDER.index)
        return GradeFinding(
            frozenset({worst}), ki67.sources + mitoses.sources, "derived from Ki-67 and mitoses"
        )
    if ki67.value is not None:
        # §3.1: Ki-67 < 3 % without a mitotic count is "G1 or G2"; by the same reading a
        # missing count may raise any Ki-67 grade by one step.
        from_ki67 = grade_from_ki67(ki67.value)
        return GradeFinding(
            _at_least(from_ki67, up_to=_one_step_up(from_ki67)),
            ki67.sources,
            "derived from Ki-67 only (no mitotic count)",
        )
    if mitoses.value is not None:
        # Without Ki-67 any higher grade stays possible: Ki-67 alone can make a tumour G3.
        return GradeFinding(
            _at_least(grade_from_mitoses(mitoses.value)),
            mitoses.sources,
            "derived from mitotic count only (no Ki-67)",
        )
    return GradeFinding(ALL_GRADES, (), "no grade, Ki-67 or mitotic count on record")
