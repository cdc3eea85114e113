"""Scheduling and the day's queue: no fuzzing, fixed UTC times, exact intervals."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from sreflash.clock import FrozenClock
from sreflash.config import Settings
from sreflash.context import Context, open_context
from sreflash.decks import Card
from sreflash.scheduling import CardState, Rating, StudyDay, format_interval, fsrs_id

MINUTE = timedelta(minutes=1)
DAY = timedelta(days=1)


def first(context: Context) -> Card:
    card = context.study.next_card(kinds=frozenset({"question"}))
    assert card is not None
    return card


def test_a_new_card_offers_the_four_fsrs_intervals(context: Context) -> None:
    card = first(context)

    intervals = context.study.intervals(card)

    assert intervals == {
        Rating.Again: MINUTE,
        Rating.Hard: timedelta(minutes=5, seconds=30),
        Rating.Good: 10 * MINUTE,
        Rating.Easy: 8 * DAY,
    }
    assert [format_interval(i) for i in intervals.values()] == ["1m", "6m", "10m", "8d"]


def test_good_good_graduates_then_a_lapse_relearns(
    context: Context, clock: FrozenClock
) -> None:
    study = context.study
    card = first(context)

    study.rate(card, Rating.Good)
    clock.advance(10 * MINUTE)
    assert study.intervals(card)[Rating.Good] == 2 * DAY
    study.rate(card, Rating.Good)
    clock.advance(2 * DAY)
    assert study.intervals(card) == {
        Rating.Again: 10 * MINUTE,
        Rating.Hard: 8 * DAY,
        Rating.Good: 11 * DAY,
        Rating.Easy: 19 * DAY,
    }
    rated = study.rate(card, Rating.Again)

    assert rated.row.state == CardState.RELEARNING
    assert (rated.row.reps, rated.row.lapses) == (3, 1)
    log = context.store.reviews(card.id)
    assert [(r.rating, r.prev_state, r.new_state) for r in log] == [
        (3, 0, 1),
        (3, 1, 2),
        (1, 2, 3),
    ]
    assert log[1].new_interval_days == 2.0
    assert log[2].prev_interval_days == 2.0


def test_the_queue_puts_learning_first_then_reviews_then_new(
    context: Context, clock: FrozenClock
) -> None:
    study = context.study
    cards = list(context.library.iter_cards())
    review_card, learning_card = cards[0], cards[1]

    study.rate(review_card, Rating.Easy)  # 8 days
    clock.advance(8 * DAY)
    study.rate(learning_card, Rating.Again)  # due in a minute
    clock.advance(MINUTE)

    assert study.next_card() == learning_card
    study.rate(learning_card, Rating.Easy)
    assert study.next_card() == review_card
    study.rate(review_card, Rating.Good)
    assert study.next_card() == cards[2]


def test_new_cards_stop_at_the_daily_limit(db_path: Path, clock: FrozenClock) -> None:
    context = open_context(
        db=db_path,
        settings=Settings(timezone="UTC", new_per_day=3),
        clock=clock,
        fuzz=False,
    )
    study = context.study
    introduced = []

    while (card := study.next_card()) is not None:
        introduced.append(card.id)
        study.rate(card, Rating.Easy)

    assert len(introduced) == 3
    assert study.counts().new == 0
    clock.advance(DAY)
    assert study.counts().new == 3
    context.close()


def test_the_study_day_turns_at_the_configured_local_hour() -> None:
    paris = StudyDay(start_hour=4, zone=ZoneInfo("Europe/Paris"))

    # 02:30 UTC is 03:30 in Paris in winter: still the previous study day.
    assert paris.day_of(datetime(2026, 1, 10, 2, 30, tzinfo=UTC)) == date(2026, 1, 9)
    assert paris.day_of(datetime(2026, 1, 10, 3, 30, tzinfo=UTC)) == date(2026, 1, 10)
    start, end = paris.bounds(date(2026, 7, 1))
    assert start == datetime(2026, 7, 1, 2, 0, tzinfo=UTC)  # summer: UTC+2
    assert end == datetime(2026, 7, 2, 2, 0, tzinfo=UTC)


def test_a_review_due_later_today_is_shown_today(
    db_path: Path, clock: FrozenClock
) -> None:
    context = open_context(
        db=db_path,
        settings=Settings(timezone="UTC", new_per_day=1),
        clock=clock,
        fuzz=False,
    )
    study = context.study
    card = study.next_card()
    assert card is not None
    study.rate(card, Rating.Easy)  # due 2026-03-10 12:00

    clock.set(datetime(2026, 3, 10, 5, 0, tzinfo=UTC))  # after the 04:00 turn
    assert study.next_card() == card
    assert study.counts().due == 1
    context.close()


def test_undo_restores_the_card_and_removes_the_log_entry(context: Context) -> None:
    study = context.study
    card = first(context)
    study.rate(card, Rating.Good)
    before = context.store.card_row(card.id)
    study.rate(card, Rating.Easy)

    assert study.undo() == card

    assert context.store.card_row(card.id) == before
    assert len(context.store.reviews(card.id)) == 1
    assert study.undo() == card
    assert context.store.card_row(card.id) is None
    assert study.next_card(kinds=frozenset({"question"})) == card


def test_a_card_reset_in_a_later_session_is_new_again(
    db_path: Path, clock: FrozenClock
) -> None:
    settings = Settings(timezone="UTC", new_per_day=9999)
    earlier = open_context(db=db_path, settings=settings, clock=clock, fuzz=False)
    card = earlier.study.next_card()
    assert card is not None
    earlier.study.rate(card, Rating.Easy)
    earlier.close()

    # This session starts with the card already seen, then forgets its progress.
    context = open_context(db=db_path, settings=settings, clock=clock, fuzz=False)
    study = context.study
    new = study.counts().new
    assert study.next_card() != card
    study.reset(card.id)

    assert study.counts().new == new + 1
    assert study.next_card() == card
    context.close()


def test_new_waiting_counts_unreviewed_cards_past_the_limit(
    db_path: Path, clock: FrozenClock
) -> None:
    settings = Settings(timezone="UTC", new_per_day=1)
    context = open_context(db=db_path, settings=settings, clock=clock, fuzz=False)
    study = context.study
    total = len(context.library.cards)
    a, b, c = list(context.library.iter_cards())[:3]

    study.rate(a, Rating.Good)
    study.set_suspended(b.id, True)
    study.bury(c.id)

    assert study.counts().new == 0  # the day's one new card is used
    assert study.new_waiting() == total - 3
    clock.advance(DAY)  # the bury ends with the day
    assert study.new_waiting() == total - 2
    context.close()


def test_suspended_and_buried_cards_leave_the_queue(
    context: Context, clock: FrozenClock
) -> None:
    study = context.study
    a, b = list(context.library.iter_cards())[:2]

    study.set_suspended(a.id, True)
    study.bury(b.id)
    shown = study.next_card()

    assert shown is not None and shown.id not in (a.id, b.id)
    clock.advance(DAY)
    assert study.next_card() == b
    study.set_suspended(a.id, False)
    assert study.next_card() == a


def test_undoing_a_suspend_or_bury_puts_the_card_back_as_it_was(
    context: Context,
) -> None:
    study = context.study
    a, b = list(context.library.iter_cards())[:2]
    study.rate(a, Rating.Good)
    rated_due = context.store.card_row(a.id)

    suspended = study.set_suspended(a.id, True)
    buried = study.bury(b.id)
    assert study.next_card() not in (a, b)
    assert study.counts().learning == 0

    assert study.unhide(buried) == b
    assert study.unhide(suspended) == a
    row = context.store.card_row(a.id)
    assert row is not None and rated_due is not None
    assert (row.suspended, row.buried_until, row.due) == (0, None, rated_due.due)
    restored_b = context.store.card_row(b.id)
    assert restored_b is not None and restored_b.buried_until is None
    assert study.counts().learning == 1  # a is back in today's learning count


def test_undoing_a_suspend_keeps_a_leech_tag_it_had(context: Context) -> None:
    study = context.study
    card = first(context)
    study.set_suspended(card.id, True)
    row = context.store.card_row(card.id)
    assert row is not None
    context.store.put_card(replace(row, leech=1))

    unsuspended = study.set_suspended(card.id, False)
    study.unhide(unsuspended)

    back = context.store.card_row(card.id)
    assert back is not None and (back.suspended, back.leech) == (1, 1)


def test_eight_lapses_make_a_leech_that_is_suspended(
    context: Context, clock: FrozenClock
) -> None:
    study = context.study
    card = first(context)
    study.rate(card, Rating.Easy)
    leeched = []

    for _ in range(8):
        clock.advance(30 * DAY)
        leeched.append(study.rate(card, Rating.Again).became_leech)
        clock.advance(DAY)
        study.rate(card, Rating.Easy)

    assert leeched == [False] * 7 + [True]
    row = context.store.card_row(card.id)
    assert row is not None and (row.leech, row.suspended, row.lapses) == (1, 1, 8)
    assert study.next_card(kinds=frozenset({"question"})) != card


def test_progress_follows_the_card_id_when_its_text_changes(
    tmp_path: Path, clock: FrozenClock
) -> None:
    deck = tmp_path / "mine.yaml"
    text = (
        "format: 1\ndeck: {id: mine, title: Mine}\ncards:\n"
        "  - {id: m1, kind: concept, topic: t, prompt: OLD, answer: a,"
        " key_points: [k]}\n"
    )
    deck.write_text(text)
    settings = Settings(timezone="UTC")
    one = open_context(db=tmp_path / "s.db", decks=[deck], bundled=False,
                       settings=settings, clock=clock)  # fmt: skip
    card = one.study.next_card()
    assert card is not None
    one.study.rate(card, Rating.Easy)
    one.close()

    deck.write_text(text.replace("OLD", "A brand new wording"))
    two = open_context(db=tmp_path / "s.db", decks=[deck], bundled=False,
                       settings=settings, clock=clock)  # fmt: skip

    assert two.study.next_card() is None
    assert two.store.card_row("m1") is not None
    assert two.library.cards["m1"].prompt == "A brand new wording"
    two.close()


def test_fsrs_ids_are_stable_and_distinct() -> None:
    assert fsrs_id("q-reduce-size") == fsrs_id("q-reduce-size")
    assert fsrs_id("a") != fsrs_id("b")
    assert 0 < fsrs_id("x") < 2**62


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=30), "<1m"),
        (timedelta(minutes=10), "10m"),
        (timedelta(hours=5), "5h"),
        (timedelta(days=3), "3d"),
        (timedelta(days=75), "2.5mo"),
        (timedelta(days=730), "2y"),
    ],
)
def test_intervals_read_like_ankis(delta: timedelta, text: str) -> None:
    assert format_interval(delta) == text
