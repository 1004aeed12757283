"""One audit record per worklist run: who ran what against which server, and counts only (no
patient id, name or row), in the service's audit trail (`cds_service.audit.store`)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.exc import SQLAlchemyError

from cds_service.audit.errors import AuditStoreError
from cds_service.audit.records import AuditCard, AuditInput, AuditRecord, ScoreVersion
from cds_service.audit.store import write_audit
from cds_service.db import create_schema, make_engine
from cds_service.worklist.models import Worklist
from scoring.site_config import SiteConfig

WORKLIST_SERVICE_ID = "pannet-cds-worklist"
WORKLIST_HOOK = "worklist"


def summary_text(worklist: Worklist) -> str:
    counts = worklist.counts
    rows = sum(counts.by_state.values())
    states = ", ".join(f"{state.value} {n}" for state, n in counts.by_state.items()) or "no rows"
    kind = f"incremental since {worklist.since}" if worklist.since else "full"
    return (
        f"worklist run ({kind}): {counts.patients_exported} patients exported,"
        f" {counts.patients_scored} scored, {counts.patients_without_net} without a NET"
        f" diagnosis, {rows} rows ({states}), {counts.lines_skipped} skipped"
    )


def audit_run_record(worklist: Worklist, site: SiteConfig) -> AuditRecord:
    counts = worklist.counts
    figures = {
        "patients_exported": counts.patients_exported,
        "patients_scored": counts.patients_scored,
        "patients_without_net": counts.patients_without_net,
        "rows": sum(counts.by_state.values()),
        "lines_skipped": counts.lines_skipped,
        **{f"rows_{state.value}": n for state, n in counts.by_state.items()},
    }
    return AuditRecord(
        recorded_at=datetime.now(UTC),
        service_id=WORKLIST_SERVICE_ID,
        hook=WORKLIST_HOOK,
        hook_instance=uuid.uuid4().hex,
        patient_ref=None,
        assessed_on=worklist.today,
        overall_tier=None,
        possible_tiers=[],
        in_scope=False,
        scope_code=None,
        score_versions=[
            ScoreVersion(
                id=d.id, version=d.version, weights_origin=origin, status="worklist", tier=None
            )
            for d, origin in site.definitions()
        ],
        inputs=[AuditInput(id=k, value=v) for k, v in figures.items()]
        + [AuditInput(id="fhir_server", value=worklist.fhir_server)]
        + ([AuditInput(id="group", value=worklist.group)] if worklist.group else []),
        warnings=[],
        cards=[AuditCard(uuid=None, indicator="info", summary=summary_text(worklist))],
    )


def record_run(database_url: str, worklist: Worklist, site: SiteConfig) -> None:
    """Raises AuditStoreError when the trail cannot be written."""
    try:
        engine = make_engine(database_url)
        create_schema(engine)
    except SQLAlchemyError as exc:
        raise AuditStoreError("could not open the audit database") from exc
    try:
        write_audit(engine, audit_run_record(worklist, site))
    finally:
        engine.dispose()
