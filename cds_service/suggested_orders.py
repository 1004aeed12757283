"""The draft orders an assessment suggests, one list per imaging alternative: what the card's
suggestions carry and what the SMART app places."""

from __future__ import annotations

from datetime import date
from typing import Any

from fhir_mappers.order_codes import ImagingModality
from fhir_mappers.orders import CONDITION_REF, surveillance_orders_by_modality
from scoring.assessment import Assessment, fields_of

_MODALITIES = tuple(ImagingModality)  # in its order; iterating the enum is a Python generator


def diagnosis_reference(assessment: Assessment) -> str | None:
    # A reasonReference must be a plain Condition reference; a contained one is left out.
    # The inputs' fields are read from their dicts: ~20 results, each a slow attribute read.
    for item in map(fields_of, assessment.inputs):
        if item["id"] == "diagnosis":
            sources = item["sources"]
            if sources and CONDITION_REF.match(sources[0]):
                return sources[0]
    return None


def suggested_orders(
    assessment: Assessment, patient_id: str
) -> dict[ImagingModality, list[dict[str, Any]]]:
    fields = fields_of(assessment)
    plan = fields["surveillance"]
    if not fields["in_scope"] or plan is None:
        return {}
    return surveillance_orders_by_modality(
        plan,
        patient_ref=f"Patient/{patient_id}",
        reason_ref=diagnosis_reference(assessment),
        modalities=_MODALITIES,
        today=date.fromisoformat(fields["today"]),
    )
