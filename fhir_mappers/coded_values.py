"""Reading a coded value (grade, presence, UICC L/V/Pn category, TNM N/M category) from an
Observation or one of its components: codes first (tables in `codes`), then the value's text.
Returns (value, problem) like `values`. Text is read through `Concept.says`, which caps it.
"""

from __future__ import annotations

from typing import Any

from fhir_mappers.codes import (
    ABSENT,
    GRADE_ANSWERS,
    GRADE_NOT_SINGLE,
    N_CATEGORY_ANSWERS,
    PRESENT,
)
from fhir_mappers.concepts import Concept, concept_of_model
from fhir_mappers.quoting import quoted
from scoring.inputs import Grade

Parsed = tuple[Any, str | None]

_GRADE_PATTERNS: tuple[tuple[str, Grade], ...] = (
    (
        r"\bg\s{0,3}+1\b|\bgrade\s{0,3}+(?:1|i)\b|\bgrad\s{0,3}+1\b|\blow[- ]grade"
        r"|\blow histologic grade|\bwell[- ]differentiated|\bgut differenziert",
        Grade.G1,
    ),
    (
        r"\bg\s{0,3}+2\b|\bgrade\s{0,3}+(?:2|ii)\b|\bgrad\s{0,3}+2\b|\bintermediate[- ]grade"
        r"|\bintermediate histologic grade|\bmoderately differentiated|\bmäßig differenziert",
        Grade.G2,
    ),
    (
        r"\bg\s{0,3}+3\b|\bgrade\s{0,3}+(?:3|iii)\b|\bgrad\s{0,3}+3\b|\bhigh[- ]grade"
        r"|\bhigh histologic grade",
        Grade.G3,
    ),
)
# "grade 2 of 3": "of 3" names the scale, not a second grade
_SCALE = r"\bof\s{0,3}+(?:3|iii|three)\b"


def grade(holder: Any) -> Parsed:
    answer = value_concept(holder)
    coded = answer.first_in(GRADE_ANSWERS)
    if coded is not None:
        return Grade(str(coded)), None
    not_single = answer.first_in(GRADE_NOT_SINGLE)
    if not_single is not None:
        return None, f"grade reported as '{not_single}', not one WHO grade"
    text = answer.without(_SCALE)
    found = {g for pattern, g in _GRADE_PATTERNS if text.says(pattern)}
    if len(found) == 1:
        return found.pop(), None
    if len(found) > 1:
        return None, f"grade text '{_quote(answer.text)}' names more than one grade"
    return None, "grade not recognised" if answer.text else "no grade value"


_ABSENT_TEXT = (
    r"not identified|not seen|not present|not detected|absent|negative|\bno\b|\bnone\b"
    r"|nicht nachweisbar|\bkeine? (?:nachweis\b|[a-zäöüß]{0,30}invasion\b)"
)
_UNSURE_TEXT = (
    r"indeterminate|cannot be (?:determined|assessed|evaluated)|equivocal|suspicious|ambiguous|"
    r"unknown|nicht beurteilbar"
)
_PRESENT_TEXT = r"present|identified|positive|\bseen\b|detected|\byes\b|nachweisbar"


def presence(holder: Any) -> Parsed:
    flag = getattr(holder, "valueBoolean", None)
    if flag is not None:
        return bool(flag), None
    answer = value_concept(holder)
    if answer.has_any(PRESENT):
        return True, None
    if answer.has_any(ABSENT):
        return False, None
    for pattern, value in ((_UNSURE_TEXT, None), (_ABSENT_TEXT, False), (_PRESENT_TEXT, True)):
        if answer.says(pattern):
            return value, None if value is not None else f"reported as '{_quote(answer.text)}'"
    return None, "presence not recognised" if answer.text else "no value"


def uicc_category(holder: Any, table: dict[tuple[str, str], bool | None], letter: str) -> Parsed:
    """A UICC L / V / Pn category: True present (L1, V1, V2, Pn1), False absent (L0, V0, Pn0),
    unknown for X. Read from the UICC code, else from the text ("L1", "pn0")."""
    answer = value_concept(holder)
    coded = [table[c] for c in answer.codings if c in table]
    if coded:
        if coded[0] is None:
            return None, f"{letter}X: cannot be assessed"
        return coded[0], None
    pattern = rf"(?<![a-z]){letter.lower()}([0-2]|x)(?![0-9a-z])"
    found = answer.groups(pattern)
    if not found:
        return presence(holder)
    if found == {"x"}:
        return None, f"{letter}X: cannot be assessed"
    return any(n != "0" for n in found - {"x"}), None


def tnm(holder: Any, letter: str) -> Parsed:
    """True for N1-3 / M1, False for N0 / M0 (y/r/p/c prefixes allowed)."""
    answer = value_concept(holder)
    coded = [N_CATEGORY_ANSWERS[c] for c in answer.codings if c in N_CATEGORY_ANSWERS]
    if coded and letter == "n":
        if all(v is None for v in coded):
            return None, "NX: cannot be assessed"
        return any(bool(v) for v in coded), None
    found = answer.groups(rf"(?<![a-z])(?:y?r?[pc]?){letter}([0-3]|x)(?![0-9])")
    if not found:
        return None, f"{letter.upper()} category not recognised"
    if found == {"x"}:
        return None, f"{letter.upper()}X: cannot be assessed"
    return any(n != "0" for n in found - {"x"}), None


def value_concept(holder: Any) -> Concept:
    """valueCodeableConcept and valueString of `holder` as one Concept."""
    coded = concept_of_model(getattr(holder, "valueCodeableConcept", None))
    text = getattr(holder, "valueString", None)
    return coded | Concept.of_text(text) if isinstance(text, str) else coded


def _quote(text: str) -> str:
    return quoted(text, 40)
