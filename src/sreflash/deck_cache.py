"""A cache of validated decks, so a large collection is parsed once, not daily.

YAML parsing is slow in Python: a deck of 20,000 cards takes seconds. A deck that
passed validation is written as JSON under the cache folder, keyed by a hash of the
file's bytes; the next start reads the JSON instead. Any change to the file changes
the hash, so a stale entry is never used, and writing the new entry removes the
deck's old ones. JSON, not pickle: reading the cache can never run code.

Cards are built from an entry only when first used, so an entry is sealed with a
hash of its own text: one that is not exactly what sreflash wrote (cut short,
edited by hand) is ignored and the deck parsed again, never half trusted.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

from sreflash import __version__
from sreflash.decks import Card, Deck, Example, KeyPoint, LabRef, LazyCards

log = logging.getLogger(__name__)

_SEAL = b"sreflash-deck-cache "


def cache_key(raw: bytes, name: str) -> str:
    """The cache entry's name for a deck file's bytes, path and this version.

    It starts with a hash of the path alone, which finds the deck's older entries.
    """
    where = hashlib.blake2b(f"{name}\0{__version__}".encode(), digest_size=8)
    digest = hashlib.blake2b(raw, digest_size=20)
    digest.update(f"\0{name}\0{__version__}".encode())
    return f"{where.hexdigest()}-{digest.hexdigest()}"


def read(folder: Path, key: str) -> Deck | None:
    """The cached deck for ``key``, or None when there is none or it is unusable."""
    path = folder / f"{key}.json"
    try:
        head, _, body = path.read_bytes().partition(b"\n")
        if head != _SEAL + _seal(key, body):
            raise ValueError("the entry is not as sreflash wrote it")
        return _deck(json.loads(body))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as error:
        log.debug("ignoring cache entry %s: %s", path, error)
        return None


def write(folder: Path, key: str, deck: Deck) -> None:
    """Store ``deck`` under ``key`` and drop the deck's older entries; a cache that
    cannot be written is skipped."""
    path = folder / f"{key}.json"
    partial = path.with_suffix(f".{os.getpid()}.part")
    body = json.dumps(_plain(deck)).encode()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        partial.write_bytes(_SEAL + _seal(key, body) + b"\n" + body)
        partial.replace(path)
        where = key.partition("-")[0]
        for old in folder.glob(f"{where}-*.json"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError as error:
        log.debug("cannot write deck cache %s: %s", path, error)
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)


def _seal(key: str, body: bytes) -> bytes:
    # The entry's own name is sealed too: another deck's entry copied over this
    # one is refused like any other edit.
    digest = hashlib.blake2b(key.encode() + b"\0", digest_size=20)
    digest.update(body)
    return digest.hexdigest().encode()


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

    # The seal vouches for every row: each is built only when first used.
    ids = [row[0] for row in rows]
    kinds = [row[1] for row in rows]
    cards = LazyCards(rows, ids, kinds, build)
    return Deck(deck_id, data["title"], data["description"], path, cards)
