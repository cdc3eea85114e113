"""Counts and the next-due sentences, as the summary and home screen say them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sreflash.wording import count_of, describe_due, describe_new

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("number", "text"), [(0, "0 cards"), (1, "1 card"), (2, "2 cards")]
)
def test_counts_agree_with_their_number(number: int, text: str) -> None:
    assert count_of(number, "card") == text


@pytest.mark.parametrize(
    ("waiting", "left_today", "per_day", "text"),
    [
        (0, 5, 10, ""),
        (34, 1, 2, "1 new card can still be started today; 33 more wait for the next"
         " study days."),
        (3, 9, 10, "3 new cards can still be started today."),
        (1, 0, 1, "1 new card waits: it can start on the next study day."),
        (30, 0, 3, "30 new cards wait: up to 3 a day from the next study day."),
        (2, 0, 10, "2 new cards wait: they can start on the next study day."),
        (1, 0, 0, "1 new card waits, but new_per_day is 0 in your settings."),
    ],
)  # fmt: skip
def test_new_cards_are_promised_only_as_the_daily_limit_allows(
    waiting: int, left_today: int, per_day: int, text: str
) -> None:
    assert describe_new(waiting, left_today, per_day) == text


def test_the_next_due_card_is_told_in_words() -> None:
    assert describe_due(None, NOW) == "No card is scheduled yet."
    assert describe_due(NOW, NOW) == "More cards are due now."
    assert describe_due(NOW + timedelta(days=8), NOW) == ("The next card is due in 8d.")
