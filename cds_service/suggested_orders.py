"""The draft orders an assessment suggests, one list per imaging alternative: what the card's
suggestions carry and what the SMART app places."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from fhir_mappers.order_codes import ImagingModality
from fhir_mappers.orders import surveillance_orders
from scoring.assessment import Assessment

# A reasonReference must be a plain Condition reference; a contained or absolute one is left out.
_CONDITION_REF = re.compile(r"^Condition/[A-Za-z0-9\-.]{1,64}$")


def diagnosis_reference(assessment: Assessment) -> str | None:
    for item in assessment.inputs:
        if item.id == "diagnosis" and item.sources and _CONDITION_REF.match(item.sources[0]):
            return item.sources[0]
    return None


def suggested_orders(
    assessment: Assessment, patient_id: str
) -> dict[ImagingModality, list[dict[str, Any]]]:
    if not assessment.in_scope or assessment.surveillance is None:
        return {}
    return {
        modality: surveillance_orders(
            assessment.surveillance,
            patient_ref=f"Patient/{patient_id}",
            reason_ref=diagnosis_reference(assessment),
            modality=modality,
            today=date.fromisoformat(assessment.today),
        )
        for modality in ImagingModality
    }
