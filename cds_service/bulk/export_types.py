"""Which resource types an export asks for (`_type`): exactly those the mappers read.

Derived from the hooks' prefetch templates (what an EHR is told to send) and the mappers' own
tables of types they read beside them (imaging and medication records), so the export cannot
drift from the mappers: a type added to a template or a mapper table is exported too.
"""

from __future__ import annotations

from cds_service.hooks.services import PREFETCH_TEMPLATES
from fhir_mappers.imaging import _STATES as IMAGING_TYPES
from fhir_mappers.medications import _GIVEN as MEDICATION_TYPES


def export_types() -> tuple[str, ...]:
    """Resource types for `_type`, Patient first, then sorted (a stable kick-off URL)."""
    types = {t.resource_type for t in PREFETCH_TEMPLATES} | set(IMAGING_TYPES)
    types |= set(MEDICATION_TYPES)
    types.discard("Patient")
    return ("Patient", *sorted(types))
