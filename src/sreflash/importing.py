"""Data in: a CSV or TSV of questions and answers becomes a YAML deck.

The new deck is written to the user's deck folder in the deck format and read
back with the deck loader before it is kept, so an import never leaves a deck that
sreflash would refuse. An existing file is only replaced when asked.
"""

from __future__ import annotations

import csv
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from sreflash.decks import CARD_ID, DECK_ID, DeckErrors, Library
from sreflash.decks import parse_deck as parse_deck_text
from sreflash.errors import DeckError, SreflashError

HEADERS = {
    "question": "question",
    "prompt": "question",
    "front": "question",
    "answer": "answer",
    "back": "answer",
    "tags": "tags",
}
MAX_POINTS = 6
ID_WORDS = 6
ID_LENGTH = 48


class ImportFileError(SreflashError):
    """A file to import cannot be read or turned into a deck."""

    title = "Import error"


@dataclass(frozen=True, slots=True)
class Row:
    """One question read from the file, with the line it ends on."""

    line: int
    question: str
    answer: str
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Imported:
    """A deck written by an import."""

    path: Path
    deck_id: str
    title: str
    cards: int
    replaced: bool


def import_csv(
    source: Path,
    library: Library,
    folder: Path,
    *,
    deck_id: str | None = None,
    title: str | None = None,
    topic: str | None = None,
    replace: bool = False,
) -> Imported:
    """Turn ``source`` into a new deck file in ``folder``.

    Args:
        source: a ``.csv`` or ``.tsv`` file: question, answer and optional tags
            (separated by spaces or commas), with or without a header row.
        library: the decks already loaded, whose deck and card ids must stay free.
        folder: the user's deck folder.
        deck_id: the new deck's id; by default made from the file name.
        title: the deck's title; by default made from the file name.
        topic: the cards' topic; by default the deck id.
        replace: overwrite a deck file of the same name.

    Raises:
        ImportFileError: naming the file and line at fault.
    """
    rows = read_rows(source)
    deck_id = deck_id or slug(source.stem)
    if not DECK_ID.match(deck_id):
        raise ImportFileError(
            f"deck id {deck_id!r} must be lower case letters, digits and dashes; "
            "choose one with --deck"
        )
    topic = topic or deck_id
    if not CARD_ID.match(topic):
        raise ImportFileError(
            f"topic {topic!r} must be lower case letters, digits and dashes"
        )
    title = title or source.stem.replace("_", " ").replace("-", " ").strip().title()
    target = folder / f"{deck_id}.yaml"

    existing = library.deck(deck_id)
    if target.exists() and not replace:
        raise ImportFileError(
            f"{target} already exists; pass --replace to overwrite it, "
            "or --deck to choose another deck id"
        )
    if existing is not None and Path(existing.path).resolve() != target.resolve():
        raise ImportFileError(
            f"deck id {deck_id!r} is already used by {existing.path}; "
            "choose another with --deck"
        )

    text = deck_yaml(rows, deck_id, title, topic, source)
    try:
        deck = parse_deck_text(text.encode("utf-8"), str(target))
    except DeckErrors as errors:
        raise _deck_problem(source, rows, deck_id, errors.errors[0]) from None
    except DeckError as error:
        raise _deck_problem(source, rows, deck_id, error) from None
    for card in deck.cards:
        owner = library.cards.get(card.id)
        if owner is not None and owner.deck_id != deck_id:
            row = rows[deck.cards.index(card)]
            raise ImportFileError(
                f"{source}, line {row.line}: card id {card.id!r} is already used "
                f"in deck {owner.deck_id!r}; choose another deck id with --deck"
            )

    replaced = target.exists()
    _write(target, text, replace=replace)
    return Imported(target, deck_id, title, len(deck.cards), replaced)


def _deck_problem(
    source: Path, rows: list[Row], deck_id: str, error: DeckError
) -> ImportFileError:
    # The deck loader names a line of the YAML we wrote; the learner needs the
    # line of their own file, found through the card the error names.
    lines = dict(zip(card_ids(rows, deck_id), (r.line for r in rows), strict=True))
    line = lines.get(error.card or "")
    where = f"{source}, line {line}" if line else str(source)
    message = error.message.split(": ", 1)[-1]
    return ImportFileError(f"{where}: {message}")


# Reading the file.


def read_rows(source: Path) -> list[Row]:
    """The questions in a CSV or TSV file.

    Raises:
        ImportFileError: for a missing, unreadable or malformed file.
    """
    try:
        raw = source.read_bytes()
    except FileNotFoundError:
        raise ImportFileError(f"{source}: no such file") from None
    except OSError as error:
        raise ImportFileError(f"{source}: cannot be read ({error.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ImportFileError(
            f"{source}, line {line}: not UTF-8 text; save the file as UTF-8"
        ) from None

    reader = csv.reader(text.splitlines(keepends=True), _dialect(source, text))
    rows: list[Row] = []
    columns: dict[str, int] | None = None
    try:
        for cells in reader:
            cells = [cell.strip() for cell in cells]
            if not any(cells):
                continue
            if columns is None:
                columns = _header(cells)
                if columns is not None:
                    continue
                columns = {"question": 0, "answer": 1, "tags": 2}
            rows.append(_row(source, reader.line_num, cells, columns))
    except csv.Error as error:
        raise ImportFileError(f"{source}, line {reader.line_num}: {error}") from None

    if not rows:
        raise ImportFileError(f"{source}: no questions found")
    return rows


class _ExcelSemicolon(csv.excel):
    """Excel's CSV with semicolons, as spreadsheets write it in many locales."""

    delimiter = ";"


def _dialect(source: Path, text: str) -> type[csv.Dialect]:
    if source.suffix.lower() in (".tsv", ".tab"):
        return csv.excel_tab
    # Only the delimiter is guessed: the sniffer's guesses about quoting can turn
    # a doubled quote inside a multi-line field into stray quotes.
    try:
        delimiter = csv.Sniffer().sniff(text[:4096], delimiters=",;\t").delimiter
    except csv.Error:
        return csv.excel
    return {",": csv.excel, "\t": csv.excel_tab}.get(delimiter, _ExcelSemicolon)


def _header(cells: list[str]) -> dict[str, int] | None:
    names = [HEADERS.get(cell.lower()) for cell in cells]
    if not all(names) or len(set(names)) != len(names):
        return None
    return {name: n for n, name in enumerate(names) if name}


def _row(source: Path, line: int, cells: list[str], columns: dict[str, int]) -> Row:
    if len(cells) > len(columns):
        raise ImportFileError(
            f"{source}, line {line}: {len(cells)} columns, but at most "
            f"{len(columns)} are expected (question, answer, tags); "
            "quote fields that contain the delimiter"
        )

    def cell(name: str) -> str:
        index = columns.get(name)
        return cells[index] if index is not None and index < len(cells) else ""

    question, answer = cell("question"), cell("answer")
    if not question:
        raise ImportFileError(f"{source}, line {line}: the question is empty")
    if not answer:
        raise ImportFileError(f"{source}, line {line}: the answer is empty")
    tags = tuple(t for t in re.split(r"[\s,;]+", cell("tags")) if t)
    return Row(line, question, answer, tags)


# Writing the deck.


def slug(text: str, words: int = ID_WORDS) -> str:
    """Lower case words joined by dashes: ``What is a Pod?`` -> ``what-is-a-pod``."""
    found = re.findall(r"[a-z0-9]+", text.lower())[:words]
    return "-".join(found)[:ID_LENGTH].strip("-")


def key_points(answer: str) -> list[str]:
    """Key points from an answer: its lines, else its sentences, six at most.

    Imported answers have no key points of their own; the pieces of the answer
    are the best stand-in for typed-answer checks.
    """
    lines = [
        re.sub(r"^\s*([-*•]|\d+[.)])\s*", "", x).strip() for x in answer.splitlines()
    ]
    pieces = [x for x in lines if x]
    if len(pieces) < 2:
        pieces = [s for s in re.split(r"(?<=[.!?])\s+", answer.strip()) if s]
    if len(pieces) > MAX_POINTS:
        pieces = [*pieces[: MAX_POINTS - 1], " ".join(pieces[MAX_POINTS - 1 :])]
    return pieces or [answer.strip()]


def card_ids(rows: list[Row], deck_id: str) -> list[str]:
    """An id per row from its question's first words, so a re-import keeps it."""
    used: set[str] = set()
    ids = []
    for row in rows:
        base = f"{deck_id}-{slug(row.question) or 'card'}"
        card_id, n = base, 2
        while card_id in used:
            card_id, n = f"{base}-{n}", n + 1
        used.add(card_id)
        ids.append(card_id)
    return ids


def deck_yaml(
    rows: list[Row], deck_id: str, title: str, topic: str, source: Path
) -> str:
    """The deck file's text."""
    cards: list[dict[str, Any]] = []
    for row, card_id in zip(rows, card_ids(rows, deck_id), strict=True):
        card: dict[str, Any] = {"id": card_id, "kind": "concept", "topic": topic}
        if row.tags:
            card["tags"] = list(row.tags)
        card |= {
            "prompt": row.question,
            "answer": row.answer,
            "key_points": key_points(row.answer),
        }
        cards.append(card)

    data = {
        "format": 1,
        "deck": {
            "id": deck_id,
            "title": title,
            "description": f"Imported from {source.name}.",
        },
        "cards": cards,
    }
    header = (
        f"# Imported from {source.name} by `sreflash import csv`.\n"
        "# Edit freely, but keep each card's id: progress is kept by id.\n"
    )
    body = yaml.dump(
        data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=88
    )
    return header + body


class _Dumper(yaml.SafeDumper):
    """Writes multi-line text as YAML block literals, readable in an editor."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def _write(target: Path, text: str, *, replace: bool) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if not replace:
            # "x" refuses a file that appeared since the check above.
            with target.open("x", encoding="utf-8") as out:
                out.write(text)
            return
        handle, name = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".part", dir=target.parent
        )
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(name, target)
        finally:
            Path(name).unlink(missing_ok=True)
    except FileExistsError:
        raise ImportFileError(
            f"{target} already exists; pass --replace to overwrite it"
        ) from None
    except OSError as error:
        raise ImportFileError(
            f"{target}: cannot be written ({error.strerror})"
        ) from None
