"""How long the stats take on a large collection.

Builds a temporary database of 20,000 cards and 500,000 review-log rows (two years
of daily study, with card snapshots as large as real ones), then times
:func:`sreflash.stats.compute_stats` and prints the median.

    .venv/bin/python bench/bench_stats.py [--cards N] [--reviews N] [--runs N]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sreflash.clock import FrozenClock
from sreflash.config import Settings
from sreflash.decks import Card, Deck, KeyPoint, Library
from sreflash.scheduling import FsrsCard, State, StudyDay, fsrs_id
from sreflash.stats import compute_stats
from sreflash.store import Store, iso
from sreflash.study import Study

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
HISTORY_DAYS = 730
TARGET_MS = 300


def make_library(count: int) -> Library:
    """One deck of ``count`` small cards."""
    cards = tuple(
        Card(
            id=f"c{n:05d}",
            deck_id="bench",
            kind="concept",
            topic=f"topic-{n % 40}",
            prompt=f"Question number {n}?",
            answer=f"Answer number {n}.",
            key_points=(KeyPoint(f"point {n}"),),
        )
        for n in range(count)
    )
    deck = Deck("bench", "Bench", "", "bench.yaml", cards)
    library = Library([deck])
    library.cards.add(deck)
    return library


def fill(store: Store, library: Library, reviews: int, seed: int = 7) -> None:
    """Write card states and a review log of ``reviews`` rows."""
    rng = random.Random(seed)
    day = StudyDay(4)
    ids = list(library.cards)
    per_card = max(1, reviews // len(ids))
    start = NOW - timedelta(days=HISTORY_DAYS)

    log_rows: list[tuple[Any, ...]] = []
    card_rows: list[dict[str, Any]] = []
    for card_id in ids:
        moments = sorted(
            start + timedelta(seconds=rng.uniform(0, HISTORY_DAYS * 86400))
            for _ in range(per_card)
        )
        stability = rng.uniform(0.5, 400)
        last = moments[-1]
        due = last + timedelta(days=max(1.0, stability * rng.uniform(0.5, 1.5)))
        fsrs = FsrsCard(
            card_id=fsrs_id(card_id),
            state=State.Review,
            stability=stability,
            difficulty=rng.uniform(1, 10),
            due=due,
            last_review=last,
        ).to_json()
        row = {
            "card_id": card_id, "deck_id": "bench", "state": 2, "fsrs": fsrs,
            "due": iso(due), "stability": stability, "difficulty": 5.0,
            "reps": per_card, "lapses": rng.randint(0, 9),
            "introduced_at": iso(moments[0]), "last_review": iso(last),
            "suspended": int(rng.random() < 0.01), "buried_until": None,
            "flag": 0, "leech": 0,
        }  # fmt: skip
        card_rows.append(row)
        snap = json.dumps(row)
        previous: float | None = None
        for moment in moments:
            interval = rng.uniform(0.01, 90)
            log_rows.append(
                (
                    card_id, "bench", rng.choice((1, 2, 3, 3, 3, 4)), iso(moment),
                    day.day_of(moment).isoformat(), rng.randint(2000, 40000),
                    2 if previous else 0, 2, previous, interval, snap, snap, "drill",
                )
            )  # fmt: skip
            previous = interval

    # The log is appended as reviews happen, so a day's rows sit together on disk.
    log_rows.sort(key=lambda entry: entry[3])
    with store.db.conn:
        store.db.table("card_state").insert_all(card_rows)
        store.db.conn.executemany(
            "INSERT INTO review_log (card_id, deck_id, rating, reviewed_at, "
            "study_day, duration_ms, prev_state, new_state, prev_interval_days, "
            "new_interval_days, state_before, state_after, source) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            log_rows,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=20_000)
    parser.add_argument("--reviews", type=int, default=500_000)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        store = Store.open(path)
        library = make_library(args.cards)
        began = time.perf_counter()
        fill(store, library, args.reviews)
        built = time.perf_counter() - began
        rows = store.count("SELECT COUNT(*) FROM review_log")
        size = path.stat().st_size / 1e6
        print(
            f"built {args.cards} cards, {rows} reviews ({size:.0f} MB) in {built:.1f}s"
        )

        study = Study(store, library, Settings(), FrozenClock(NOW), fuzz=False)
        times = []
        for _ in range(args.runs):
            began = time.perf_counter()
            stats = compute_stats(study)
            times.append((time.perf_counter() - began) * 1000)
        store.close()

    median = statistics.median(times)
    print(
        f"stats: median {median:.0f} ms, min {min(times):.0f} ms, "
        f"max {max(times):.0f} ms over {args.runs} runs (target < {TARGET_MS} ms)"
    )
    print(
        f"  30-day retention {stats.retention[1].all.rate:.3f}, "
        f"due today {stats.forecast[0][1]}, days studied {stats.days_studied}/30"
    )


if __name__ == "__main__":
    main()
