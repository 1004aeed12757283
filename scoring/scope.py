"""Whether the patient is in the product's population at all (clinical.md §1)."""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple

from scoring.inputs import ClinicalInputs, Fact


class OutOfScope(StrEnum):
    NO_NET_DIAGNOSIS = "no-net-diagnosis"
    NO_RESECTION = "no-resection"
    POORLY_DIFFERENTIATED = "poorly-differentiated"
    METASTATIC_AT_SURGERY = "metastatic-at-surgery"
    RECURRENCE = "recurrence-on-record"


class Scope(NamedTuple):
    in_scope: bool
    code: OutOfScope | None = None
    reason: str | None = None


_IN_SCOPE = Scope(True)  # immutable: made once, not per patient


def check_scope(inputs: ClinicalInputs) -> Scope:
    if inputs.diagnosis is None:
        return Scope(
            False, OutOfScope.NO_NET_DIAGNOSIS, "no neuroendocrine tumour diagnosis on record"
        )
    if inputs.resection is None:
        return Scope(False, OutOfScope.NO_RESECTION, "no completed resection on record")
    if inputs.poorly_differentiated.value is True:
        return Scope(
            False,
            OutOfScope.POORLY_DIFFERENTIATED,
            "poorly differentiated neuroendocrine carcinoma (NEC)",
        )
    if inputs.metastatic_at_surgery.value is True:
        return Scope(
            False,
            OutOfScope.METASTATIC_AT_SURGERY,
            "distant metastasis present at surgery" + _named(inputs.metastatic_at_surgery),
        )
    if inputs.recurrence.value is True:
        # clinical.md §1: the patient has left post-resection surveillance; say so once, with
        # the source, and offer no score or surveillance.
        return Scope(
            False, OutOfScope.RECURRENCE, "recurrence on record" + _named(inputs.recurrence)
        )
    return _IN_SCOPE


def _named(fact: Fact[bool]) -> str:
    """': how it was recorded (Type/id)': the evidence named once, from the mapper's note
    ("<lead>: <what> (<ref>)"); the bare references when the note says nothing more."""
    if not fact.sources:
        return ""
    if fact.note and ": " in fact.note:
        return ": " + fact.note.split(": ", 1)[1]
    return " (" + ", ".join(fact.sources[:3]) + ")"
