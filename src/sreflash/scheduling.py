"""FSRS scheduling and the study day, on top of the ``fsrs`` package.

The package schedules exact instants; deciding what "due today" means, naming the
intervals for the rating buttons and giving each card a stable FSRS id is ours.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import IntEnum

from fsrs import Card as FsrsCard
from fsrs import Rating, Scheduler, State

__all__ = [
    "FsrsCard",
    "Rating",
    "State",
    "StudyDay",
    "format_interval",
    "fsrs_id",
    "make_scheduler",
]


class CardState(IntEnum):
    """Where a card stands; ``NEW`` is ours, the rest mirror ``fsrs.State``."""

    NEW = 0
    LEARNING = 1
    REVIEW = 2
    RELEARNING = 3


RATING_NAMES = {
    Rating.Again: "Again",
    Rating.Hard: "Hard",
    Rating.Good: "Good",
    Rating.Easy: "Easy",
}


def make_scheduler(desired_retention: float = 0.9, *, fuzz: bool = True) -> Scheduler:
    """An FSRS scheduler with the package's default parameters."""
    return Scheduler(desired_retention=desired_retention, enable_fuzzing=fuzz)


def fsrs_id(card_id: str) -> int:
    """A stable 62-bit integer for a card id.

    The package would otherwise make an id from the clock (sleeping a millisecond
    per card); a hash of our own id is stable across runs and machines.
    """
    digest = hashlib.blake2b(card_id.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 2


def new_fsrs_card(card_id: str, now: datetime) -> FsrsCard:
    """The FSRS card for a card never reviewed."""
    return FsrsCard(card_id=fsrs_id(card_id), due=now)


def preview(
    scheduler: Scheduler, card: FsrsCard, now: datetime
) -> dict[Rating, timedelta]:
    """The interval each rating would give, without changing anything."""
    return {
        rating: scheduler.review_card(card, rating, now)[0].due - now
        for rating in Rating
    }


def format_interval(delta: timedelta) -> str:
    """A short interval as Anki shows it: ``<1m``, ``10m``, ``4d``, ``2.5mo``."""
    seconds = delta.total_seconds()
    if seconds < 60:
        return "<1m"
    if seconds < 3600:
        return f"{round(seconds / 60)}m"
    if seconds < 86400:
        return f"{round(seconds / 3600)}h"
    days = seconds / 86400
    if days < 30:
        return f"{round(days)}d"
    if days < 365:
        return f"{days / 30:.1f}mo".replace(".0mo", "mo")
    return f"{days / 365:.1f}y".replace(".0y", "y")


@dataclass(frozen=True)
class StudyDay:
    """A study day: from ``start_hour`` local time to the same hour the next day.

    Anki starts its day at 4 am so a late-night session still counts for the day
    it belongs to; we do the same, in the learner's own time zone.
    """

    start_hour: int = 4
    zone: tzinfo | None = None

    def day_of(self, instant: datetime) -> date:
        """The study day an instant belongs to."""
        local = instant.astimezone(self.zone)
        return (local - timedelta(hours=self.start_hour)).date()

    def bounds(self, day: date) -> tuple[datetime, datetime]:
        """The UTC instants where ``day`` starts and ends."""
        start = self._local(datetime.combine(day, time(self.start_hour)))
        end = self._local(
            datetime.combine(day + timedelta(days=1), time(self.start_hour))
        )
        return start.astimezone(UTC), end.astimezone(UTC)

    def _local(self, naive: datetime) -> datetime:
        # A naive datetime's astimezone() reads it as system local time, with the
        # daylight saving offset of that date rather than of today.
        if self.zone is None:
            return naive.astimezone()
        return naive.replace(tzinfo=self.zone)

    def today(self, now: datetime) -> tuple[date, datetime, datetime]:
        """Today's study day and its UTC bounds."""
        day = self.day_of(now)
        start, end = self.bounds(day)
        return day, start, end
