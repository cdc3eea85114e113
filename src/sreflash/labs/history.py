"""Lab runs in the store: one ``lab_runs`` row per run, one ``lab_checks`` per check.

The tables come from the store's migration (``sreflash.store``); this module only
writes and reads them, one run in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from sreflash.labs.results import LabReport, utc_now


@dataclass(frozen=True)
class LabRunRow:
    """One stored lab run, with its counts."""

    id: int
    lab_id: str
    mode: str
    started_at: str
    finished_at: str | None
    passed: int
    failed: int
    cannot: int


@dataclass(frozen=True)
class LabCheckRow:
    """One stored check result of a run."""

    run_id: int
    check_id: str
    status: str
    prediction: str
    seen: str
    hint: str


def save_lab_run(db: Database, report: LabReport) -> int:
    """Store ``report`` and its check results; the new run's id."""
    finished = report.finished_at or utc_now()
    with db.conn:
        cursor = db.execute(
            "INSERT INTO lab_runs (lab_id, mode, started_at, finished_at, passed, "
            "failed, cannot) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                report.lab_id,
                report.mode,
                report.started_at.isoformat(),
                finished.isoformat(),
                report.passed,
                report.failed,
                report.cannot,
            ],
        )
        run_id = int(cursor.lastrowid or 0)
        db.conn.executemany(
            "INSERT INTO lab_checks (run_id, check_id, status, prediction, seen, hint)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [
                (run_id, r.check_id, r.status.value, r.prediction, r.seen, r.hint)
                for r in report.results
            ],
        )
    return run_id


def lab_runs(db: Database, lab_id: str | None = None) -> list[LabRunRow]:
    """Stored runs, newest first, of one lab or of all."""
    where, params = ("WHERE lab_id = ?", [lab_id]) if lab_id else ("", [])
    rows = db.execute(
        "SELECT id, lab_id, mode, started_at, finished_at, passed, failed, cannot "
        f"FROM lab_runs {where} ORDER BY started_at DESC, id DESC",
        params,
    ).fetchall()
    return [LabRunRow(*row) for row in rows]


def lab_checks(db: Database, run_id: int) -> list[LabCheckRow]:
    """The check results of one stored run, in the order they were made."""
    rows = db.execute(
        "SELECT run_id, check_id, status, prediction, seen, hint FROM lab_checks "
        "WHERE run_id = ? ORDER BY id",
        [run_id],
    ).fetchall()
    return [LabCheckRow(*row) for row in rows]
