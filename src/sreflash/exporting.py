"""Data out: the decks as an Anki package, the review log as CSV or JSON lines.

Anki knows a note by its guid and a note type by its id, so both are derived from
our own ids: importing a newer export into Anki updates the notes it already has
instead of adding copies.
"""

from __future__ import annotations

import csv
import hashlib
import html
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import genanki

from sreflash.decks import Card, Deck, Library
from sreflash.errors import SreflashError
from sreflash.scheduling import RATING_NAMES, Rating
from sreflash.store import Store

MODEL_NAME = "sreflash card"
FIELDS = ("Prompt", "Answer", "KeyPoints", "Topic", "CardId")
REVIEW_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}

_FRONT = '<div class="prompt">{{Prompt}}</div>'
_BACK = (
    "{{FrontSide}}<hr id=answer>"
    '<div class="answer">{{Answer}}</div>'
    '{{#KeyPoints}}<div class="points"><b>Key points</b>{{KeyPoints}}</div>'
    "{{/KeyPoints}}"
    '<div class="topic">{{Topic}}</div>'
)
_CSS = """\
.card { font-family: sans-serif; font-size: 18px; text-align: left; }
.points, .topic { margin-top: 1em; }
.topic { color: grey; font-size: 14px; }
"""


class ExportError(SreflashError):
    """An export could not be written."""

    title = "Export error"


@dataclass(frozen=True, slots=True)
class AnkiExport:
    """What went into an Anki package."""

    path: Path
    decks: int
    notes: int


# Stable ids. Anki expects deck and model ids in a 31-bit range (genanki's advice)
# and note ids that look like creation times in milliseconds.


def _hash(*parts: str) -> int:
    text = "\x1f".join(("sreflash", *parts))
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest())


def deck_anki_id(deck_id: str) -> int:
    """The Anki deck id of one of our decks."""
    return (1 << 30) + _hash("deck", deck_id) % (1 << 30)


def model_anki_id() -> int:
    """The id of sreflash's note type in Anki."""
    return (1 << 30) + _hash("model", MODEL_NAME) % (1 << 30)


def note_anki_id(card_id: str) -> int:
    """The Anki note id of a card: a millisecond time between 2001 and 2033."""
    return 10**12 + _hash("note", card_id) % 10**12


def note_guid(card_id: str) -> str:
    """The guid Anki uses to recognise the card's note on a later import."""
    return str(genanki.guid_for("sreflash", card_id))


def anki_model() -> genanki.Model:
    """sreflash's note type: prompt on the front, answer and key points behind."""
    return genanki.Model(
        model_anki_id(),
        MODEL_NAME,
        fields=[{"name": name} for name in FIELDS],
        templates=[{"name": "Card 1", "qfmt": _FRONT, "afmt": _BACK}],
        css=_CSS,
        sort_field_index=0,
    )


class _Note(genanki.Note):  # type: ignore[misc]
    """A note whose database id is ours rather than the export's clock."""

    def __init__(self, note_id: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.note_id = note_id

    def write_to_db(
        self, cursor: Any, timestamp: float, deck_id: int, id_gen: Iterator[int]
    ) -> None:
        # genanki takes the note id from the shared counter, then the card ids.
        super().write_to_db(cursor, timestamp, deck_id, _first(self.note_id, id_gen))


def _first(value: int, rest: Iterator[int]) -> Iterator[int]:
    yield value
    yield from rest


def html_field(text: str) -> str:
    """Plain text made safe for an Anki field: escaped, line breaks kept."""
    return html.escape(text.strip()).replace("\n", "<br>")


def anki_tag(text: str) -> str:
    """A tag as Anki allows it: no spaces."""
    return "_".join(text.split())


def anki_note(card: Card, model: genanki.Model) -> genanki.Note:
    """The Anki note of one card."""
    points = "".join(f"<li>{html_field(p.text)}</li>" for p in card.key_points)
    tags = dict.fromkeys(anki_tag(t) for t in (card.topic, card.kind, *card.tags))
    return _Note(
        note_anki_id(card.id),
        model=model,
        fields=[
            html_field(card.prompt),
            html_field(card.answer),
            f"<ul>{points}</ul>" if points else "",
            html_field(card.topic),
            html_field(card.id),
        ],
        tags=[t for t in tags if t],
        guid=note_guid(card.id),
    )


def anki_deck(deck: Deck, model: genanki.Model) -> genanki.Deck:
    """One of our decks as an Anki deck under a ``sreflash`` parent deck."""
    anki = genanki.Deck(deck_anki_id(deck.id), f"sreflash::{deck.title}")
    anki.description = html_field(deck.description)
    for card in deck.cards:
        anki.add_note(anki_note(card, model))
    return anki


def export_anki(
    library: Library, target: Path, now: datetime, deck_id: str | None = None
) -> AnkiExport:
    """Write the decks (or one) to ``target`` as an Anki ``.apkg`` package.

    Raises:
        ExportError: when the deck is unknown or the file cannot be written.
    """
    decks = [d for d in library.decks if deck_id is None or d.id == deck_id]
    if not decks:
        which = f"no loaded deck has the id {deck_id!r}" if deck_id else "no decks"
        raise ExportError(f"nothing to export: {which}")
    if target.suffix != ".apkg":
        raise ExportError(f"{target}: an Anki package must end in .apkg")

    model = anki_model()
    package = genanki.Package([anki_deck(deck, model) for deck in decks])
    with _replacing(target) as partial:
        package.write_to_file(str(partial), timestamp=now.timestamp())
    notes = sum(len(d.cards) for d in decks)
    return AnkiExport(target, len(decks), notes)


# The review log.


def export_reviews(store: Store, target: Path) -> int:
    """Write the whole review log to ``target``; returns the number of reviews.

    The format follows the extension: ``.csv``, or ``.jsonl``/``.ndjson`` for JSON
    lines, where the card snapshots are nested objects rather than JSON text.

    Raises:
        ExportError: for another extension or a file that cannot be written.
    """
    kind = REVIEW_FORMATS.get(target.suffix.lower())
    if kind is None:
        raise ExportError(
            f"{target}: the review log is written as .csv, .jsonl or .ndjson"
        )
    cursor = store.db.execute("SELECT * FROM review_log ORDER BY id")
    names = [d[0] for d in cursor.description]
    columns = [*names[:4], "rating_name", *names[4:]]
    count = 0

    with _replacing(target) as partial, partial.open("w", encoding="utf-8") as out:
        writer = _CsvRows(out, columns) if kind == "csv" else None
        for values in cursor:
            row = dict(zip(names, values, strict=True))
            row["rating_name"] = RATING_NAMES.get(Rating(row["rating"]), "")
            if writer is not None:
                writer.write(row)
            else:
                for key in ("state_before", "state_after"):
                    row[key] = json.loads(row[key]) if row[key] else None
                out.write(json.dumps({c: row[c] for c in columns}) + "\n")
            count += 1
    return count


class _CsvRows:
    def __init__(self, out: IO[str], columns: list[str]) -> None:
        self.writer = csv.DictWriter(out, columns, lineterminator="\n")
        self.writer.writeheader()

    def write(self, row: dict[str, Any]) -> None:
        self.writer.writerow(row)


@contextmanager
def _replacing(target: Path) -> Iterator[Path]:
    """A temporary path beside ``target`` that replaces it once fully written."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".part", dir=target.parent
        )
        os.close(handle)
    except OSError as error:
        raise ExportError(f"{target}: cannot be written ({error.strerror})") from None
    partial = Path(name)
    try:
        yield partial
        os.replace(partial, target)
    except OSError as error:
        raise ExportError(f"{target}: cannot be written ({error.strerror})") from None
    finally:
        partial.unlink(missing_ok=True)
