"""Statistics: the numbers a serious learner checks, computed with SQL.

Everything is read from ``review_log`` and ``card_state`` with a handful of queries
that stay on the tables' indexes, so a collection of 20,000 cards and half a million
reviews is summed up in well under a second. Days are study days (see
:class:`~sreflash.scheduling.StudyDay`), and "the last 7 days" means today and the
six study days before it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sreflash.scheduling import CardState, FsrsCard, Rating
from sreflash.store import iso
from sreflash.study import DeckCounts, Study

FORECAST_DAYS = 30
HEATMAP_DAYS = 84
STREAK_DAYS = 30
RETENTION_WINDOWS = (7, 30)
MATURE_DAYS = 21
"""A card whose interval was at least this many days when reviewed is mature."""


@dataclass(frozen=True, slots=True)
class Today:
    """What happened today, and what is still waiting."""

    reviews: int
    new: int
    again: int
    seconds: float
    waiting: DeckCounts


@dataclass(frozen=True, slots=True)
class Retention:
    """Passed and total first reviews of the day of cards in review."""

    passed: int = 0
    total: int = 0

    @property
    def rate(self) -> float | None:
        """The share passed, or None with no reviews to judge by."""
        return self.passed / self.total if self.total else None

    def __add__(self, other: Retention) -> Retention:
        return Retention(self.passed + other.passed, self.total + other.total)


@dataclass(frozen=True, slots=True)
class RetentionWindow:
    """True retention over the last ``days`` study days."""

    days: int
    young: Retention
    mature: Retention

    @property
    def all(self) -> Retention:
        """Young and mature together."""
        return self.young + self.mature


@dataclass(frozen=True, slots=True)
class TimeSpent:
    """Reviews and time spent on them over the last ``days`` study days."""

    days: int
    reviews: int
    seconds: float


@dataclass(frozen=True, slots=True)
class WeakCard:
    """A card that keeps slipping."""

    card_id: str
    deck_id: str
    prompt: str
    lapses: int
    retrievability: float | None
    suspended: bool


@dataclass(frozen=True, slots=True)
class MockScore:
    """One finished mock interview."""

    session_id: int
    started_at: str
    deck_id: str | None
    topic: str | None
    questions: int
    score: float
    verdict: str | None


@dataclass(frozen=True, slots=True)
class LabHistory:
    """Runs of one lab, and the checks of its latest run."""

    lab_id: str
    runs: int
    passed: int
    failed: int
    cannot: int
    last_run: str
    last_passed: int
    last_failed: int
    last_cannot: int


@dataclass(frozen=True, slots=True)
class Collection:
    """How the loaded cards stand."""

    cards: int
    new: int
    learning: int
    review: int
    suspended: int
    leeches: int


@dataclass(frozen=True, slots=True)
class Stats:
    """Every figure of the stats screen and of ``sreflash stats``."""

    day: date
    today: Today
    collection: Collection
    forecast: list[tuple[date, int]]
    heatmap: list[tuple[date, int]]
    retention: list[RetentionWindow]
    time: list[TimeSpent]
    days_studied: int
    streak_days: int
    most_lapses: list[WeakCard]
    least_retrievable: list[WeakCard]
    mocks: list[MockScore]
    labs: list[LabHistory]

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data: dates as ISO strings, retention with its rates."""
        data: dict[str, Any] = _plain(asdict(self))
        data["retention"] = [
            {
                "days": w.days,
                **{
                    part: {"passed": r.passed, "total": r.total, "rate": r.rate}
                    for part, r in (
                        ("young", w.young),
                        ("mature", w.mature),
                        ("all", w.all),
                    )
                },
            }
            for w in self.retention
        ]
        data["forecast"] = [{"day": d.isoformat(), "due": n} for d, n in self.forecast]
        data["heatmap"] = [
            {"day": d.isoformat(), "reviews": n} for d, n in self.heatmap
        ]
        return data


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def compute_stats(study: Study, *, weakest: int = 10) -> Stats:
    """Every figure, as of the study's clock."""
    now = study.now()
    day, _, _ = study.day.today(now)
    cards = _CardPass(study, now)
    log = _LogPass(study, day)

    return Stats(
        day=day,
        today=Today(
            log.reviews_on(day), log.new, log.again, log.seconds_on(day), cards.waiting
        ),
        collection=cards.collection,
        forecast=cards.forecast(),
        heatmap=_heatmap(study, day),
        retention=log.retention(),
        time=[log.time_spent(days) for days in (1, 7, 30)],
        days_studied=log.days_studied(STREAK_DAYS),
        streak_days=STREAK_DAYS,
        most_lapses=cards.most_lapses(weakest),
        least_retrievable=cards.least_retrievable(weakest),
        mocks=_mocks(study),
        labs=_labs(study),
    )


def _days_back(day: date, count: int) -> list[date]:
    """``count`` days ending with ``day``, oldest first."""
    return [day - timedelta(days=n) for n in range(count - 1, -1, -1)]


def _heatmap(study: Study, day: date) -> list[tuple[date, int]]:
    # Counting alone stays inside the study_day index: no table row is read.
    first = day - timedelta(days=HEATMAP_DAYS - 1)
    rows = study.store.db.execute(
        "SELECT study_day, COUNT(*) FROM review_log "
        "WHERE study_day BETWEEN ? AND ? GROUP BY study_day",
        [first.isoformat(), day.isoformat()],
    )
    counts = {date.fromisoformat(d): n for d, n in rows}
    return [(d, counts.get(d, 0)) for d in _days_back(day, HEATMAP_DAYS)]


class _LogPass:
    """One read of the last 30 days of the review log, summed every way needed.

    True retention counts the first review of a card on a study day when the card
    was in review (not still being learned): Again is a fail, any other rating a
    pass. Rows come in study day then id order, so the first row met for a card on
    a day is its first review that day.
    """

    def __init__(self, study: Study, day: date) -> None:
        self.day = day
        longest = max(*RETENTION_WINDOWS, STREAK_DAYS, 30)
        first = day - timedelta(days=longest - 1)
        # Per study day: reviews, milliseconds, then young passed and judged, then
        # mature passed and judged. This loop sees ~20,000 rows, so it stays lean.
        self.per_day: dict[str, list[int]] = {}
        rows = study.store.db.execute(
            "SELECT study_day, card_id, prev_state = ?, rating != ?, "
            "prev_interval_days >= ?, duration_ms FROM review_log "
            "WHERE study_day BETWEEN ? AND ? ORDER BY study_day, id",
            [
                int(CardState.REVIEW),
                int(Rating.Again),
                MATURE_DAYS,
                first.isoformat(),
                day.isoformat(),
            ],
        )
        current = ""
        totals: list[int] = []
        firsts: set[str] = set()
        for study_day, card_id, in_review, passed, mature, ms in rows:
            if study_day != current:
                current = study_day
                totals = self.per_day[study_day] = [0, 0, 0, 0, 0, 0]
                firsts = set()
            totals[0] += 1
            totals[1] += ms
            if card_id in firsts:
                continue
            firsts.add(card_id)
            if in_review:
                slot = 4 if mature else 2
                totals[slot] += passed
                totals[slot + 1] += 1

        self.new, self.again = study.store.db.execute(
            "SELECT COALESCE(SUM(prev_state = ?), 0), COALESCE(SUM(rating = ?), 0) "
            "FROM review_log WHERE study_day = ?",
            [int(CardState.NEW), int(Rating.Again), day.isoformat()],
        ).fetchone()

    def _day(self, day: date) -> list[int]:
        return self.per_day.get(day.isoformat(), [0] * 6)

    def reviews_on(self, day: date) -> int:
        return self._day(day)[0]

    def seconds_on(self, day: date) -> float:
        return self._day(day)[1] / 1000

    def time_spent(self, days: int) -> TimeSpent:
        window = _days_back(self.day, days)
        return TimeSpent(
            days,
            sum(self.reviews_on(d) for d in window),
            sum(self.seconds_on(d) for d in window),
        )

    def days_studied(self, days: int) -> int:
        return sum(1 for d in _days_back(self.day, days) if self._day(d)[0])

    def retention(self) -> list[RetentionWindow]:
        windows = []
        for days in RETENTION_WINDOWS:
            total = [0] * 6
            for d in _days_back(self.day, days):
                for n, value in enumerate(self._day(d)):
                    total[n] += value
            windows.append(
                RetentionWindow(
                    days, Retention(total[2], total[3]), Retention(total[4], total[5])
                )
            )
        return windows


class _CardPass:
    """Card counts, today's queue and the forecast in one scan of card state.

    The sums run inside SQLite: handing 20,000 rows to Python costs more than all
    the rest. Rows of cards no loaded deck has (a deck removed, a card deleted)
    are left out of every figure.
    """

    def __init__(self, study: Study, now: datetime) -> None:
        self.study = study
        self.now = now
        day, start, end = study.day.today(now)
        self.days = [day + timedelta(days=n) for n in range(FORECAST_DAYS)]
        ends = [iso(study.day.bounds(d)[1]) for d in self.days]
        cards = study.library.cards
        self.gone = json.dumps(
            [c for (c,) in study.store.db.execute("SELECT card_id FROM card_state")
             if c not in cards]
        )  # fmt: skip
        labs = json.dumps([c for c, card in cards.items() if card.kind == "lab"])

        # A buried card waits for the day after its burial ends; overdue cards
        # count today; the day is found by walking the forecast's day ends.
        day_of = " ".join(f"WHEN shown < ? THEN {n}" for n in range(FORECAST_DAYS))
        rows = study.store.db.execute(
            f"""
            SELECT CASE {day_of} ELSE -1 END,
                COUNT(*), SUM(state != 0 AND suspended = 0),
                SUM(state IN (1, 3) AND suspended = 0),
                SUM(state = 2 AND suspended = 0),
                SUM(suspended != 0), SUM(leech != 0),
                SUM(drill AND (state != 0 OR hidden)),
                SUM(drill AND NOT hidden AND due < ? AND state IN (1, 3)),
                SUM(drill AND NOT hidden AND due < ? AND state = 2)
            FROM (
                SELECT *,
                    CASE WHEN buried_until > ? AND buried_until > due
                        THEN buried_until ELSE due END AS shown,
                    suspended != 0 OR COALESCE(buried_until > ?, 0) AS hidden,
                    card_id NOT IN (SELECT value FROM json_each(?)) AS drill
                FROM card_state
                WHERE card_id NOT IN (SELECT value FROM json_each(?))
            )
            GROUP BY 1
            """,
            [*ends, iso(end), iso(end), iso(now), iso(now), labs, self.gone],
        )
        self.due_by_day = [0] * FORECAST_DAYS
        sums = [0] * 9
        for index, *values in rows:
            if 0 <= index < FORECAST_DAYS:
                self.due_by_day[index] = values[1]  # started, not suspended
            for n, value in enumerate(values):
                sums[n] += value or 0
        _, seen, learning, review, suspended, leeches, drill_seen, *waiting = sums

        # The counts split the cards: a suspended card counts as suspended alone.
        new = len(cards) - seen - suspended
        self.collection = Collection(
            len(cards), new, learning, review, suspended, leeches
        )
        drill = len(cards) - len(json.loads(labs))
        self.waiting = DeckCounts(
            min(drill - drill_seen, study.new_left(start)),
            waiting[0],
            min(waiting[1], study.reviews_left(start)),
            drill,
        )

    def forecast(self) -> list[tuple[date, int]]:
        return list(zip(self.days, self.due_by_day, strict=True))

    def most_lapses(self, limit: int) -> list[WeakCard]:
        rows = self.study.store.db.execute(
            "SELECT card_id, lapses, fsrs, suspended FROM card_state "
            "WHERE lapses > 0 AND card_id NOT IN (SELECT value FROM json_each(?)) "
            "ORDER BY lapses DESC, card_id LIMIT ?",
            [self.gone, limit],
        )
        return [self._weak(*row) for row in rows]

    def least_retrievable(self, limit: int) -> list[WeakCard]:
        # FSRS recall falls as whole days elapsed over stability grow, so SQLite
        # can rank the cards; the scheduler then gives the exact figure. Twice the
        # rows are read in case rounding in julianday() swaps a pair at the edge.
        rows = self.study.store.db.execute(
            """
            SELECT card_id, lapses, fsrs, suspended FROM card_state
            WHERE state = ? AND suspended = 0 AND stability > 0
                AND card_id NOT IN (SELECT value FROM json_each(?))
            ORDER BY CAST(julianday(?) - julianday(last_review) AS INTEGER)
                / stability DESC, card_id
            LIMIT ?
            """,
            [int(CardState.REVIEW), self.gone, iso(self.now), 2 * limit],
        )
        # A card still above the retention the learner aims for is not weak.
        target = self.study.settings.desired_retention
        found = [self._weak(*row) for row in rows]
        found = [w for w in found if (w.retrievability or 0.0) < target]
        found.sort(key=lambda w: (w.retrievability or 0.0, w.card_id))
        return found[:limit]

    def _weak(
        self, card_id: str, lapses: int, fsrs: str | None, suspended: int
    ) -> WeakCard:
        card = self.study.library.cards[card_id]
        recall = None
        if fsrs:
            scheduler = self.study.scheduler
            recall = scheduler.get_card_retrievability(
                FsrsCard.from_json(fsrs), self.now
            )
        return WeakCard(
            card_id, card.deck_id, card.prompt, lapses, recall, bool(suspended)
        )


# Mock interviews and labs.


def _mocks(study: Study) -> list[MockScore]:
    rows = study.store.db.execute(
        "SELECT id, started_at, deck_id, topic, questions, score, verdict "
        "FROM mock_sessions WHERE finished_at IS NOT NULL AND score IS NOT NULL "
        "ORDER BY started_at, id"
    )
    return [MockScore(*row) for row in rows]


def _labs(study: Study) -> list[LabHistory]:
    rows = study.store.db.execute(
        """
        SELECT lab_id, COUNT(*), SUM(passed), SUM(failed), SUM(cannot),
            MAX(started_at)
        FROM lab_runs GROUP BY lab_id ORDER BY lab_id
        """
    ).fetchall()
    labs = []
    for lab_id, runs, passed, failed, cannot, last in rows:
        last_row = study.store.db.execute(
            "SELECT passed, failed, cannot FROM lab_runs "
            "WHERE lab_id = ? ORDER BY started_at DESC, id DESC LIMIT 1",
            [lab_id],
        ).fetchone()
        labs.append(LabHistory(lab_id, runs, passed, failed, cannot, last, *last_row))
    return labs
