"""Deck files from YAML: nodes composed safely, then walked into cards.

The loader composes each file into YAML nodes (with the C parser when available)
and builds cards from the nodes itself, so every error can name the line it is on
and no YAML tag can construct anything but plain strings, numbers and lists. It is
imported only when a deck file has to be parsed, not when it comes from the cache.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from sreflash.decks import (
    CARD_ID,
    DECK_ID,
    FORMAT_VERSION,
    KINDS,
    LABELS,
    POINT_LIMITS,
    VERDICTS,
    Card,
    Deck,
    DeckErrors,
    Example,
    KeyPoint,
    LabRef,
)
from sreflash.errors import DeckError

_Loader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_NULL = "tag:yaml.org,2002:null"
# Every C0 and C1 control character but tab and newline. A carriage return is
# refused too: printed, it lets a line overwrite itself.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_PLAIN_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}"
    for name in ("str", "int", "float", "bool", "null", "seq", "map")
)


def build_deck(text: str, name: str) -> Deck:
    """Build and validate the deck in the YAML ``text`` of the file ``name``.

    Raises:
        DeckError: for a YAML syntax error.
        DeckErrors: listing every problem found, each naming its line and card.
    """
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
        # In file order, as an editor shows them; errors without a line go first.
        raise DeckErrors(sorted(builder.errors, key=lambda e: e.line or 0))
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
        # YAML's escapes ("\a", "\e") can smuggle in characters that would ring
        # the bell or drive the terminal when the card is printed.
        control = _CONTROL.search(scalar.value)
        if control is not None:
            code = f"U+{ord(control.group()):04X}"
            raise _Invalid(f"{key!r} holds a control character ({code})", node)
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
