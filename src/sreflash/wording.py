"""Small helpers for the words the commands and screens print."""

from __future__ import annotations


def plural(number: int, noun: str) -> str:
    """``noun`` as it reads after ``number``: card, cards."""
    return noun if number == 1 else f"{noun}s"


def count_of(number: int, noun: str) -> str:
    """``number`` followed by ``noun``: 1 card, 2 cards."""
    return f"{number} {plural(number, noun)}"
