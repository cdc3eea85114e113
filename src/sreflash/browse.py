"""Finding cards and showing everything known about one: the browser's core.

A search is a line of words, as in Anki's browser: plain words must all appear in
the card's text, and ``deck:``, ``topic:``, ``tag:`` (with ``*`` wildcards) and
``is:`` narrow it down, for example ``tag:cache is:due layer``.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from sreflash.decks import Card
from sreflash.errors import SreflashError, UnknownCardError
from sreflash.scheduling import RATING_NAMES, CardState, Rating, format_interval
from sreflash.store import CardRow, ReviewRow, iso, parse_iso
from sreflash.study import Study
from sreflash.wording import local_time

STATES = (
    "new", "learning", "review", "relearning", "due", "suspended", "buried",
    "leech", "flagged",
)  # fmt: skip
FLAGS = {0: "", 1: "red", 2: "orange", 3: "green", 4: "blue"}
STATE_NAMES = {
    CardState.NEW: "new",
    CardState.LEARNING: "learning",
    CardState.REVIEW: "review",
    CardState.RELEARNING: "relearning",
}


class SearchError(SreflashError):
    """A search names a state that does not exist."""

    title = "Search error"


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed search."""

    words: tuple[str, ...] = ()
    decks: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    states: frozenset[str] = field(default_factory=frozenset)


def parse_query(text: str) -> Query:
    """Split a search line into its words and filters.

    Raises:
        SearchError: for an ``is:`` that names no state.
    """
    words: list[str] = []
    parts: dict[str, list[str]] = {"deck": [], "topic": [], "tag": [], "is": []}
    for token in text.split():
        key, _, value = token.partition(":")
        if value and key.lower() in parts:
            parts[key.lower()].append(value.lower())
        else:
            words.append(token.lower())
    unknown = [s for s in parts["is"] if s not in STATES]
    if unknown:
        raise SearchError(
            f"is:{unknown[0]} is not a state; use one of {', '.join(STATES)}"
        )
    return Query(
        tuple(words),
        tuple(parts["deck"]),
        tuple(parts["topic"]),
        tuple(parts["tag"]),
        frozenset(parts["is"]),
    )


@dataclass(frozen=True, slots=True)
class Found:
    """A card and its stored state, as one line of the browser."""

    card: Card
    row: CardRow | None
    states: frozenset[str]
    zone: tzinfo | None = None
    """The learner's time zone: the due date is the one on their calendar."""

    @property
    def state(self) -> str:
        """The card's main state: suspended and buried win over the schedule."""
        for name in ("suspended", "buried"):
            if name in self.states:
                return name
        row_state = self.row.state if self.row else CardState.NEW
        return STATE_NAMES[CardState(row_state)]

    @property
    def due(self) -> str:
        """When it is due, as a date, or empty for a new card."""
        if self.row is None or self.row.due is None:
            return ""
        return parse_iso(self.row.due).astimezone(self.zone).date().isoformat()


def card_states(row: CardRow | None, now: datetime, day_end: datetime) -> set[str]:
    """Every ``is:`` state that applies to a card."""
    if row is None:
        return {"new"}
    states = {STATE_NAMES[CardState(row.state)]}
    buried = bool(row.buried_until and row.buried_until > iso(now))
    if row.suspended:
        states.add("suspended")
    if buried:
        states.add("buried")
    if row.leech:
        states.add("leech")
    if row.flag:
        states.add("flagged")
    visible = not row.suspended and not buried
    if visible and row.state != CardState.NEW and row.due and row.due < iso(day_end):
        states.add("due")
    return states


def search(study: Study, text: str) -> list[Found]:
    """The cards matching a search line, in deck order.

    Raises:
        SearchError: for a bad ``is:``, or a ``deck:`` that matches no deck.
    """
    query = parse_query(text)
    # A misspelt deck would otherwise read as a deck with no cards.
    ids = [deck.id.lower() for deck in study.library.decks]
    for pattern in query.decks:
        if not any(fnmatch.fnmatchcase(deck_id, pattern) for deck_id in ids):
            raise SearchError(
                f"deck:{pattern} matches no deck; the decks are {', '.join(ids)}"
            )
    now = study.now()
    _, _, end = study.day.today(now)
    rows = {row.card_id: row for row in study.store.card_rows()}
    found = []
    for card in study.library.iter_cards():
        if not _matches(card, query):
            continue
        row = rows.get(card.id)
        states = frozenset(card_states(row, now, end))
        if query.states <= states:
            found.append(Found(card, row, states, study.day.zone))
    return found


def _matches(card: Card, query: Query) -> bool:
    def any_like(value: str, patterns: tuple[str, ...]) -> bool:
        return any(fnmatch.fnmatchcase(value.lower(), p) for p in patterns)

    if query.decks and not any_like(card.deck_id, query.decks):
        return False
    if query.topics and not any_like(card.topic, query.topics):
        return False
    if query.tags and not any(any_like(tag, query.tags) for tag in card.tags):
        return False
    if query.words:
        text = " ".join((card.id, card.topic, card.prompt, card.answer, *card.tags))
        text = text.lower()
        return all(word in text for word in query.words)
    return True


@dataclass(frozen=True, slots=True)
class CardInfo:
    """Everything known about one card."""

    card: Card
    found: Found
    retrievability: float | None
    history: list[ReviewRow]
    zone: tzinfo | None = None
    """The learner's time zone, for the times shown."""

    @property
    def row(self) -> CardRow | None:
        return self.found.row


def card_info(study: Study, card_id: str) -> CardInfo:
    """A card's state, schedule, recall odds now and review history.

    Raises:
        UnknownCardError: when no loaded deck has the card.
    """
    card = study.library.cards.get(card_id)
    if card is None:
        raise UnknownCardError(f"no loaded deck has a card with id {card_id!r}")
    row = study.store.card_row(card_id)
    now = study.now()
    _, _, end = study.day.today(now)
    found = Found(card, row, frozenset(card_states(row, now, end)), study.day.zone)
    fsrs = row.fsrs_card() if row else None
    recall = None
    if fsrs is not None and fsrs.last_review is not None:
        recall = float(study.scheduler.get_card_retrievability(fsrs, now))
    return CardInfo(card, found, recall, study.store.reviews(card_id), study.day.zone)


def due_text(row: CardRow | None, zone: tzinfo | None) -> str:
    """A card's next due date and time, in the learner's time zone."""
    if row is None or row.due is None:
        return "not yet scheduled (new)"
    return local_time(parse_iso(row.due), zone)


def info_lines(info: CardInfo) -> list[str]:
    """A card's info as plain text."""
    row = info.row
    lines = [
        f"{info.card.id}  ({info.card.deck_id}, topic {info.card.topic})",
        info.card.prompt,
        f"State: {info.found.state}  ({', '.join(sorted(info.found.states))})",
        f"Next due: {due_text(row, info.zone)}",
    ]
    if row is not None and row.stability is not None:
        recall = info.retrievability
        lines.append(
            f"Stability: {row.stability:.1f} days  Difficulty: "
            f"{row.difficulty or 0:.1f} / 10  Recall now: "
            + ("-" if recall is None else f"{recall:.0%}")
        )
    lines.append(
        f"Reviews: {row.reps if row else 0}  Lapses: {row.lapses if row else 0}"
    )
    if row is not None and row.flag:
        lines.append(f"Flag: {FLAGS.get(row.flag, str(row.flag))}")
    if info.history:
        lines.append("History:")
        for r in info.history:
            interval = format_interval(timedelta(days=r.new_interval_days))
            lines.append(
                f"  {local_time(parse_iso(r.reviewed_at), info.zone)}  "
                f"{RATING_NAMES[Rating(r.rating)]:5}  next in {interval:>5}  "
                f"{r.duration_ms / 1000:>3.0f} s  {r.source}"
            )
    return lines
