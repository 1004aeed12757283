"""One export, start to finish: kick-off, wait, download each file to a scratch folder, index
its resources per patient, delete the file. The server's own error files (OperationOutcome
NDJSON) are read into the skip log, so what the server could not export is named too."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from cds_service.bulk.client import BulkClient
from cds_service.bulk.ndjson import SkipLog, read_resources
from cds_service.bulk.patient_index import PatientIndex

Report = Callable[[str], None]


def run_export(
    client: BulkClient,
    index: PatientIndex,
    workdir: Path,
    skips: SkipLog,
    *,
    types: Sequence[str],
    group: str | None = None,
    since: str | None = None,
    patients: Sequence[str] | None = None,
    report: Report | None = None,
) -> str:
    """Export into `index`; returns the manifest's transactionTime (the next `--since`)."""
    status_url = client.kickoff(types=types, group=group, since=since, patients=patients)
    manifest = client.wait(status_url, progress=lambda p: report and report(f"export: {p}"))
    wanted = set(types)
    for number, item in enumerate(manifest.output):
        if item.type not in wanted:
            continue  # a server may send more than asked; only what the mappers read is kept
        path = workdir / f"{number}.ndjson"
        client.download(manifest, item, path)
        label = f"{item.type} file {number + 1}"
        index.add_all(read_resources(path, skips, label=label), skips, label)
        path.unlink()
        if report:
            report(f"downloaded {number + 1} of {len(manifest.output)} files")
    for number, item in enumerate(manifest.error):
        path = workdir / f"error-{number}.ndjson"
        client.download(manifest, item, path)
        for outcome in read_resources(path, skips, label=f"error file {number + 1}"):
            for issue in outcome.get("issue") or []:
                if isinstance(issue, dict) and issue.get("severity") in ("error", "fatal"):
                    text = issue.get("diagnostics")
                    skips.add(
                        f"server error file {number + 1}",
                        str(text)[:200] if text else "the server could not export a resource",
                    )
        path.unlink()
    client.cancel(status_url)  # v2: a DELETE after download lets the server remove the files
    return manifest.transaction_time
