"""Decks: the card types, the library of loaded decks, and loading deck files.

A deck file is validated when first met (``deck_yaml`` walks its YAML nodes and
names the line of every problem) and read from the cache (``deck_cache``) after.
"""

from __future__ import annotations

import gc
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, overload

from sreflash.errors import DeckError

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
KINDS = ("question", "scenario", "checklist", "concept", "command", "lab")
# What a person answers from memory: every kind but lab cards, which a Docker
# engine checks and which join a drill only when one answers.
DRILL_KINDS = frozenset(KINDS) - {"lab"}
VERDICTS = ("pass", "fail")
LABELS = ("strong", "partial", "wrong", "off-topic", "keywords")
DECK_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
CARD_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")

# How many key (or talking) points each kind of card needs: (minimum, maximum).
POINT_LIMITS = {
    "question": (3, 6),
    "scenario": (3, 6),
    "checklist": (1, 6),
    "concept": (1, 6),
    "command": (1, 6),
    "lab": (0, 6),
}


@dataclass(frozen=True, slots=True)
class KeyPoint:
    """One point a good answer covers, with the phrasings that count for it."""

    text: str
    accept: tuple[str, ...] = ()
    reject: tuple[str, ...] = ()

    @property
    def phrasings(self) -> tuple[str, ...]:
        """The point's own text followed by its accepted phrasings."""
        return (self.text, *self.accept)


@dataclass(frozen=True, slots=True)
class Example:
    """A labelled example answer, used to check the scorer against a deck."""

    answer: str
    verdict: str
    label: str | None = None


@dataclass(frozen=True, slots=True)
class LabRef:
    """The lab check that answers a lab card."""

    lab: str
    check: str


@dataclass(slots=True, eq=True)
class Card:
    """One card of a deck. Treat it as read-only.

    Not a frozen dataclass: those build five times slower, which a collection of
    20,000 cards feels at every start. Equality compares every field; the hash is
    the card's id, its identity.
    """

    id: str
    deck_id: str
    kind: str
    topic: str
    prompt: str
    answer: str
    key_points: tuple[KeyPoint, ...] = ()
    tags: tuple[str, ...] = ()
    follow_ups: tuple[str, ...] = ()
    examples: tuple[Example, ...] = ()
    lab: LabRef | None = None
    path: str = ""
    line: int = 0

    def __hash__(self) -> int:
        return hash(self.id)


class LazyCards(Sequence[Card]):
    """A deck's cards, each built from its stored row the first time it is used.

    A large collection read from the cache holds 20,000 rows, and a drill shows a
    few dozen of them: building every card at start took a tenth of a second.

    Args:
        rows: one stored row per card, in deck order.
        ids: each row's card id.
        kinds: each row's card kind.
        build: makes the card of a row.
    """

    __slots__ = ("_build", "_built", "_rows", "ids", "kinds")

    def __init__(
        self,
        rows: Sequence[Any],
        ids: Sequence[str],
        kinds: Sequence[str],
        build: Callable[[Any], Card],
    ) -> None:
        self._rows = rows
        self._build = build
        self._built: list[Card | None] = [None] * len(rows)
        self.ids = ids
        self.kinds = kinds

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, index: int) -> Card: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Card]: ...

    def __getitem__(self, index: int | slice) -> Card | Sequence[Card]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        card = self._built[index]
        if card is None:
            card = self._built[index] = self._build(self._rows[index])
        return card

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return tuple(self) == tuple(other)

    def __hash__(self) -> int:
        return hash(tuple(self.ids))


@dataclass(frozen=True, slots=True)
class Deck:
    """A deck file, loaded."""

    id: str
    title: str
    description: str
    path: str
    cards: Sequence[Card]

    def ids_and_kinds(self) -> Iterator[tuple[str, str]]:
        """Each card's id and kind in deck order, without building the cards."""
        if isinstance(self.cards, LazyCards):
            return zip(self.cards.ids, self.cards.kinds, strict=True)
        return ((card.id, card.kind) for card in self.cards)


class CardIndex(Mapping[str, Card]):
    """Every loaded card by id; a cached deck's card is built when looked up."""

    def __init__(self) -> None:
        self._where: dict[str, tuple[Sequence[Card], int]] = {}

    def add(self, deck: Deck) -> None:
        """Index the cards of ``deck``."""
        for position, (card_id, _) in enumerate(deck.ids_and_kinds()):
            self._where[card_id] = (deck.cards, position)

    def __getitem__(self, card_id: str) -> Card:
        cards, position = self._where[card_id]
        return cards[position]

    def __contains__(self, card_id: object) -> bool:
        return card_id in self._where

    def __iter__(self) -> Iterator[str]:
        return iter(self._where)

    def __len__(self) -> int:
        return len(self._where)


@dataclass(slots=True)
class Library:
    """Every deck that loaded, the errors of those that did not, and a card index."""

    decks: list[Deck] = field(default_factory=list)
    errors: list[DeckError] = field(default_factory=list)
    cards: CardIndex = field(default_factory=CardIndex)

    def deck(self, deck_id: str) -> Deck | None:
        """The deck with this id, if it loaded."""
        return next((d for d in self.decks if d.id == deck_id), None)

    def card(self, card_id: str) -> Card | None:
        """The card with this id, if any loaded deck has it."""
        return self.cards.get(card_id)

    def iter_cards(self, deck_id: str | None = None) -> Iterator[Card]:
        """Cards in deck order, of one deck or of all."""
        for deck in self.decks:
            if deck_id is None or deck.id == deck_id:
                yield from deck.cards

    def iter_ids(
        self, deck_id: str | None = None, kinds: frozenset[str] | None = None
    ) -> Iterator[str]:
        """Card ids in deck order, of one deck or all, and of some kinds or all;
        no card is built to find them."""
        for deck in self.decks:
            if deck_id is None or deck.id == deck_id:
                for card_id, kind in deck.ids_and_kinds():
                    if kinds is None or kind in kinds:
                        yield card_id


# Loading


def load_library(dirs: Iterable[Path], cache: Path | None = None) -> Library:
    """Load every deck file in ``dirs``; bad decks are reported, never fatal.

    A deck is skipped as a whole when it has any error, when its id is taken, or when
    one of its card ids is used by a deck loaded before it. With ``cache``, decks
    that validated before are read from that folder instead of parsed again.
    """
    with _collector_paused():
        return _load_library(dirs, cache)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Hold off Python's cycle collector while a library is built.

    Loading makes hundreds of thousands of objects that all live on, and the
    collector would scan them again and again as they pile up: at 20,000 cards that
    made loading three to five times slower. At the end they are moved out of its
    reach (``gc.freeze``), or its next pass would scan them all once more (40 ms);
    cards hold no reference cycles, so plain reference counting frees them.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def _load_library(dirs: Iterable[Path], cache: Path | None) -> Library:
    library = Library()
    taken = library.cards

    for path in iter_deck_files(dirs):
        try:
            deck = load_deck_file(path, cache)
        except DeckErrors as errors:
            library.errors.extend(errors.errors)
            continue
        except DeckError as error:
            library.errors.append(error)
            continue
        first = library.deck(deck.id)
        if first is not None:
            library.errors.append(
                DeckError(
                    f"deck id {deck.id!r} is already used by {first.path}; "
                    "this deck was skipped (give one of them another id)",
                    path=deck.path,
                )
            )
            continue
        clash = next(
            (
                i
                for i, (card_id, _) in enumerate(deck.ids_and_kinds())
                if card_id in taken
            ),
            None,
        )
        if clash is not None:
            card = deck.cards[clash]
            library.errors.append(
                DeckError(
                    f"card id {card.id!r} is already used in {taken[card.id].path}; "
                    "this deck was skipped",
                    path=deck.path,
                    line=card.line,
                    card=card.id,
                )
            )
            continue

        library.decks.append(deck)
        taken.add(deck)
    return library


def iter_deck_files(dirs: Iterable[Path]) -> Iterator[Path]:
    """Deck files in each folder (or the file itself), in a stable order."""
    seen: set[Path] = set()
    for entry in dirs:
        if entry.is_file():
            candidates = [entry]
        elif entry.is_dir():
            candidates = sorted(
                p for p in entry.iterdir() if p.suffix in (".yaml", ".yml")
            )
        else:
            continue
        for path in candidates:
            resolved = path.resolve()
            if resolved not in seen and not path.name.startswith("."):
                seen.add(resolved)
                yield path


class DeckErrors(DeckError):
    """Several errors found in one deck file."""

    def __init__(self, errors: list[DeckError]) -> None:
        super().__init__(errors[0].message)
        self.errors = errors


def load_deck_file(path: Path, cache: Path | None = None) -> Deck:
    """Read and validate one deck file, through the cache folder when given.

    Raises:
        DeckErrors: listing every problem found, each naming its line and card.
    """
    from sreflash import deck_cache

    name = str(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise DeckError(f"cannot be read ({error.strerror})", path=name) from None
    if cache is None:
        return parse_deck(raw, name)

    key = deck_cache.cache_key(raw, name)
    deck = deck_cache.read(cache, key)
    if deck is None:
        deck = parse_deck(raw, name)
        deck_cache.write(cache, key, deck)
    return deck


def parse_deck(raw: bytes, name: str) -> Deck:
    """Validate the bytes of a deck file named ``name``."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise DeckError(
            f"is not UTF-8 text (byte {error.start})", path=name, line=line
        ) from None
    if not text.strip():
        raise DeckError(
            "is empty; a deck needs 'format', 'deck' and 'cards'", path=name
        )
    # YAML loads only when a deck is parsed: a start from the cache never needs it.
    from sreflash.deck_yaml import build_deck

    return build_deck(text, name)
