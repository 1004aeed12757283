"""The export grouped per patient on disk, so memory stays flat in the cohort size.

Every resource goes into a SQLite file keyed by the id of the Patient it is about: a Patient by
its own id, anything else by its `subject` or `patient` reference (relative, absolute or
versioned). Patients are then read back one at a time, each with its whole record. A resource
tied to no Patient is skipped and counted (the mappers could not tie it to anyone either).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cds_service.bulk.ndjson import SkipLog

_BATCH = 1000


@dataclass(frozen=True)
class PatientRecord:
    patient_id: str
    patient: dict[str, Any] | None  # the Patient resource; None when the export had none
    resources: list[dict[str, Any]]  # the Patient first, then its resources in export order


def patient_of(resource: dict[str, Any]) -> str | None:
    """The id of the Patient a resource is about, or None."""
    if resource.get("resourceType") == "Patient":
        rid = resource.get("id")
        return rid if isinstance(rid, str) and rid else None
    for key in ("subject", "patient"):
        ref = resource.get(key)
        reference = ref.get("reference") if isinstance(ref, dict) else None
        if isinstance(reference, str):
            parts = reference.split("/_history/", 1)[0].rstrip("/").split("/")
            if len(parts) >= 2 and parts[-2] == "Patient" and parts[-1]:
                return parts[-1]
    return None


class PatientIndex:
    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path)
        # A scratch file: nothing needs to survive a crash, so no journal and no fsync.
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS res (pid TEXT NOT NULL, is_patient INTEGER NOT NULL,"
            " body TEXT NOT NULL)"
        )

    def close(self) -> None:
        self._db.close()

    def add_all(self, resources: Iterable[dict[str, Any]], skips: SkipLog, label: str) -> int:
        """Index `resources`; returns how many were kept."""
        batch: list[tuple[str, int, str]] = []
        kept = 0
        for resource in resources:
            pid = patient_of(resource)
            if pid is None:
                skips.add(f"{label}: {_ref(resource)}", "not tied to a Patient; not used")
                continue
            batch.append(
                (
                    pid,
                    resource["resourceType"] == "Patient",
                    json.dumps(resource, separators=(",", ":")),
                )
            )
            kept += 1
            if len(batch) >= _BATCH:
                self._db.executemany("INSERT INTO res VALUES (?, ?, ?)", batch)
                batch.clear()
        if batch:
            self._db.executemany("INSERT INTO res VALUES (?, ?, ?)", batch)
        self._db.commit()
        return kept

    def finish(self) -> None:
        """Build the patient index once, after loading (faster than keeping it during inserts)."""
        self._db.execute("CREATE INDEX IF NOT EXISTS res_pid ON res (pid, is_patient DESC)")
        self._db.commit()

    def patient_count(self) -> int:
        return self._db.execute("SELECT COUNT(DISTINCT pid) FROM res WHERE is_patient").fetchone()[
            0
        ]

    def patient_ids(self, limit: int = -1) -> list[str]:
        query = "SELECT DISTINCT pid FROM res ORDER BY pid LIMIT ?"
        return [row[0] for row in self._db.execute(query, (limit,))]

    def records(self, only: set[str] | None = None) -> Iterator[PatientRecord]:
        """Each patient's record in patient id order (rows stream from disk; one record in
        memory at a time). `only`: just these patients."""
        cursor = self._db.execute(
            "SELECT pid, is_patient, body FROM res ORDER BY pid, is_patient DESC, rowid"
        )
        current: str | None = None
        resources: list[dict[str, Any]] = []
        patient: dict[str, Any] | None = None
        for pid, is_patient, body in cursor:
            if pid != current:
                if current is not None and (only is None or current in only):
                    yield PatientRecord(current, patient, resources)
                current, resources, patient = pid, [], None
            if only is not None and pid not in only:
                continue
            resource = json.loads(body)
            if is_patient and patient is None:
                patient = resource
            resources.append(resource)
        if current is not None and (only is None or current in only):
            yield PatientRecord(current, patient, resources)


def _ref(resource: dict[str, Any]) -> str:
    rid = resource.get("id")
    rid = rid[:64] if isinstance(rid, str) and rid else "(no id)"
    return f"{str(resource.get('resourceType'))[:64]}/{rid}"
