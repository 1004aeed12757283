"""A worklist run: export (full, or `--since` plus the changed patients' whole records), score
into the on-disk row store, merge with the previous worklist; the result is the worklist's
header and its rows on disk, in urgency order (written out while the scratch folder exists)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from cds_service.bulk.client import BulkClient
from cds_service.bulk.export import run_export
from cds_service.bulk.export_types import export_types
from cds_service.bulk.ndjson import SkipLog
from cds_service.bulk.patient_index import PatientIndex
from cds_service.worklist.build import score_index
from cds_service.worklist.merge import check_mergeable, merge_into
from cds_service.worklist.models import Worklist, WorklistRow
from cds_service.worklist.row_store import RowStore
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


@dataclass(frozen=True)
class WorklistRun:
    """`header`: the worklist without its rows and unlisted ids, which `store` holds."""

    header: Worklist
    store: RowStore

    def rows(self) -> Iterator[WorklistRow]:
        return self.store.ranked_rows()

    def without_net_ids(self) -> Iterator[str]:
        return self.store.without_net_ids()

    def whole(self) -> Worklist:
        """The worklist in memory (the HTML page is one document anyway)."""
        return self.header.model_copy(
            update={"rows": list(self.rows()), "without_net_ids": list(self.without_net_ids())}
        )


def build_worklist(
    client: BulkClient,
    request: WorklistRequest,
    workdir: Path,
    *,
    report: Report | None = None,
    ticks: TickFactory | None = None,
) -> WorklistRun:
    skips = SkipLog()
    if request.previous is not None:
        check_mergeable(request.previous, fhir_server=request.fhir_server, group=request.group)
    store = RowStore(workdir / "rows.sqlite3")
    changed = PatientIndex(workdir / "export.sqlite3")
    try:
        transaction_time = run_export(
            client,
            changed,
            workdir,
            skips,
            types=export_types(),
            group=request.group,
            since=request.since,
            report=report,
        )
        changed.finish()
        if request.since is None:
            exported = changed.patient_count()
            _score(changed, skips, store, request, None, ticks)
        else:
            ids = changed.patient_ids()
            exported = len(ids)
            _rescore(client, ids, skips, store, request, workdir, report, ticks)
    finally:
        changed.close()
    if request.previous is not None:
        merge_into(
            store,
            request.previous,
            today=request.today,
            due_within_days=request.due_within_days,
            site=request.site,
        )
    header = Worklist(
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        today=request.today.isoformat(),
        fhir_server=request.fhir_server,
        group=request.group,
        since=request.since,
        due_within_days=request.due_within_days,
        rows=[],
        counts=store.counts(patients_exported=exported, lines_skipped=skips.count),
        skipped=skips.first,
        transaction_time=transaction_time,
    )
    return WorklistRun(header, store)


def _score(
    index: PatientIndex,
    skips: SkipLog,
    store: RowStore,
    request: WorklistRequest,
    only: set[str] | None,
    ticks: TickFactory | None,
) -> None:
    total = len(only) if only is not None else index.patient_count()
    score_index(
        index,
        skips,
        store,
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
    store: RowStore,
    request: WorklistRequest,
    workdir: Path,
    report: Report | None,
    ticks: TickFactory | None,
) -> None:
    """A `_since` export holds only what changed: the changed patients' whole records come
    from a second export asking for just them (a server that ignores `patient` sends all,
    and only the changed patients are scored)."""
    if not ids:
        return
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
        _score(full, skips, store, request, set(ids), ticks)
    finally:
        full.close()
