"""The SQLite store: card state, the review log, mock interviews and lab runs.

One file, opened with sqlite-utils, in WAL mode with a busy timeout so two copies of
the app can share it. Every rating is committed in one transaction before the call
returns, so a rating shown as saved survives a crash or a kill.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from sreflash import paths
from sreflash.errors import StoreError
from sreflash.scheduling import CardState, FsrsCard

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000


def iso(moment: datetime) -> str:
    """A UTC instant as stored: ISO 8601 with ``+00:00``."""
    return moment.isoformat()


def parse_iso(text: str) -> datetime:
    """The inverse of :func:`iso`."""
    return datetime.fromisoformat(text)


@dataclass(frozen=True, slots=True)
class CardRow:
    """A card's stored state. A card with no row is new and untouched."""

    card_id: str
    deck_id: str
    state: int = CardState.NEW
    fsrs: str | None = None
    due: str | None = None
    stability: float | None = None
    difficulty: float | None = None
    reps: int = 0
    lapses: int = 0
    introduced_at: str | None = None
    last_review: str | None = None
    suspended: int = 0
    buried_until: str | None = None
    flag: int = 0
    leech: int = 0

    def fsrs_card(self) -> FsrsCard | None:
        """The FSRS card, or None while the card is new."""
        return FsrsCard.from_json(self.fsrs) if self.fsrs else None

    def with_fsrs(self, card: FsrsCard) -> CardRow:
        """This row carrying ``card`` as its FSRS state."""
        return replace(
            self,
            state=int(card.state),
            fsrs=card.to_json(),
            due=iso(card.due),
            stability=card.stability,
            difficulty=card.difficulty,
        )


@dataclass(frozen=True, slots=True)
class ReviewRow:
    """One entry of the review log."""

    card_id: str
    deck_id: str
    rating: int
    reviewed_at: str
    study_day: str
    duration_ms: int
    prev_state: int
    new_state: int
    prev_interval_days: float | None
    new_interval_days: float
    state_before: str | None
    state_after: str
    source: str = "drill"
    id: int | None = None


# Schema and migrations. Each migration moves the schema up by one version; the
# version lives in SQLite's user_version, so it needs no table of its own.


def _v1(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE card_state (
            card_id TEXT PRIMARY KEY,
            deck_id TEXT NOT NULL,
            state INTEGER NOT NULL DEFAULT 0,
            fsrs TEXT,
            due TEXT,
            stability REAL,
            difficulty REAL,
            reps INTEGER NOT NULL DEFAULT 0,
            lapses INTEGER NOT NULL DEFAULT 0,
            introduced_at TEXT,
            last_review TEXT,
            suspended INTEGER NOT NULL DEFAULT 0,
            buried_until TEXT,
            flag INTEGER NOT NULL DEFAULT 0,
            leech INTEGER NOT NULL DEFAULT 0
        )"""
    )
    db.execute("CREATE INDEX card_state_due ON card_state (state, due)")
    db.execute("CREATE INDEX card_state_introduced ON card_state (introduced_at)")
    # Suspended and buried cards are few: these keep finding them cheap.
    db.execute("CREATE INDEX card_state_suspended ON card_state (suspended)")
    db.execute("CREATE INDEX card_state_buried ON card_state (buried_until)")
    db.execute(
        """
        CREATE TABLE review_log (
            id INTEGER PRIMARY KEY,
            card_id TEXT NOT NULL,
            deck_id TEXT NOT NULL,
            rating INTEGER NOT NULL,
            reviewed_at TEXT NOT NULL,
            study_day TEXT NOT NULL,
            duration_ms INTEGER NOT NULL,
            prev_state INTEGER NOT NULL,
            new_state INTEGER NOT NULL,
            prev_interval_days REAL,
            new_interval_days REAL NOT NULL,
            state_before TEXT,
            state_after TEXT NOT NULL,
            source TEXT NOT NULL DEFAULT 'drill'
        )"""
    )
    db.execute("CREATE INDEX review_log_card ON review_log (card_id, reviewed_at)")
    # Covers the day's review count and the stats' passes over recent days, so
    # neither has to visit the wide rows of a 500,000-entry log.
    db.execute(
        "CREATE INDEX review_log_day ON review_log (study_day, prev_state, card_id,"
        " rating, prev_interval_days, duration_ms)"
    )
    db.execute(
        """
        CREATE TABLE mock_sessions (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            deck_id TEXT,
            topic TEXT,
            seed INTEGER,
            questions INTEGER NOT NULL,
            minutes REAL NOT NULL,
            score REAL,
            verdict TEXT,
            scheduled INTEGER NOT NULL DEFAULT 1,
            data TEXT
        )"""
    )
    db.execute(
        """
        CREATE TABLE mock_answers (
            id INTEGER PRIMARY KEY,
            session_id INTEGER NOT NULL REFERENCES mock_sessions (id),
            position INTEGER NOT NULL,
            card_id TEXT NOT NULL,
            follow_up_of TEXT,
            answer TEXT NOT NULL,
            score REAL NOT NULL,
            verdict TEXT NOT NULL,
            overruled INTEGER NOT NULL DEFAULT 0,
            covered TEXT NOT NULL,
            missed TEXT NOT NULL,
            seconds REAL NOT NULL,
            timed_out INTEGER NOT NULL DEFAULT 0,
            skipped INTEGER NOT NULL DEFAULT 0
        )"""
    )
    db.execute("CREATE INDEX mock_answers_session ON mock_answers (session_id)")
    db.execute(
        """
        CREATE TABLE lab_runs (
            id INTEGER PRIMARY KEY,
            lab_id TEXT NOT NULL,
            mode TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            passed INTEGER NOT NULL DEFAULT 0,
            failed INTEGER NOT NULL DEFAULT 0,
            cannot INTEGER NOT NULL DEFAULT 0
        )"""
    )
    db.execute(
        """
        CREATE TABLE lab_checks (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL REFERENCES lab_runs (id),
            check_id TEXT NOT NULL,
            status TEXT NOT NULL,
            prediction TEXT,
            seen TEXT,
            hint TEXT
        )"""
    )
    db.execute("CREATE INDEX lab_checks_run ON lab_checks (run_id)")


MIGRATIONS: list[Callable[[Database], None]] = [_v1]
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(db: Database) -> int:
    """The schema version a database is at."""
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def migrate(db: Database, path: Path | None = None) -> None:
    """Bring ``db`` up to :data:`SCHEMA_VERSION`, one transaction per step.

    Before touching a database that already holds data, a copy is kept beside it
    (``NAME.vN.bak``), made with SQLite's backup API.
    """
    version = schema_version(db)
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path or 'the database'} was written by a newer sreflash "
            f"(schema {version}, this one knows {SCHEMA_VERSION}); upgrade sreflash"
        )
    if version == SCHEMA_VERSION:
        return
    if version > 0 and path is not None:
        backup_to(db, path.with_name(f"{path.name}.v{version}.bak"))

    for number in range(version, SCHEMA_VERSION):
        with db.conn:
            MIGRATIONS[number](db)
            db.execute(f"PRAGMA user_version = {number + 1}")
        log.info("migrated %s to schema %d", path, number + 1)


def backup_to(db: Database, target: Path) -> None:
    """A consistent copy of ``db`` at ``target``, safe while others write."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    dest = sqlite3.connect(partial)
    try:
        db.conn.backup(dest)
    finally:
        dest.close()
    shutil.move(partial, target)


class Store:
    """sreflash's data in one SQLite file."""

    def __init__(self, db: Database, path: Path | None = None) -> None:
        self.db = db
        self.path = path

    @classmethod
    def open(cls, path: Path | str) -> Store:
        """Open (creating if needed) and migrate the database at ``path``.

        Raises:
            StoreError: when the file cannot be opened or is not a database.
        """
        path = Path(path)
        where = str(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
            # No sqlite-utils plugins: none is needed, a stray one installed beside
            # sreflash could change the connection, and finding them costs 30 ms.
            db = Database(conn, execute_plugins=False)
            db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute("PRAGMA foreign_keys = ON")
            # 32 MB of page cache: a 20,000-card collection's tables stay in memory.
            db.execute("PRAGMA cache_size = -32000")
            migrate(db, path)
        except sqlite3.DatabaseError as error:
            raise StoreError(
                f"{where}: cannot be used as the database ({error})"
            ) from None
        except OSError as error:
            blocking = paths.file_in_the_way(path)
            if blocking is not None:
                raise StoreError(
                    f"{where}: cannot be opened: {blocking} is a file, not a folder"
                ) from None
            raise StoreError(f"{where}: cannot be opened ({error.strerror})") from None
        return cls(db, path)

    @classmethod
    def memory(cls) -> Store:
        """A migrated in-memory store, for tests and benchmarks."""
        db = Database(memory=True, execute_plugins=False)
        migrate(db)
        return cls(db)

    def read_only(self) -> str | None:
        """Why ratings could not be saved here, or None when they can.

        SQLite opens a file it cannot write and fails only at the first write; a
        drill asks this first so that no answer is typed in vain. WAL mode also
        needs to write beside the file.
        """
        if self.path is None:
            return None
        if self.path.exists() and not os.access(self.path, os.W_OK):
            return f"{self.path} is read-only"
        if not os.access(self.path.parent, os.W_OK):
            return f"its folder {self.path.parent} is read-only"
        return None

    def close(self) -> None:
        """Close the connection."""
        self.db.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Commit everything inside at once, or nothing."""
        try:
            with self.db.conn:
                yield
        except sqlite3.OperationalError as error:
            raise StoreError(
                f"{self.path or 'database'}: write failed ({error})"
            ) from None

    # Card state

    def card_row(self, card_id: str) -> CardRow | None:
        """The stored state of one card."""
        cursor = self.db.execute(
            "SELECT * FROM card_state WHERE card_id = ?", [card_id]
        )
        row = cursor.fetchone()
        return None if row is None else _card_row(cursor, row)

    def card_rows(self, where: str = "1", params: Iterable[Any] = ()) -> list[CardRow]:
        """Stored card states matching a SQL condition."""
        cursor = self.db.execute(
            f"SELECT * FROM card_state WHERE {where}", list(params)
        )
        return [_card_row(cursor, row) for row in cursor.fetchall()]

    def seen_ids(self) -> set[str]:
        """Ids of cards that are no longer new: reviewed at least once."""
        cursor = self.db.execute("SELECT card_id FROM card_state WHERE state != 0")
        return {r[0] for r in cursor}

    def put_card(self, row: CardRow) -> None:
        """Insert or replace one card's state (inside the caller's transaction)."""
        self.db.execute(
            f"INSERT OR REPLACE INTO card_state ({_CARD_COLUMNS}) "
            f"VALUES ({_CARD_MARKS})",
            list(asdict(row).values()),
        )

    def delete_card(self, card_id: str) -> None:
        """Forget a card's state: it becomes new again."""
        self.db.execute("DELETE FROM card_state WHERE card_id = ?", [card_id])

    # The review log

    def record_review(self, row: CardRow, review: ReviewRow) -> int:
        """Save a card's new state and its log entry in one transaction."""
        with self.transaction():
            self.put_card(row)
            return self.add_review(review)

    def add_review(self, review: ReviewRow) -> int:
        """Append to the log (inside the caller's transaction); returns its id."""
        values = asdict(review)
        del values["id"]
        cursor = self.db.execute(
            f"INSERT INTO review_log ({', '.join(values)}) "
            f"VALUES ({', '.join('?' * len(values))})",
            list(values.values()),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def last_review(self, source: str | None = None) -> ReviewRow | None:
        """The newest log entry, optionally of one source only."""
        sql = "SELECT * FROM review_log"
        params: list[Any] = []
        if source is not None:
            sql += " WHERE source = ?"
            params.append(source)
        cursor = self.db.execute(sql + " ORDER BY id DESC LIMIT 1", params)
        row = cursor.fetchone()
        return None if row is None else _review_row(cursor, row)

    def review(self, review_id: int) -> ReviewRow | None:
        """One log entry by its id."""
        cursor = self.db.execute("SELECT * FROM review_log WHERE id = ?", [review_id])
        row = cursor.fetchone()
        return None if row is None else _review_row(cursor, row)

    def undo_review(self, review: ReviewRow) -> bool:
        """Remove a log entry and restore the card to its state before it.

        Only the card's newest entry can be undone: when another window has rated
        the card since, restoring the older state would erase that rating, so
        nothing changes and False is returned.
        """
        with self.transaction():
            # One statement checks and deletes, so no other writer can slip between.
            deleted = self.db.execute(
                "DELETE FROM review_log WHERE id = ? AND id = "
                "(SELECT MAX(id) FROM review_log WHERE card_id = ?)",
                [review.id, review.card_id],
            ).rowcount
            if not deleted:
                return False
            if review.state_before is None:
                self.delete_card(review.card_id)
            else:
                self.put_card(CardRow(**json.loads(review.state_before)))
        return True

    def reviews(self, card_id: str) -> list[ReviewRow]:
        """A card's review history, oldest first."""
        cursor = self.db.execute(
            "SELECT * FROM review_log WHERE card_id = ? ORDER BY id", [card_id]
        )
        return [_review_row(cursor, row) for row in cursor.fetchall()]

    def count(self, sql: str, params: Iterable[Any] = ()) -> int:
        """The single integer a ``SELECT COUNT(...)`` query returns."""
        return int(self.db.execute(sql, list(params)).fetchone()[0] or 0)


_CARD_FIELDS = list(CardRow.__dataclass_fields__)
_CARD_COLUMNS = ", ".join(_CARD_FIELDS)
_CARD_MARKS = ", ".join("?" * len(_CARD_FIELDS))


def _card_row(cursor: sqlite3.Cursor, row: tuple[Any, ...]) -> CardRow:
    names = [d[0] for d in cursor.description]
    return CardRow(**dict(zip(names, row, strict=True)))


def _review_row(cursor: sqlite3.Cursor, row: tuple[Any, ...]) -> ReviewRow:
    names = [d[0] for d in cursor.description]
    return ReviewRow(**dict(zip(names, row, strict=True)))


def snapshot(row: CardRow | None) -> str | None:
    """A card row as JSON for the review log, so undo can restore it exactly."""
    return None if row is None else json.dumps(asdict(row))
