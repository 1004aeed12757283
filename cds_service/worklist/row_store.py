"""The run's rows on disk (SQLite, in the run's scratch folder), so memory stays flat however
many patients are listed: rows are added as patients are scored, then read back in urgency
order (`ranking.urgency_key`, stored as columns) and counted by SQL."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

from cds_service.worklist.models import STATE_ORDER, WorklistCounts, WorklistRow
from cds_service.worklist.ranking import IN_SCOPE_STATES, urgency_key


class RowStore:
    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path)
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.executescript(
            "CREATE TABLE rows (pid TEXT PRIMARY KEY, state_rank INTEGER, overdue_key INTEGER,"
            " due_key TEXT, state TEXT, tier TEXT, body TEXT NOT NULL);"
            "CREATE TABLE without_net (pid TEXT PRIMARY KEY);"
            "CREATE TABLE scored (pid TEXT PRIMARY KEY);"
        )
        self._pending = 0

    def close(self) -> None:
        self._db.close()

    def _tick(self) -> None:
        self._pending += 1
        if self._pending >= 1000:
            self._db.commit()
            self._pending = 0

    def add(self, row: WorklistRow) -> None:
        rank, overdue, due, pid = urgency_key(row)
        tier = row.tier.value if row.tier else "undetermined"
        self._db.execute(
            "INSERT OR REPLACE INTO rows VALUES (?, ?, ?, ?, ?, ?, ?)",
            (pid, rank, overdue, due, row.state.value, tier, row.model_dump_json()),
        )
        self._tick()

    def add_without_net(self, pid: str) -> None:
        self._db.execute("INSERT OR IGNORE INTO without_net VALUES (?)", (pid,))
        self._tick()

    def mark_scored(self, pid: str) -> None:
        self._db.execute("INSERT OR IGNORE INTO scored VALUES (?)", (pid,))
        self._tick()

    def was_scored(self, pid: str) -> bool:
        return self._db.execute("SELECT 1 FROM scored WHERE pid = ?", (pid,)).fetchone() is not None

    def scored_count(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM scored").fetchone()[0]

    def row_count(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM rows").fetchone()[0]

    def ranked_rows(self) -> Iterator[WorklistRow]:
        self._db.commit()
        query = "SELECT body FROM rows ORDER BY state_rank, overdue_key, due_key, pid"
        for (body,) in self._db.execute(query):
            yield WorklistRow.model_validate_json(body)

    def without_net_ids(self) -> Iterator[str]:
        self._db.commit()
        for (pid,) in self._db.execute("SELECT pid FROM without_net ORDER BY pid"):
            yield pid

    def counts(self, *, patients_exported: int, lines_skipped: int) -> WorklistCounts:
        self._db.commit()
        by_state = dict(self._db.execute("SELECT state, COUNT(*) FROM rows GROUP BY state"))
        in_scope = [s.value for s in IN_SCOPE_STATES]
        marks = ",".join("?" * len(in_scope))
        by_tier = self._db.execute(
            f"SELECT tier, COUNT(*) FROM rows WHERE state IN ({marks}) GROUP BY tier ORDER BY tier",
            in_scope,
        )
        return WorklistCounts(
            patients_exported=patients_exported,
            patients_scored=self.scored_count(),
            patients_without_net=self._db.execute("SELECT COUNT(*) FROM without_net").fetchone()[0],
            by_state={s: by_state[s.value] for s in STATE_ORDER if by_state.get(s.value)},
            by_tier=dict(by_tier),
            lines_skipped=lines_skipped,
        )
