"""The draft orders an assessment suggests, one list per imaging alternative: what the card's
suggestions carry and what the SMART app places."""

from __future__ import annotations

from datetime import date
from typing import Any

from fhir_mappers.order_codes import ImagingModality
from fhir_mappers.orders import CONDITION_REF, surveillance_orders_by_modality
from scoring.assessment import Assessment


def diagnosis_reference(assessment: Assessment) -> str | None:
    # A reasonReference must be a plain Condition reference; a contained one is left out.
    for item in assessment.inputs:
        if item.id == "diagnosis" and item.sources and CONDITION_REF.match(item.sources[0]):
            return item.sources[0]
    return None


def suggested_orders(
    assessment: Assessment, patient_id: str
) -> dict[ImagingModality, list[dict[str, Any]]]:
    if not assessment.in_scope or assessment.surveillance is None:
        return {}
    return surveillance_orders_by_modality(
        assessment.surveillance,
        patient_ref=f"Patient/{patient_id}",
        reason_ref=diagnosis_reference(assessment),
        modalities=ImagingModality,
        today=date.fromisoformat(assessment.today),
    )
