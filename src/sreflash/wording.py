"""Small helpers for the words the commands and screens print."""

from __future__ import annotations

from datetime import datetime, tzinfo

from sreflash.scheduling import format_interval


def plural(number: int, noun: str) -> str:
    """``noun`` as it reads after ``number``: card, cards."""
    return noun if number == 1 else f"{noun}s"


def count_of(number: int, noun: str) -> str:
    """``number`` followed by ``noun``: 1 card, 2 cards."""
    return f"{number} {plural(number, noun)}"


def local_time(instant: datetime, zone: tzinfo | None) -> str:
    """An instant as the learner's clock shows it, ``2026-03-02 13:00 CET``.

    ``zone`` None is the system's own, as for the study day.
    """
    local = instant.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname() or ''}".rstrip()


def describe_due(next_due: datetime | None, now: datetime) -> str:
    """When the next card is due, in words."""
    if next_due is None:
        return "No card is scheduled yet."
    if next_due <= now:
        return "More cards are due now."
    return f"The next card is due in {format_interval(next_due - now)}."


def describe_new(waiting: int, left_today: int, per_day: int) -> str:
    """When the new cards that wait can be started, in words ("" for none)."""
    if waiting == 0:
        return ""
    now = min(waiting, left_today)
    if now > 0:
        later = waiting - now
        more = f"; {later} more wait for the next study days" if later else ""
        return f"{count_of(now, 'new card')} can still be started today{more}."
    verb = "waits" if waiting == 1 else "wait"
    cards = f"{count_of(waiting, 'new card')} {verb}"
    if per_day == 0:
        return f"{cards}, but new_per_day is 0 in your settings."
    if waiting <= per_day:
        pronoun = "it" if waiting == 1 else "they"
        return f"{cards}: {pronoun} can start on the next study day."
    return f"{cards}: up to {per_day} a day from the next study day."
