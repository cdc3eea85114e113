"""Studying: the day's queue, rating a card, undo, suspend and bury.

This is what sits between the decks, the store and the scheduler. It knows nothing
of the screen: the TUI, the CLI and the benchmarks all drive the same object.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sreflash.clock import Clock
from sreflash.config import Settings
from sreflash.decks import Card, Library
from sreflash.errors import SreflashError, UnknownCardError
from sreflash.scheduling import (
    CardState,
    Rating,
    StudyDay,
    make_scheduler,
    new_fsrs_card,
    preview,
)
from sreflash.store import CardRow, ReviewRow, Store, iso, parse_iso, snapshot

log = logging.getLogger(__name__)

LEECH_TAG = "leech"

# A card id to its card when it may be shown now, else None.
_CardFilter = Callable[[str], "Card | None"]
# The cards a queue or a count is about: a deck (or all) and the kinds it draws.
_Scope = tuple[str | None, frozenset[str] | None]


class UndoError(SreflashError):
    """A rating cannot be taken back."""

    title = "Cannot undo"


@dataclass(frozen=True, slots=True)
class DeckCounts:
    """What one deck (or all) holds today."""

    new: int
    learning: int
    due: int
    total: int


@dataclass(frozen=True, slots=True)
class Hidden:
    """A card just suspended or buried, with what it was before: enough to undo."""

    card: Card
    action: str
    """``"suspend"`` or ``"bury"``."""
    suspended: int
    leech: int
    buried_until: str | None


@dataclass(frozen=True, slots=True)
class Rated:
    """The result of rating a card."""

    card: Card
    rating: Rating
    row: CardRow
    review_id: int
    became_leech: bool = False


class Study:
    """The learner's study state over a library of decks.

    Args:
        store: where card state and the review log live.
        library: the loaded decks.
        settings: limits, retention and the day boundary.
        clock: the source of "now".
        fuzz: FSRS interval fuzzing; off in tests so schedules are exact.
    """

    def __init__(
        self,
        store: Store,
        library: Library,
        settings: Settings,
        clock: Clock,
        *,
        fuzz: bool = True,
    ) -> None:
        self.store = store
        self.library = library
        self.settings = settings
        self.clock = clock
        self.scheduler = make_scheduler(settings.desired_retention, fuzz=fuzz)
        self.day = StudyDay(settings.day_start_hour, settings.zone())
        self._seen: set[str] | None = None
        self._scopes: dict[_Scope, set[str]] = {}
        self._unseen: dict[_Scope, dict[str, None]] = {}

    @property
    def seen(self) -> set[str]:
        """Ids of cards reviewed at least once, read once and then kept up to date."""
        if self._seen is None:
            self._seen = self.store.seen_ids()
        return self._seen

    def now(self) -> datetime:
        """The current instant from the injected clock."""
        return self.clock.now()

    def today(self) -> tuple[date, datetime, datetime]:
        """Today's study day and its UTC bounds."""
        return self.day.today(self.now())

    # The queue

    def next_card(
        self,
        deck_id: str | None = None,
        *,
        exclude: Iterable[str] = (),
        kinds: frozenset[str] | None = None,
    ) -> Card | None:
        """The card to show now, or None when today's work is done.

        Learning cards due now come first, then reviews due today, then new cards
        within the day's limit; a learning card due within the learn-ahead window is
        shown early when nothing else is left.
        """
        now = self.now()
        _, start, end = self.day.today(now)
        skip = set(exclude)
        usable = self._usable(deck_id, skip, kinds)
        visible = "suspended = 0 AND (buried_until IS NULL OR buried_until <= ?)"

        learning = self._first(
            f"state IN (1, 3) AND due <= ? AND {visible} ORDER BY due",
            [iso(now), iso(now)],
            usable,
        )
        if learning is not None:
            return learning
        if self.reviews_left(start) > 0:
            review = self._first(
                f"state = 2 AND due < ? AND {visible} ORDER BY due",
                [iso(end), iso(now)],
                usable,
            )
            if review is not None:
                return review
        new = self._first_new(deck_id, start, skip, kinds)
        if new is not None:
            return new
        ahead = now + timedelta(minutes=self.settings.learn_ahead_minutes)
        return self._first(
            f"state IN (1, 3) AND due <= ? AND {visible} ORDER BY due",
            [iso(ahead), iso(now)],
            usable,
        )

    def _usable(
        self, deck_id: str | None, skip: set[str], kinds: frozenset[str] | None
    ) -> _CardFilter:
        def usable(card_id: str) -> Card | None:
            card = self.library.cards.get(card_id)
            if card is None or card_id in skip:
                return None
            if deck_id is not None and card.deck_id != deck_id:
                return None
            if kinds is not None and card.kind not in kinds:
                return None
            return card

        return usable

    def _first(self, where: str, params: list[str], usable: _CardFilter) -> Card | None:
        # Rows are read lazily: the first usable one is nearly always the first row,
        # and cards of a removed deck or of other decks are simply passed over.
        cursor = self.store.db.execute(
            f"SELECT card_id FROM card_state WHERE {where}", params
        )
        for (card_id,) in cursor:
            card = usable(card_id)
            if card is not None:
                cursor.close()
                return card
        return None

    def _first_new(
        self,
        deck_id: str | None,
        start: datetime,
        skip: set[str],
        kinds: frozenset[str] | None,
    ) -> Card | None:
        if self.new_left(start) <= 0:
            return None
        hidden = self._hidden(self.now())
        for card_id in self._never_reviewed(deck_id, kinds):
            if card_id not in skip and card_id not in hidden:
                return self.library.cards[card_id]
        return None

    def _never_reviewed(
        self, deck_id: str | None, kinds: frozenset[str] | None
    ) -> dict[str, None]:
        """The ids of a scope's never-reviewed cards, in deck order.

        Worked out once and kept up to date: at 20,000 cards, most of them seen,
        walking the deck for each new card or count took milliseconds. A rating
        takes its card out; a card that becomes new again (undo, reset) drops
        every scope's list, so it is found again.
        """
        key = (deck_id, kinds)
        cards = self._unseen.get(key)
        if cards is None:
            seen = self.seen
            cards = dict.fromkeys(
                card_id
                for card_id in self.library.iter_ids(deck_id, kinds)
                if card_id not in seen
            )
            self._unseen[key] = cards
        return cards

    def _mark_seen(self, card_id: str) -> None:
        self.seen.add(card_id)
        for cards in self._unseen.values():
            cards.pop(card_id, None)

    def _forget_seen(self, card_id: str) -> None:
        self.seen.discard(card_id)
        self._unseen.clear()

    def new_left(self, start: datetime | None = None) -> int:
        """How many new cards may still be introduced today."""
        if start is None:
            start = self.today()[1]
        introduced = self.store.count(
            "SELECT COUNT(*) FROM card_state WHERE introduced_at >= ?", [iso(start)]
        )
        return max(0, self.settings.new_per_day - introduced)

    def reviews_left(self, start: datetime | None = None) -> int:
        """How many reviews may still be shown today."""
        day = self.day.day_of(start or self.now())
        done = self.store.count(
            "SELECT COUNT(*) FROM review_log WHERE study_day = ? AND prev_state = 2",
            [day.isoformat()],
        )
        return max(0, self.settings.max_reviews_per_day - done)

    def counts(
        self, deck_id: str | None = None, *, kinds: frozenset[str] | None = None
    ) -> DeckCounts:
        """New, learning and due-today counts and the total, for a deck or all."""
        now = self.now()
        _, start, end = self.day.today(now)
        ids = self._scope(deck_id, kinds)
        hidden = self._hidden(now)

        learning = due = 0
        rows = self.store.db.execute(
            "SELECT card_id, state FROM card_state WHERE state IN (1, 2, 3) "
            "AND due < ?",
            [iso(end)],
        )
        for card_id, state in rows:
            if card_id in ids and card_id not in hidden:
                if state == CardState.REVIEW:
                    due += 1
                else:
                    learning += 1

        unseen = self._waiting(deck_id, kinds, hidden)
        new = min(unseen, self.new_left(start))
        return DeckCounts(new, learning, min(due, self.reviews_left(start)), len(ids))

    def new_waiting(
        self, deck_id: str | None = None, *, kinds: frozenset[str] | None = None
    ) -> int:
        """How many cards of a deck (or all) were never reviewed, today's limit
        aside; suspended and buried ones are left out."""
        return self._waiting(deck_id, kinds, self._hidden(self.now()))

    def _waiting(
        self, deck_id: str | None, kinds: frozenset[str] | None, hidden: set[str]
    ) -> int:
        fresh = self._never_reviewed(deck_id, kinds)
        return len(fresh) - sum(1 for card_id in hidden if card_id in fresh)

    def _scope(self, deck_id: str | None, kinds: frozenset[str] | None) -> set[str]:
        # The library does not change while the app runs, so each scope's ids are
        # worked out once.
        key = (deck_id, kinds)
        if key not in self._scopes:
            self._scopes[key] = set(self.library.iter_ids(deck_id, kinds))
        return self._scopes[key]

    def _hidden(self, now: datetime) -> set[str]:
        """Ids of cards suspended, or buried until later than ``now``."""
        # A UNION rather than OR, so each half can use its own index.
        rows = self.store.db.execute(
            "SELECT card_id FROM card_state WHERE suspended = 1 "
            "UNION SELECT card_id FROM card_state WHERE buried_until > ?",
            [iso(now)],
        )
        return {card_id for (card_id,) in rows}

    # Rating

    def intervals(self, card: Card) -> dict[Rating, timedelta]:
        """What each rating would schedule for ``card`` now."""
        now = self.now()
        row = self.store.card_row(card.id)
        fsrs_card = row.fsrs_card() if row else None
        return preview(self.scheduler, fsrs_card or new_fsrs_card(card.id, now), now)

    def rate(
        self, card: Card, rating: Rating, duration_ms: int = 0, source: str = "drill"
    ) -> Rated:
        """Schedule ``card`` with ``rating`` and save it before returning."""
        now = self.now()
        before = self.store.card_row(card.id)
        base = before or CardRow(card.id, card.deck_id)
        fsrs_before = base.fsrs_card() or new_fsrs_card(card.id, now)

        fsrs_after, _ = self.scheduler.review_card(fsrs_before, rating, now)
        lapsed = base.state == CardState.REVIEW and rating == Rating.Again
        after = replace(
            base.with_fsrs(fsrs_after),
            deck_id=card.deck_id,
            reps=base.reps + 1,
            lapses=base.lapses + int(lapsed),
            introduced_at=base.introduced_at or iso(now),
            last_review=iso(now),
            buried_until=None,
        )
        became_leech = (
            lapsed and not base.leech and after.lapses >= self.settings.leech_threshold
        )
        if became_leech:
            after = replace(after, leech=1, suspended=1)

        review = ReviewRow(
            card_id=card.id,
            deck_id=card.deck_id,
            rating=int(rating),
            reviewed_at=iso(now),
            study_day=self.day.day_of(now).isoformat(),
            duration_ms=max(0, int(duration_ms)),
            prev_state=base.state,
            new_state=after.state,
            prev_interval_days=_interval_days(base),
            new_interval_days=(fsrs_after.due - now).total_seconds() / 86400,
            state_before=snapshot(before),
            state_after=snapshot(after) or "",
            source=source,
        )
        review_id = self.store.record_review(after, review)
        self._mark_seen(card.id)
        return Rated(card, rating, after, review_id, became_leech)

    def undo(self, review_id: int | None = None) -> Card | None:
        """Take back a rating; returns its card, or None when there is none.

        Args:
            review_id: the rating to take back (a drill passes the ids it wrote, so
                it never undoes another window's rating); the newest if None.

        Raises:
            UndoError: when the card has been rated again since, elsewhere.
        """
        review = (
            self.store.last_review()
            if review_id is None
            else self.store.review(review_id)
        )
        if review is None:
            return None
        if not self.store.undo_review(review):
            raise UndoError(
                f"cannot undo the rating of {review.card_id!r}: the card was rated "
                "again since, in another window"
            )
        restored = self.store.card_row(review.card_id)
        if restored is None or restored.state == CardState.NEW:
            self._forget_seen(review.card_id)
        return self.library.cards.get(review.card_id)

    # Card management

    def _row(self, card_id: str) -> CardRow:
        card = self.library.cards.get(card_id)
        if card is None:
            raise UnknownCardError(f"no loaded deck has a card with id {card_id!r}")
        return self.store.card_row(card_id) or CardRow(card_id, card.deck_id)

    def set_suspended(self, card_id: str, suspended: bool) -> Hidden:
        """Suspend a card (it leaves every queue) or bring it back."""
        row = self._row(card_id)
        changed = replace(row, suspended=int(suspended))
        if not suspended:
            changed = replace(changed, leech=0)
        with self.store.transaction():
            self.store.put_card(changed)
        return self._hidden_from(row, "suspend")

    def bury(self, card_id: str) -> Hidden:
        """Hide a card until the next study day starts."""
        _, _, end = self.today()
        row = self._row(card_id)
        with self.store.transaction():
            self.store.put_card(replace(row, buried_until=iso(end)))
        return self._hidden_from(row, "bury")

    def unbury(self, card_id: str) -> None:
        """Bring a buried card back today."""
        row = self._row(card_id)
        with self.store.transaction():
            self.store.put_card(replace(row, buried_until=None))

    def _hidden_from(self, row: CardRow, action: str) -> Hidden:
        card = self.library.cards[row.card_id]
        return Hidden(card, action, row.suspended, row.leech, row.buried_until)

    def unhide(self, hidden: Hidden) -> Card:
        """Take back a suspend or a bury; returns the card, to show it again."""
        # Only the fields the action changed go back: a rating given to the card
        # since (in another window) stays.
        row = self._row(hidden.card.id)
        restored = replace(
            row,
            suspended=hidden.suspended,
            leech=hidden.leech,
            buried_until=hidden.buried_until,
        )
        with self.store.transaction():
            self.store.put_card(restored)
        return hidden.card

    def reset(self, card_id: str) -> None:
        """Forget a card's progress: it becomes new (its review log is kept)."""
        self._row(card_id)
        with self.store.transaction():
            self.store.delete_card(card_id)
        self._forget_seen(card_id)

    def set_flag(self, card_id: str, flag: int) -> None:
        """Mark a card with a flag number (0 clears it)."""
        with self.store.transaction():
            self.store.put_card(replace(self._row(card_id), flag=int(flag)))

    def next_due(self, deck_id: str | None = None) -> datetime | None:
        """When the next card of a deck (or any) falls due, after today's work."""
        cursor = self.store.db.execute(
            "SELECT card_id, due FROM card_state WHERE due IS NOT NULL "
            "AND suspended = 0 ORDER BY due"
        )
        for card_id, due in cursor:
            card = self.library.cards.get(card_id)
            if card is not None and (deck_id is None or card.deck_id == deck_id):
                cursor.close()
                return parse_iso(due)
        return None


def _interval_days(row: CardRow) -> float | None:
    if row.due is None or row.last_review is None:
        return None
    return (parse_iso(row.due) - parse_iso(row.last_review)).total_seconds() / 86400
