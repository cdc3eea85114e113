"""Benchmark the drill: start to first card, and a rating to the next card.

Run: ``python bench/bench_drill.py [--runs N]``. It prints medians, for the bundled
decks and for a generated collection of 20,000 cards with 500,000 review-log rows.
Figures, not pass/fail: machines here are noisy, so compare medians and ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sreflash.clock import FrozenClock
from sreflash.config import Settings
from sreflash.context import open_context
from sreflash.scheduling import Rating, fsrs_id
from sreflash.store import Store

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
BIG_CARDS = 20_000
BIG_REVIEWS = 500_000

# Run in a fresh interpreter so imports count: the time a learner waits, from the
# moment the command is launched to the first frame that shows a card.
FIRST_CARD = """
import time
launched = float(__import__("sys").argv[1])
import gc
gc.disable()  # as the sreflash command loads (sreflash/__main__.py)
import asyncio, sys
from pathlib import Path
import sreflash.cli  # everything the command loads before it opens the drill
from sreflash.app import SreflashApp
from sreflash.context import open_context
from sreflash.config import Settings
gc.freeze()
gc.enable()

async def main():
    t1 = time.time()
    decks = [Path(p) for p in sys.argv[3:]]
    context = open_context(db=Path(sys.argv[2]), decks=decks,
                           bundled=not decks, settings=Settings(timezone="UTC"))
    app = SreflashApp(context, start="drill")
    shown = []
    display = app._display

    def timed(screen, renderable):
        display(screen, renderable)
        card = getattr(app.screen, "card", None)
        if renderable is not None and card is not None and not shown:
            if card.id in renderable.render_segments(app.console):
                shown.append(time.time())

    app._display = timed
    async with app.run_test(size=(80, 24)) as pilot:
        while not shown:
            await pilot.pause()
    print(shown[0] - launched, shown[0] - t1)

asyncio.run(main())
"""


# The yardstick: a bare Textual app (a header, one text, a footer) on the same
# machine. Machines here vary by half from one minute to the next; ratios to this
# vary much less than the times themselves.
BARE_APP = """
import time, sys
launched = float(sys.argv[1])
import asyncio
from textual.app import App
from textual.widgets import Footer, Header, Static

class Bare(App):
    BINDINGS = [("3", "next", "Next")]
    shown = 0

    def compose(self):
        yield Header()
        yield Static("text-0 " + "word " * 40, id="text")
        yield Footer()

    def action_next(self):
        self.shown += 1
        self.query_one("#text", Static).update(f"text-{self.shown} " + "word " * 40)

async def main():
    app = Bare()
    frames = []
    display = app._display

    def timed(screen, renderable):
        display(screen, renderable)
        if renderable is not None:
            frames.append((time.time(), renderable.render_segments(app.console)))

    app._display = timed
    async with app.run_test(size=(80, 24)) as pilot:
        while not any("text-0" in out for _, out in frames):
            await pilot.pause()
        first = next(at for at, out in frames if "text-0" in out)
        keys = []
        for _ in range(30):
            await asyncio.sleep(0.1)
            frames.clear()
            begin = time.time()
            await pilot.press("3")
            name = f"text-{app.shown} "
            keys.append(next(at for at, out in frames if name in out) - begin)
    keys.sort()
    print(first - launched, keys[len(keys) // 2])

asyncio.run(main())
"""


def bare_app_times(runs: int) -> tuple[list[float], list[float]]:
    """A bare Textual app: launch to its first frame, and a key to the next frame."""
    launch, key = [], []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", BARE_APP, repr(time.time())],
            capture_output=True,
            text=True,
            check=True,
        )
        first, frame = out.stdout.split()
        launch.append(float(first))
        key.append(float(frame))
    return launch, key


def make_collection(folder: Path) -> tuple[Path, Path]:
    """A 20,000-card deck and a database with 500,000 reviews of its cards."""
    rng = random.Random(7)
    deck = folder / "big.yaml"
    lines = ["format: 1", "deck: {id: big, title: Generated}", "cards:"]
    for n in range(BIG_CARDS):
        lines += [
            f"  - id: big-{n}",
            "    kind: concept",
            f"    topic: topic-{n % 40}",
            f"    prompt: Generated question number {n} about layers and caches?",
            f"    answer: Generated answer number {n}, two sentences long. Really.",
            "    key_points:",
            f"      - text: point {n} one",
            "        accept: [first phrasing, second phrasing]",
            f"      - point {n} two",
        ]
    deck.write_text("\n".join(lines) + "\n")

    db = folder / "big.db"
    store = Store.open(db)
    seen = int(BIG_CARDS * 0.75)
    states = []
    for n in range(seen):
        due = NOW + timedelta(hours=rng.uniform(-48, 24 * 60))
        card = {
            "card_id": fsrs_id(f"big-{n}"),
            "state": 2,
            "step": None,
            "stability": 10.0,
            "difficulty": 5.0,
            "due": due.isoformat(),
            "last_review": (due - timedelta(days=10)).isoformat(),
        }
        states.append(
            (f"big-{n}", "big", 2, json.dumps(card), due.isoformat(), 10.0, 5.0,
             25, 1, (NOW - timedelta(days=90)).isoformat(),
             (due - timedelta(days=10)).isoformat(), 0, None, 0, 0)
        )  # fmt: skip
    with store.transaction():
        store.db.conn.executemany(
            "INSERT INTO card_state VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", states
        )
    reviews = []
    for i in range(BIG_REVIEWS):
        at = NOW - timedelta(minutes=rng.uniform(0, 60 * 24 * 365))
        reviews.append(
            (f"big-{rng.randrange(seen)}", "big", rng.choice((1, 3, 3, 3, 4)),
             at.isoformat(), at.date().isoformat(), 8000, 2, 2, 5.0, 9.0, None, "{}")
        )  # fmt: skip
        if len(reviews) == 50_000 or i == BIG_REVIEWS - 1:
            with store.transaction():
                store.db.conn.executemany(
                    "INSERT INTO review_log (card_id, deck_id, rating, reviewed_at,"
                    " study_day, duration_ms, prev_state, new_state,"
                    " prev_interval_days, new_interval_days, state_before,"
                    " state_after) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    reviews,
                )
            reviews.clear()
    store.close()
    return db, deck


def first_card_times(
    db: Path, decks: list[Path], runs: int
) -> tuple[list[float], list[float]]:
    """Launch to the first card painted, and app start (imports done) to it."""
    process, app = [], []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", FIRST_CARD, repr(time.time()), str(db)]
            + [str(deck) for deck in decks],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "SREFLASH_DATA_DIR": str(db.parent / "data")},
        )
        whole, after_imports = out.stdout.strip().splitlines()[-1].split()
        process.append(float(whole))
        app.append(float(after_imports))
    return process, app


def core_times(db: Path, decks: list[Path], runs: int) -> tuple[list[float], float]:
    """Save-a-rating-and-choose-the-next-card times, and the deck load time."""
    clock = FrozenClock(NOW)
    start = time.perf_counter()
    context = open_context(
        db=db,
        decks=decks,
        bundled=not decks,
        settings=Settings(timezone="UTC", new_per_day=9999, max_reviews_per_day=99999),
        clock=clock,
    )
    load = time.perf_counter() - start
    study = context.study
    card = study.next_card()
    times: list[float] = []
    # A small deck runs out of cards; the clock moves on so learning cards return.
    while card is not None and len(times) < runs:
        begin = time.perf_counter()
        study.rate(card, Rating.Good)
        card = study.next_card()
        times.append(time.perf_counter() - begin)
        clock.advance(timedelta(minutes=3))
    context.close()
    return times, load


def _time_frames(app: Any) -> list[tuple[float, str]]:
    """Note when each of ``app``'s frames is ready to be written out, and what."""
    frames: list[tuple[float, str]] = []
    display = app._display

    def timed(screen: Any, renderable: Any) -> None:
        # Textual's private hook for a finished frame. Headless, Textual skips
        # turning the frame into terminal output; a real terminal needs it, so it
        # is done here and counted.
        if renderable is not None:
            output = renderable.render_segments(app.console)
            frames.append((time.perf_counter(), output))
        display(screen, renderable)

    app._display = timed
    return frames


async def _tui_rating_times(
    db: Path, decks: list[Path], runs: int
) -> tuple[list[float], list[float], list[float]]:
    """Per rating: key to the first frame showing the next card, the same with
    the Pilot's settling, and the Pilot's settling alone."""
    from sreflash.app import SreflashApp

    context = open_context(
        db=db,
        decks=decks,
        bundled=not decks,
        settings=Settings(timezone="UTC", new_per_day=9999, max_reviews_per_day=99999),
        clock=FrozenClock(NOW),
    )
    app = SreflashApp(context, start="drill")
    frames = _time_frames(app)
    rng = random.Random(3)
    shown, settled = [], []
    async with app.run_test(size=(80, 24)) as pilot:
        # The Pilot waits for the screen to settle after every key; a key bound to
        # nothing shows what that wait alone costs.
        idle = []
        for _ in range(20):
            begin = time.perf_counter()
            await pilot.press("x")
            idle.append(time.perf_counter() - begin)
        screen = app.screen
        for _ in range(runs):
            before = getattr(screen, "card", None)
            if before is None:
                break
            await pilot.press("space")
            # A person reads the answer before rating it: the key comes when the
            # screen has been still for a while. (A key right after a frame can
            # wait up to one more frame, 1/60 s, for Textual's next paint.)
            await asyncio.sleep(rng.uniform(0.05, 0.25))
            frames.clear()
            begin = time.perf_counter()
            await pilot.press("3")
            settled.append(time.perf_counter() - begin)
            card = getattr(screen, "card", None)
            if card is None or card.id == before.id:
                continue  # the same card again: no frame tells the two apart
            painted = [at for at, output in frames if card.id in output]
            assert painted, f"no frame showed {card.id}"
            shown.append(painted[0] - begin)
    context.close()
    return shown, settled, idle


def ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:8.2f} ms"


def copy_of(db: Path, name: str) -> Path:
    """A copy of a closed database, so each measurement starts from the same state."""
    target = db.with_name(name)
    if db.exists():
        shutil.copyfile(db, target)
    return target


def report(
    name: str, db: Path, decks: list[Path], runs: int, bare: tuple[float, float]
) -> None:
    Store.open(db).close()
    process, app = first_card_times(copy_of(db, "first.db"), decks, 9)
    core, load = core_times(copy_of(db, "core.db"), decks, runs)
    shown, settled, idle = asyncio.run(
        _tui_rating_times(copy_of(db, "tui.db"), decks, min(runs, 60))
    )
    print(f"\n{name}")
    print(
        f"  launch to the first card painted (headless)  {ms(process)}"
        f"  ({statistics.median(process) / bare[0]:.1f} x the bare app)"
    )
    print(f"  the same from app start (imports done)       {ms(app)}")
    print(f"  decks + database opened in-process           {load * 1000:8.2f} ms")
    print(
        f"  rating key to the frame showing the next card {ms(shown)}"
        f"  ({statistics.median(shown) / bare[1]:.1f} x the bare app)"
    )
    print(f"  the same until the Pilot sees the app settle {ms(settled)}")
    print(f"  a key bound to nothing, via Pilot            {ms(idle)}")
    print(f"  save rating + choose next card (core)        {ms(core)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    # Lab cards are checked on Docker, which takes seconds; this measures the
    # ordinary drill, so the engine is made unreachable for the app.
    os.environ["DOCKER_HOST"] = "unix:///nonexistent/sreflash-bench.sock"

    launch, key = bare_app_times(5)
    print("a bare Textual app, the yardstick for this machine")
    print(f"  launch to its first frame (headless)         {ms(launch)}")
    print(f"  a key to the frame it changes                {ms(key)}")

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        bare = (statistics.median(launch), statistics.median(key))
        report("bundled decks, empty database", folder / "b.db", [], args.runs, bare)
        begin = time.perf_counter()
        db, deck = make_collection(folder)
        print(f"\n(generated 20,000 cards and 500,000 reviews in "
              f"{time.perf_counter() - begin:.1f} s)")  # fmt: skip
        report("20,000 cards, 500,000 review-log rows", db, [deck], args.runs, bare)


if __name__ == "__main__":
    main()
