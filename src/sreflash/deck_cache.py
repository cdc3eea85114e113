"""A cache of validated decks, so a large collection is parsed once, not daily.

YAML parsing is slow in Python: a deck of 20,000 cards takes seconds. A deck that
passed validation is written as JSON under the cache folder, keyed by a hash of the
file's bytes; the next start reads the JSON instead. Any change to the file changes
the hash, so a stale entry is never used. JSON, not pickle: reading the cache can
never run code.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

from sreflash import __version__
from sreflash.decks import Card, Deck, Example, KeyPoint, LabRef, LazyCards

log = logging.getLogger(__name__)

# The fields of a card's row: see _plain.
_ROW_LENGTH = 11


def cache_key(raw: bytes, name: str) -> str:
    """The cache entry's name for a deck file's bytes, path and this version."""
    digest = hashlib.blake2b(raw, digest_size=20)
    digest.update(f"\0{name}\0{__version__}".encode())
    return digest.hexdigest()


def read(folder: Path, key: str) -> Deck | None:
    """The cached deck for ``key``, or None when there is none or it is unreadable."""
    path = folder / f"{key}.json"
    try:
        data = json.loads(path.read_bytes())
        return _deck(data)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as error:
        log.debug("ignoring cache entry %s: %s", path, error)
        return None


def write(folder: Path, key: str, deck: Deck) -> None:
    """Store ``deck`` under ``key``; a cache that cannot be written is skipped."""
    path = folder / f"{key}.json"
    partial = path.with_suffix(f".{os.getpid()}.part")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        partial.write_text(json.dumps(_plain(deck)), encoding="utf-8")
        partial.replace(path)
    except OSError as error:
        log.debug("cannot write deck cache %s: %s", path, error)


def _plain(deck: Deck) -> dict[str, Any]:
    return {
        "id": deck.id,
        "title": deck.title,
        "description": deck.description,
        "path": deck.path,
        "cards": [
            [
                c.id, c.kind, c.topic, c.prompt, c.answer,
                [[p.text, p.accept, p.reject] for p in c.key_points],
                c.tags, c.follow_ups,
                [[e.answer, e.verdict, e.label] for e in c.examples],
                [c.lab.lab, c.lab.check] if c.lab else None,
                c.line,
            ]
            for c in deck.cards
        ],
    }  # fmt: skip


def _deck(data: dict[str, Any]) -> Deck:
    deck_id, path = data["id"], data["path"]
    rows = data["cards"]

    # Positions in a row, as _plain writes them.
    def build(row: list[Any]) -> Card:
        (
            card_id, kind, topic, prompt, answer, points, tags, follow_ups,
            examples, lab, line,
        ) = row  # fmt: skip
        return Card(
            id=card_id,
            deck_id=deck_id,
            kind=kind,
            topic=topic,
            prompt=prompt,
            answer=answer,
            key_points=tuple(KeyPoint(t, tuple(a), tuple(r)) for t, a, r in points),
            tags=tuple(tags),
            follow_ups=tuple(follow_ups),
            examples=tuple(Example(*e) for e in examples),
            lab=LabRef(*lab) if lab else None,
            path=path,
            line=line,
        )

    # Cards are built when first used, so only the rows' shape is checked here:
    # an entry is written whole, by rename, and only a hand edit could damage
    # a row and keep the JSON valid.
    if not all(isinstance(row, list) and len(row) == _ROW_LENGTH for row in rows):
        raise ValueError("a card row has the wrong shape")
    ids = [row[0] for row in rows]
    kinds = [row[1] for row in rows]
    if not all(isinstance(x, str) for x in ids + kinds):
        raise TypeError("a card id or kind is not a string")
    cards = LazyCards(rows, ids, kinds, build)
    return Deck(deck_id, data["title"], data["description"], path, cards)
