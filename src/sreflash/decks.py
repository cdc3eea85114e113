"""Decks: YAML files of cards, loaded safely and validated with precise errors.

The loader composes each file into YAML nodes (with the C parser when available)
and builds cards from the nodes itself, so every error can name the line it is on
and no YAML tag can construct anything but plain strings, numbers and lists.
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

import yaml

from sreflash.errors import DeckError

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
KINDS = ("question", "scenario", "checklist", "concept", "command", "lab")
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

_Loader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_NULL = "tag:yaml.org,2002:null"
_PLAIN_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}"
    for name in ("str", "int", "float", "bool", "null", "seq", "map")
)


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
        if library.deck(deck.id) is not None:
            library.errors.append(
                DeckError(
                    f"deck id {deck.id!r} is already used by another deck; "
                    "this deck was skipped",
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

    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        at = mark.line + 1 if mark is not None else None
        problem = error.problem or "invalid YAML"
        raise DeckError(f"YAML syntax error: {problem}", path=name, line=at) from None
    except yaml.YAMLError as error:
        raise DeckError(f"YAML syntax error: {error}", path=name) from None

    builder = _DeckBuilder(name)
    deck = builder.build(root)
    if builder.errors:
        raise DeckErrors(builder.errors)
    assert deck is not None
    return deck


# Building cards from YAML nodes


class _Invalid(Exception):
    """One validation problem, raised to abandon the current card."""

    def __init__(self, message: str, node: yaml.Node | None) -> None:
        super().__init__(message)
        self.message = message
        self.node = node


class _DeckBuilder:
    """Walks the node tree of one file, collecting every problem it meets."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.errors: list[DeckError] = []
        self._seen: set[int] = set()

    def build(self, root: yaml.Node | None) -> Deck | None:
        try:
            top = self._mapping(root, "the file", {"format", "deck", "cards"})
            version = self._int(self._need(top, "format", root), "format")
            if version != FORMAT_VERSION:
                raise _Invalid(
                    f"format {version} is not supported (this sreflash reads "
                    f"format {FORMAT_VERSION})",
                    top["format"],
                )
            header = self._mapping(
                self._need(top, "deck", root), "deck", {"id", "title", "description"}
            )
            deck_id = self._slug(self._need(header, "id", top["deck"]), DECK_ID, "id")
            title = self._text(self._need(header, "title", top["deck"]), "title")
            description = self._opt_text(header.get("description"), "description")
            cards_node = self._need(top, "cards", root)
        except _Invalid as problem:
            self._report(problem)
            return None

        if not isinstance(cards_node, yaml.SequenceNode) or not cards_node.value:
            self._report(
                _Invalid("'cards' must be a list of at least one card", cards_node)
            )
            return None
        cards = self._cards(cards_node, deck_id)
        return Deck(deck_id, title, description, self.path, tuple(cards))

    def _cards(self, seq: yaml.SequenceNode, deck_id: str) -> list[Card]:
        cards: list[Card] = []
        first_line: dict[str, int] = {}
        for node in seq.value:
            try:
                card = self._card(node, deck_id)
            except _Invalid as problem:
                self._report(problem, self._card_id_of(node))
                continue
            if card.id in first_line:
                self._report(
                    _Invalid(
                        f"duplicate card id (first used on line {first_line[card.id]})",
                        node,
                    ),
                    card.id,
                )
                continue
            first_line[card.id] = card.line
            cards.append(card)

        known = set(first_line)
        for card in cards:
            for ref in card.follow_ups:
                if ref not in known:
                    self.errors.append(
                        DeckError(
                            f"follow-up {ref!r} names no card in this deck",
                            path=self.path,
                            line=card.line,
                            card=card.id,
                        )
                    )
        return cards

    def _card(self, node: yaml.Node, deck_id: str) -> Card:
        allowed = {
            "id", "kind", "topic", "tags", "prompt", "answer", "key_points",
            "talking_points", "follow_ups", "examples", "lab",
        }  # fmt: skip
        fields = self._mapping(node, "a card", allowed)
        card_id = self._slug(self._need(fields, "id", node), CARD_ID, "id")
        kind = self._text(self._need(fields, "kind", node), "kind")
        if kind not in KINDS:
            raise _Invalid(
                f"kind {kind!r} is not one of {', '.join(KINDS)}", fields["kind"]
            )

        points_key = "talking_points" if kind == "scenario" else "key_points"
        other_key = "key_points" if kind == "scenario" else "talking_points"
        if other_key in fields:
            raise _Invalid(
                f"a {kind} card takes {points_key!r}, not {other_key!r}",
                fields[other_key],
            )
        points = self._points(fields.get(points_key), points_key, kind, node)

        lab = None
        if kind == "lab":
            lab = self._lab(self._need(fields, "lab", node))
        elif "lab" in fields:
            raise _Invalid("only lab cards take 'lab'", fields["lab"])

        return Card(
            id=card_id,
            deck_id=deck_id,
            kind=kind,
            topic=self._slug(self._need(fields, "topic", node), CARD_ID, "topic"),
            prompt=self._text(self._need(fields, "prompt", node), "prompt"),
            answer=self._text(self._need(fields, "answer", node), "answer"),
            key_points=points,
            tags=self._strings(fields.get("tags"), "tags"),
            follow_ups=self._strings(fields.get("follow_ups"), "follow_ups"),
            examples=self._examples(fields.get("examples")),
            lab=lab,
            path=self.path,
            line=node.start_mark.line + 1,
        )

    def _points(
        self, node: yaml.Node | None, key: str, kind: str, card: yaml.Node
    ) -> tuple[KeyPoint, ...]:
        items = [] if node is None else self._sequence(node, key)
        low, high = POINT_LIMITS[kind]
        if not low <= len(items) <= high:
            raise _Invalid(
                f"a {kind} card needs {low} to {high} {key.replace('_', ' ')}, "
                f"not {len(items)}",
                node or card,
            )

        points = []
        for item in items:
            if isinstance(item, yaml.ScalarNode):
                points.append(KeyPoint(self._text(item, key)))
                continue
            fields = self._mapping(item, "a key point", {"text", "accept", "reject"})
            points.append(
                KeyPoint(
                    text=self._text(self._need(fields, "text", item), "text"),
                    accept=self._strings(fields.get("accept"), "accept"),
                    reject=self._strings(fields.get("reject"), "reject"),
                )
            )
        return tuple(points)

    def _examples(self, node: yaml.Node | None) -> tuple[Example, ...]:
        if node is None:
            return ()
        examples = []
        for item in self._sequence(node, "examples"):
            fields = self._mapping(item, "an example", {"answer", "verdict", "label"})
            verdict = self._text(self._need(fields, "verdict", item), "verdict")
            if verdict not in VERDICTS:
                raise _Invalid(
                    f"verdict {verdict!r} must be 'pass' or 'fail'", fields["verdict"]
                )
            label = self._opt_text(fields.get("label"), "label") or None
            if label is not None and label not in LABELS:
                raise _Invalid(
                    f"label {label!r} is not one of {', '.join(LABELS)}",
                    fields["label"],
                )
            answer = self._text(self._need(fields, "answer", item), "answer")
            examples.append(Example(answer, verdict, label))
        return tuple(examples)

    def _lab(self, node: yaml.Node) -> LabRef:
        fields = self._mapping(node, "'lab'", {"lab", "check"})
        return LabRef(
            lab=self._slug(self._need(fields, "lab", node), CARD_ID, "lab"),
            check=self._slug(self._need(fields, "check", node), CARD_ID, "check"),
        )

    # Node helpers: each checks a shape and raises _Invalid naming the field.

    def _visit(self, node: yaml.Node) -> None:
        # The composer returns the anchored node again for an alias, so a node met
        # twice is an alias: refusing it rules out alias bombs and hidden sharing.
        if id(node) in self._seen:
            raise _Invalid("YAML anchors and aliases are not allowed in decks", node)
        self._seen.add(id(node))
        if node.tag in _PLAIN_TAGS:
            return
        tag = node.tag.replace("tag:yaml.org,2002:", "!!")
        raise _Invalid(f"the YAML tag {tag!r} is not allowed in decks", node)

    def _mapping(
        self, node: yaml.Node | None, what: str, allowed: set[str]
    ) -> dict[str, yaml.Node]:
        if node is not None:
            self._visit(node)
        if not isinstance(node, yaml.MappingNode):
            raise _Invalid(f"{what} must be a mapping of fields", node)
        fields: dict[str, yaml.Node] = {}
        for key_node, value in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str) or key_node.tag != _STR:
                raise _Invalid(f"{what} has a field name that is not text", key_node)
            if key not in allowed:
                raise _Invalid(
                    f"unknown field {key!r} (allowed: {', '.join(sorted(allowed))})",
                    key_node,
                )
            if key in fields:
                raise _Invalid(f"field {key!r} is given twice", key_node)
            fields[key] = value
        return fields

    def _sequence(self, node: yaml.Node, key: str) -> list[yaml.Node]:
        self._visit(node)
        if not isinstance(node, yaml.SequenceNode):
            raise _Invalid(f"{key!r} must be a list", node)
        return list(node.value)

    def _need(
        self, fields: dict[str, yaml.Node], key: str, parent: yaml.Node | None
    ) -> yaml.Node:
        if key not in fields:
            raise _Invalid(f"missing required field {key!r}", parent)
        return fields[key]

    def _scalar(self, node: yaml.Node, key: str) -> yaml.ScalarNode:
        self._visit(node)
        if not isinstance(node, yaml.ScalarNode):
            raise _Invalid(
                f"{key!r} must be a single value, not a list or mapping", node
            )
        return node

    def _text(self, node: yaml.Node, key: str) -> str:
        scalar = self._scalar(node, key)
        if scalar.tag == _NULL or not scalar.value.strip():
            raise _Invalid(f"{key!r} must not be empty", node)
        # Plain numbers are fine as text ("3.11"), but say so when the field needed
        # words and got, say, a bare 'yes'.
        numeric = scalar.tag in (_INT, "tag:yaml.org,2002:float")
        if scalar.tag != _STR and not scalar.style and not numeric:
            raise _Invalid(f"{key!r} must be text, not {scalar.value!r}", node)
        return str(scalar.value).strip()

    def _opt_text(self, node: yaml.Node | None, key: str) -> str:
        if node is None:
            return ""
        if isinstance(node, yaml.ScalarNode) and node.tag == _NULL:
            return ""
        return self._text(node, key)

    def _int(self, node: yaml.Node, key: str) -> int:
        scalar = self._scalar(node, key)
        if scalar.tag != _INT:
            raise _Invalid(
                f"{key!r} must be a whole number, not {scalar.value!r}", node
            )
        return int(scalar.value)

    def _slug(self, node: yaml.Node, pattern: re.Pattern[str], key: str) -> str:
        value = self._text(node, key)
        if not pattern.match(value):
            raise _Invalid(
                f"{key} {value!r} must be lower case letters, digits and dashes", node
            )
        return value

    def _strings(self, node: yaml.Node | None, key: str) -> tuple[str, ...]:
        if node is None:
            return ()
        return tuple(self._text(item, key) for item in self._sequence(node, key))

    def _card_id_of(self, node: yaml.Node) -> str | None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if getattr(key, "value", None) == "id" and isinstance(
                    value, yaml.ScalarNode
                ):
                    return str(value.value)
        return None

    def _report(self, problem: _Invalid, card: str | None = None) -> None:
        line = problem.node.start_mark.line + 1 if problem.node is not None else None
        self.errors.append(
            DeckError(problem.message, path=self.path, line=line, card=card)
        )
