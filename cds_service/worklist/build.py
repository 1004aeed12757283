"""Scoring every patient of the on-disk index into worklist rows, one record at a time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from cds_service.bulk.ndjson import SkipLog
from cds_service.bulk.patient_index import PatientIndex
from cds_service.worklist.row_store import RowStore
from cds_service.worklist.rows import row_for
from cds_service.worklist.scoring import assess_record
from fhir_mappers.errors import FhirInputError
from scoring.site_config import SiteConfig


def score_index(
    index: PatientIndex,
    skips: SkipLog,
    store: RowStore,
    *,
    today: date,
    site: SiteConfig,
    fhir_base: str | None,
    due_within_days: int,
    only: set[str] | None = None,
    tick: Callable[[], None] | None = None,
) -> None:
    """Score each patient of `index` (or of `only`) into `store`."""
    for record in index.records(only):
        if tick:
            tick()
        if record.patient is None:
            skips.add(
                f"Patient/{record.patient_id[:64]}",
                "resources in the export but no Patient resource; not scored",
            )
            continue
        try:
            inputs, assessment = assess_record(
                record.resources, today=today, site=site, fhir_base=fhir_base
            )
        except FhirInputError as exc:
            # one patient's unusable record costs only that patient
            skips.add(f"Patient/{record.patient_id[:64]}", str(exc)[:300])
            continue
        store.mark_scored(record.patient_id)
        row = row_for(
            record.patient,
            record.patient_id,
            inputs,
            assessment,
            today=today,
            due_within_days=due_within_days,
        )
        if row is None:
            store.add_without_net(record.patient_id)
        else:
            store.add(row)
