"""The Anki package opened for real, and the review log read back."""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from sreflash.cli import cli
from sreflash.context import Context
from sreflash.decks import Library, load_library
from sreflash.exporting import (
    ExportError,
    deck_anki_id,
    export_anki,
    export_reviews,
    model_anki_id,
    note_anki_id,
    note_guid,
)
from sreflash.scheduling import Rating

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)

DECK = """\
format: 1
deck:
  id: html-deck
  title: HTML & friends
cards:
  - id: html-lt
    kind: concept
    topic: escaping
    tags: [two words, html]
    prompt: Is 1 < 2 & is <b>this</b> bold?
    answer: |
      Yes, and no:
      it is shown as text.
    key_points: ["<i>escape</i> everything"]
  - id: html-second
    kind: command
    topic: escaping
    prompt: PROMPT
    answer: An answer.
    key_points: [One point]
"""


def read_package(path: Path, tmp_path: Path) -> sqlite3.Connection:
    """The collection inside an .apkg, opened with sqlite3."""
    folder = tmp_path / f"unzipped-{path.stem}"
    with zipfile.ZipFile(path) as package:
        assert "collection.anki2" in package.namelist()
        package.extractall(folder)
    return sqlite3.connect(folder / "collection.anki2")


def notes(conn: sqlite3.Connection) -> dict[str, tuple[int, str, int, list[str], str]]:
    """CardId field to (note id, guid, model id, fields, tags)."""
    found = {}
    for note_id, guid, mid, flds, tags in conn.execute(
        "SELECT id, guid, mid, flds, tags FROM notes"
    ):
        fields = flds.split("\x1f")
        found[fields[-1]] = (note_id, guid, mid, fields, tags)
    return found


def user_library(folder: Path, text: str = DECK) -> Library:
    folder.mkdir(exist_ok=True)
    (folder / "html.yaml").write_text(text, encoding="utf-8")
    library = load_library([folder])
    assert not library.errors
    return library


def test_anki_package_holds_every_card_with_stable_ids(
    context: Context, tmp_path: Path
) -> None:
    target = tmp_path / "out.apkg"

    result = export_anki(context.library, target, NOW)

    cards = list(context.library.iter_cards())
    assert (result.decks, result.notes) == (len(context.library.decks), len(cards))
    conn = read_package(target, tmp_path)
    found = notes(conn)
    assert set(found) == {c.id for c in cards}
    for card in cards:
        note_id, guid, mid, fields, _ = found[card.id]
        assert (note_id, guid, mid) == (
            note_anki_id(card.id),
            note_guid(card.id),
            model_anki_id(),
        )
        assert fields[3] == card.topic
    decks = json.loads(conn.execute("SELECT decks FROM col").fetchone()[0])
    deck = context.library.decks[0]
    assert decks[str(deck_anki_id(deck.id))]["name"] == f"sreflash::{deck.title}"
    models = json.loads(conn.execute("SELECT models FROM col").fetchone()[0])
    assert str(model_anki_id()) in models
    card_decks = {d for (d,) in conn.execute("SELECT did FROM cards")}
    assert card_decks == {deck_anki_id(d.id) for d in context.library.decks}


def test_fields_are_escaped_for_anki_html(tmp_path: Path) -> None:
    library = user_library(tmp_path / "decks")
    target = tmp_path / "html.apkg"

    export_anki(library, target, NOW)

    _, _, _, fields, tags = notes(read_package(target, tmp_path))["html-lt"]
    prompt, answer, points, topic, card_id = fields
    assert prompt == "Is 1 &lt; 2 &amp; is &lt;b&gt;this&lt;/b&gt; bold?"
    assert answer == "Yes, and no:<br>it is shown as text."
    assert points == "<ul><li>&lt;i&gt;escape&lt;/i&gt; everything</li></ul>"
    assert (topic, card_id) == ("escaping", "html-lt")
    assert tags.split() == ["escaping", "concept", "two_words", "html"]


def test_a_second_export_after_an_edit_keeps_ids_and_guids(tmp_path: Path) -> None:
    folder = tmp_path / "decks"
    first, second = tmp_path / "first.apkg", tmp_path / "second.apkg"
    export_anki(user_library(folder), first, NOW)

    edited = DECK.replace("prompt: PROMPT", "prompt: An edited prompt")
    export_anki(user_library(folder, edited), second, NOW.replace(hour=13))

    before = notes(read_package(first, tmp_path))
    after = notes(read_package(second, tmp_path))
    assert {k: v[:3] for k, v in before.items()} == {k: v[:3] for k, v in after.items()}
    assert before["html-second"][3][0] == "PROMPT"
    assert after["html-second"][3][0] == "An edited prompt"


def test_export_of_one_deck_and_bad_targets(context: Context, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="no loaded deck has the id 'nope'"):
        export_anki(context.library, tmp_path / "x.apkg", NOW, deck_id="nope")
    with pytest.raises(ExportError, match=r"must end in \.apkg"):
        export_anki(context.library, tmp_path / "x.zip", NOW)
    assert not list(tmp_path.glob("*.part"))


def rate_some(context: Context) -> None:
    for rating in (Rating.Again, Rating.Good, Rating.Easy):
        card = context.study.next_card()
        assert card is not None
        context.study.rate(card, rating, duration_ms=1_500)


def test_review_log_as_csv(context: Context, tmp_path: Path) -> None:
    rate_some(context)
    target = tmp_path / "log.csv"

    assert export_reviews(context.store, target) == 3

    with target.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["rating_name"] for r in rows] == ["Again", "Good", "Easy"]
    assert [r["rating"] for r in rows] == ["1", "3", "4"]
    assert rows[0]["reviewed_at"] == "2026-03-02T12:00:00+00:00"
    assert rows[0]["study_day"] == "2026-03-02"
    assert rows[0]["duration_ms"] == "1500"
    assert rows[0]["source"] == "drill"
    assert list(rows[0])[:5] == ["id", "card_id", "deck_id", "rating", "rating_name"]


def test_review_log_as_json_lines(context: Context, tmp_path: Path) -> None:
    rate_some(context)
    target = tmp_path / "log.jsonl"

    export_reviews(context.store, target)

    rows = [json.loads(line) for line in target.read_text().splitlines()]
    assert [r["rating"] for r in rows] == [1, 3, 4]
    assert rows[0]["state_before"] is None
    assert rows[0]["state_after"]["card_id"] == rows[0]["card_id"]
    assert rows[0]["prev_state"] == 0


def test_review_log_needs_a_known_extension(context: Context, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match=r"\.csv, \.jsonl or \.ndjson"):
        export_reviews(context.store, tmp_path / "log.txt")
    assert not (tmp_path / "log.txt").exists()


# The commands


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the real ``sreflash`` command in the test's isolated folders."""
    return subprocess.run(
        [sys.executable, "-m", "sreflash", *args],
        capture_output=True,
        text=True,
        check=False,
        env=os.environ.copy(),
    )


def test_export_commands_write_files(context: Context, tmp_path: Path) -> None:
    rate_some(context)
    db = str(context.store.path)
    runner = CliRunner()

    anki = runner.invoke(cli, ["--db", db, "export", "anki", str(tmp_path / "a.apkg")])
    log = runner.invoke(cli, ["--db", db, "export", "reviews", str(tmp_path / "r.csv")])

    cards = len(context.library.cards)
    assert anki.exit_code == 0, anki.output
    assert f"Wrote {cards} notes in 1 deck to" in anki.stdout
    assert log.stdout.startswith("Wrote 3 reviews to")
    assert len(notes(read_package(tmp_path / "a.apkg", tmp_path))) == cards


def test_exports_keep_an_existing_file_unless_forced_and_make_no_folder(
    context: Context, tmp_path: Path
) -> None:
    db = str(context.store.path)
    for command, name in (("anki", "mine.apkg"), ("reviews", "mine.csv")):
        target = tmp_path / name
        target.write_text("keep me")

        kept = run_cli("--db", db, "export", command, str(target))
        forced = run_cli("--db", db, "export", command, str(target), "--force")

        assert kept.returncode == 1
        assert kept.stderr == (
            f"Error: {target} already exists; pass --force to overwrite it\n"
        )
        assert forced.returncode == 0, forced.stderr
        assert target.read_bytes() != b"keep me"

    # A folder that is not there is a typo, not one to make.
    for args in (("export", "anki"), ("export", "reviews"), ("backup",)):
        typo = tmp_path / "exprots" / "out.csv"
        result = run_cli("--db", db, *args, str(typo))
        assert result.returncode == 1
        assert result.stderr == (
            f"Error: {typo}: the folder {typo.parent} does not exist (create it, or "
            "check the path)\n"
        )
        assert not typo.parent.exists()


def test_backup_is_a_consistent_copy_and_never_overwrites(
    context: Context, tmp_path: Path
) -> None:
    rate_some(context)
    target = tmp_path / "copy.db"

    done = run_cli("--db", str(context.store.path), "backup", str(target))
    again = run_cli("--db", str(context.store.path), "backup", str(target))

    assert done.returncode == 0, done.stderr
    copy = sqlite3.connect(target)
    assert copy.execute("SELECT COUNT(*) FROM review_log").fetchone() == (3,)
    assert again.returncode == 1
    assert (
        again.stderr
        == f"Error: {target} already exists; pass --force to overwrite it\n"
    )


def test_backup_refuses_to_copy_the_database_onto_itself(context: Context) -> None:
    db = str(context.store.path)

    result = run_cli("--db", db, "backup", db, "--force")

    assert result.returncode == 1
    assert result.stderr == f"Error: {db} is the database itself; choose another file\n"


def test_a_bad_export_target_is_one_line_on_stderr(context: Context) -> None:
    result = run_cli("--db", str(context.store.path), "export", "reviews", "log.xml")

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "Error: log.xml: the review log is written as .csv, .jsonl or .ndjson"
    ]
