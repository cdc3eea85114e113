"""The SQLite store on real files: schema, migrations, saving and undoing reviews."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import pytest
from sqlite_utils import Database

from sreflash.errors import StoreError
from sreflash.store import (
    SCHEMA_VERSION,
    CardRow,
    ReviewRow,
    Store,
    schema_version,
    snapshot,
)
from tests.conftest import unwritable


def review(card_id: str = "c1", before: CardRow | None = None) -> ReviewRow:
    return ReviewRow(
        card_id=card_id,
        deck_id="d",
        rating=3,
        reviewed_at="2026-03-02T12:00:00+00:00",
        study_day="2026-03-02",
        duration_ms=1500,
        prev_state=0,
        new_state=1,
        prev_interval_days=None,
        new_interval_days=10 / 1440,
        state_before=snapshot(before),
        state_after="{}",
    )


def test_a_new_file_gets_the_current_schema_in_wal_mode(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "deep" / "er" / "s.db")

    assert schema_version(store.db) == SCHEMA_VERSION
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert {"card_state", "review_log", "mock_sessions", "lab_runs"} <= set(
        store.db.table_names()
    )
    store.close()


def test_a_review_is_on_disk_when_record_review_returns(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = Store.open(path)
    row = CardRow("c1", "d", state=1, reps=1, due="2026-03-02T12:10:00+00:00")

    review_id = store.record_review(row, review())

    # A second connection sees it at once: it was committed, not just buffered.
    other = sqlite3.connect(path)
    saved = other.execute("SELECT card_id, rating, duration_ms FROM review_log")
    assert saved.fetchall() == [("c1", 3, 1500)]
    assert review_id == 1
    assert store.card_row("c1") == row
    other.close()
    store.close()


def test_a_rating_survives_a_killed_process(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    script = f"""
import os
from sreflash.store import CardRow, ReviewRow, Store
store = Store.open({str(path)!r})
store.record_review(
    CardRow("c1", "d", state=2, reps=1),
    ReviewRow("c1", "d", 3, "2026-03-02T12:00:00+00:00", "2026-03-02", 1, 0, 2,
              None, 2.0, None, "{{}}"),
)
os.kill(os.getpid(), 9)
"""
    killed = subprocess.run([sys.executable, "-c", script], check=False)

    assert killed.returncode == -9
    store = Store.open(path)
    assert store.card_row("c1") == CardRow("c1", "d", state=2, reps=1)
    assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    store.close()


def test_undo_restores_the_previous_row_and_drops_the_log_entry(
    tmp_path: Path,
) -> None:
    store = Store.open(tmp_path / "s.db")
    first = CardRow("c1", "d", state=1, reps=1, lapses=0)
    store.record_review(first, review())
    second = CardRow("c1", "d", state=2, reps=2, lapses=0)
    store.record_review(second, review(before=first))

    last = store.last_review()
    assert last is not None
    store.undo_review(last)

    assert store.card_row("c1") == first
    assert [r.id for r in store.reviews("c1")] == [1]


def test_undoing_a_first_review_makes_the_card_new_again(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.db")
    store.record_review(CardRow("c1", "d", state=1), review())

    last = store.last_review()
    assert last is not None
    store.undo_review(last)

    assert store.card_row("c1") is None
    assert store.reviews("c1") == []


def test_two_copies_open_at_once_both_write(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    one, two = Store.open(path), Store.open(path)

    one.record_review(CardRow("a", "d"), review("a"))
    two.record_review(CardRow("b", "d"), review("b"))

    assert one.seen_ids() == set()  # both rows are state NEW in this test
    assert {r.card_id for r in [*one.reviews("a"), *one.reviews("b")]} == {"a", "b"}
    one.close()
    two.close()


def test_a_file_that_is_not_a_database_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n" * 100)

    with pytest.raises(StoreError) as raised:
        Store.open(path)

    assert str(raised.value).startswith(f"{path}: cannot be used as the database")
    assert path.read_text().startswith("these are my notes")


def test_a_data_folder_that_is_a_file_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.write_text("not a folder")
    path = folder / "sreflash.db"

    with pytest.raises(StoreError) as raised:
        Store.open(path)

    assert str(raised.value) == (
        f"{path}: cannot be opened: {folder} is a file, not a folder"
    )


def test_a_newer_schema_is_refused_without_changes(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    Store.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.close()

    with pytest.raises(StoreError, match="written by a newer sreflash"):
        Store.open(path)


def test_migrating_an_old_database_keeps_a_backup_first(tmp_path: Path) -> None:
    from sreflash import store as store_module

    path = tmp_path / "s.db"
    first = Store.open(path)
    first.record_review(CardRow("c1", "d", state=2), review())
    first.close()

    def add_notes(db: Database) -> None:
        db.execute("CREATE TABLE notes (id INTEGER)")

    store_module.MIGRATIONS.append(add_notes)
    store_module.SCHEMA_VERSION += 1
    try:
        upgraded = Store.open(path)
    finally:
        store_module.MIGRATIONS.pop()
        store_module.SCHEMA_VERSION -= 1

    assert "notes" in upgraded.db.table_names()
    backup = sqlite3.connect(path.with_name(f"s.db.v{SCHEMA_VERSION}.bak"))
    assert backup.execute("SELECT card_id FROM card_state").fetchall() == [("c1",)]
    assert backup.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    backup.close()
    upgraded.close()


def test_card_rows_round_trip_every_field(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.db")
    row = CardRow(
        "c1", "d", 2, '{"x": 1}', "2026-03-04T12:00:00+00:00", 2.3, 5.1, 3, 1,
        "2026-03-01T12:00:00+00:00", "2026-03-02T12:00:00+00:00", 1,
        "2026-03-03T04:00:00+00:00", 2, 1,
    )  # fmt: skip

    with store.transaction():
        store.put_card(row)

    assert asdict(store.card_rows("card_id = ?", ["c1"])[0]) == asdict(row)


def test_a_read_only_database_is_said_before_the_first_rating(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    Store.open(path).close()

    with unwritable(path):
        store = Store.open(path)
        assert store.read_only() == f"{path} is read-only"
        store.close()
    store = Store.open(path)
    assert store.read_only() is None
    store.close()
