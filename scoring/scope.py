"""Whether the patient is in the product's population at all (clinical.md §1)."""

from __future__ import annotations

from dataclasses import dataclass

from scoring.inputs import ClinicalInputs


@dataclass(frozen=True)
class Scope:
    in_scope: bool
    reason: str | None = None


def check_scope(inputs: ClinicalInputs) -> Scope:
    if inputs.diagnosis is None:
        return Scope(False, "no neuroendocrine tumour diagnosis on record")
    if inputs.resection is None:
        return Scope(False, "no completed resection on record")
    if inputs.poorly_differentiated.value is True:
        return Scope(False, "poorly differentiated neuroendocrine carcinoma (NEC)")
    if inputs.metastatic_at_surgery.value is True:
        return Scope(False, "distant metastasis present at surgery")
    return Scope(True)
