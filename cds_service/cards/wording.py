"""Words a clinician reads, shared by the card, the SMART app and the worklist page: the
assessment's machine-readable strings keep their codes and enum values (integrators use them);
what is shown in running text does not.

- A LOINC code in a missing-data phrase ("Ki-67 index (LOINC 29593-1)") is for whoever maps the
  record, not for the surgeon asked to record the value: shown without it.
- An input's enum value ("other-gep") is shown as words, a whole number without ".0".
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from cds_service.cards.markdown import escape_all

if TYPE_CHECKING:
    from scoring.assessment import Assessment

# " (LOINC 29593-1)" or ", LOINC 9811-1" inside a phrase; the code alone, nothing around it.
_LOINC = re.compile(r" ?\(LOINC \d{1,7}-\d\)|,? LOINC \d{1,7}-\d(?=[,.;:]|$)")

VALUE_WORDS = {
    "other-gep": "gastro-entero-pancreatic site other than the pancreas",
}


def without_codes(text: str) -> str:
    """The phrase without the LOINC codes a mapping note carries."""
    # Both branches of `_LOINC` hold "LOINC ": text without it has nothing to remove.
    return _LOINC.sub("", text) if "LOINC " in text else text


def missing_words(assessment: Assessment) -> dict[str, str]:
    """Each missing-data phrase of the assessment (its scores' and the lighter schedule's) as
    the card shows it, `escape_text(without_codes(phrase))`: escaped in one batch, as the same
    phrases recur in the action lines, the missing-data section and each score's section."""
    plan = assessment.surveillance
    phrases = list(
        dict.fromkeys(
            [
                *(m for s in assessment.scores for m in s.missing),
                *(plan.lighter_if_known if plan is not None else ()),
            ]
        )
    )
    return dict(zip(phrases, escape_all([without_codes(p) for p in phrases]), strict=True))


def value_words(value: object) -> object:
    """An input's enum value as words ("other-gep"), a whole number without ".0" (Ki-67 "6", as
    the factor tables say it, not "6.0"); any other value as it is."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return VALUE_WORDS.get(value, value) if isinstance(value, str) else value
