"""Whether the patient is in the product's population at all (clinical.md §1)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from scoring.inputs import ClinicalInputs


class OutOfScope(StrEnum):
    NO_NET_DIAGNOSIS = "no-net-diagnosis"
    NO_RESECTION = "no-resection"
    POORLY_DIFFERENTIATED = "poorly-differentiated"
    METASTATIC_AT_SURGERY = "metastatic-at-surgery"


@dataclass(frozen=True)
class Scope:
    in_scope: bool
    code: OutOfScope | None = None
    reason: str | None = None


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
            False, OutOfScope.METASTATIC_AT_SURGERY, "distant metastasis present at surgery"
        )
    return Scope(True)
