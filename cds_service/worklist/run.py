"""A worklist run: export (full, or `--since` plus the changed patients' whole records), score,
merge with the previous worklist, rank and count."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from cds_service.bulk.client import BulkClient
from cds_service.bulk.export import run_export
from cds_service.bulk.export_types import export_types
from cds_service.bulk.ndjson import SkipLog
from cds_service.bulk.patient_index import PatientIndex
from cds_service.worklist.build import Scored, score_index
from cds_service.worklist.merge import check_mergeable, merge_rows
from cds_service.worklist.models import Worklist
from cds_service.worklist.ranking import count_rows, ranked
from scoring.site_config import SiteConfig

Report = Callable[[str], None]
# (total patients) -> a tick per patient scored
TickFactory = Callable[[int], Callable[[], None]]


@dataclass(frozen=True)
class WorklistRequest:
    fhir_server: str
    today: date
    site: SiteConfig
    due_within_days: int
    group: str | None = None
    since: str | None = None
    previous: Worklist | None = None


def build_worklist(
    client: BulkClient,
    request: WorklistRequest,
    workdir: Path,
    *,
    report: Report | None = None,
    ticks: TickFactory | None = None,
) -> Worklist:
    skips = SkipLog()
    types = export_types()
    if request.previous is not None:
        check_mergeable(request.previous, fhir_server=request.fhir_server, group=request.group)
    changed = PatientIndex(workdir / "export.sqlite3")
    try:
        transaction_time = run_export(
            client,
            changed,
            workdir,
            skips,
            types=types,
            group=request.group,
            since=request.since,
            report=report,
        )
        changed.finish()
        if request.since is None:
            exported = changed.patient_count()
            scored = _score(changed, skips, request, None, ticks)
        else:
            ids = changed.patient_ids()
            exported = len(ids)
            scored = _rescore(client, ids, skips, request, workdir, report, ticks)
    finally:
        changed.close()
    rows, without_net = scored.rows, scored.without_net
    if request.previous is not None:
        rows = merge_rows(
            request.previous,
            rows,
            scored.scored,
            today=request.today,
            due_within_days=request.due_within_days,
            site=request.site,
        )
        kept = [p for p in request.previous.without_net_ids if p not in scored.scored]
        without_net = kept + without_net
    rows = ranked(rows)
    return Worklist(
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        today=request.today.isoformat(),
        fhir_server=request.fhir_server,
        group=request.group,
        since=request.since,
        due_within_days=request.due_within_days,
        rows=rows,
        counts=count_rows(
            rows,
            patients_exported=exported,
            patients_scored=len(scored.scored),
            patients_without_net=len(without_net),
            lines_skipped=skips.count,
        ),
        skipped=skips.first,
        without_net_ids=sorted(without_net),
        transaction_time=transaction_time,
    )


def _score(
    index: PatientIndex,
    skips: SkipLog,
    request: WorklistRequest,
    only: set[str] | None,
    ticks: TickFactory | None,
) -> Scored:
    total = len(only) if only is not None else index.patient_count()
    return score_index(
        index,
        skips,
        today=request.today,
        site=request.site,
        fhir_base=request.fhir_server,
        due_within_days=request.due_within_days,
        only=only,
        tick=ticks(total) if ticks else None,
    )


def _rescore(
    client: BulkClient,
    ids: list[str],
    skips: SkipLog,
    request: WorklistRequest,
    workdir: Path,
    report: Report | None,
    ticks: TickFactory | None,
) -> Scored:
    """A `_since` export holds only what changed: the changed patients' whole records come
    from a second export asking for just them (a server that ignores `patient` sends all,
    and only the changed patients are scored)."""
    if not ids:
        return Scored()
    full = PatientIndex(workdir / "records.sqlite3")
    try:
        run_export(
            client,
            full,
            workdir,
            skips,
            types=export_types(),
            group=request.group,
            patients=ids,
            report=report,
        )
        full.finish()
        return _score(full, skips, request, set(ids), ticks)
    finally:
        full.close()
