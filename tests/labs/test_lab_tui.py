"""The lab screen and lab cards in the drill, in the real app, on the real engine."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import Button, DataTable, Input, Static, TextArea

from sreflash.app import SreflashApp
from sreflash.clock import FrozenClock
from sreflash.config import Settings
from sreflash.context import Context, open_context
from sreflash.labs.history import lab_checks, lab_runs
from sreflash.labs.model import find_lab
from sreflash.screens.drill import DrillScreen
from sreflash.screens.lab import LabScreen, PredictionScreen
from sreflash.screens.summary import SummaryScreen

SIZE = (80, 24)
LAB = "phase2-image-design"
# Long enough for a cold guided run on a slow machine; polling ends far sooner.
RUN_BOUND = 300.0
PREDICTIONS = {
    "non-root-user": "It prints a non-zero uid: appuser, because of the USER line.",
    "runtime-identity": "whoami prints appuser, not root.",
    "tags-one-image": "There is one image id, since a tag is just a name for it.",
    "dockerignore-keeps-out": "All of them end up inside the image.",
}


def text_of(app: SreflashApp, selector: str) -> str:
    """What a Static shows, as plain text."""
    widget = app.screen.query_one(selector, Static)
    console = Console(width=200, file=io.StringIO(), record=True)
    console.print(widget.content, markup=widget._render_markup)
    return console.export_text()


async def wait_until(pilot: Pilot[None], done: Callable[[], bool]) -> None:
    """Poll with pilot.pause until ``done`` holds, within :data:`RUN_BOUND`."""
    ends = time.monotonic() + RUN_BOUND
    while not done():
        assert time.monotonic() < ends, "timed out waiting for the app"
        await pilot.pause(0.05)


def lab_context(db: Path, settings: Settings, clock: FrozenClock) -> Context:
    return open_context(db=db, settings=settings, clock=clock, fuzz=False)


def review_rows(context: Context) -> list[tuple[str, int, str]]:
    rows = context.store.db.execute(
        "SELECT card_id, rating, source FROM review_log ORDER BY id"
    )
    return [(str(card), int(rating), str(source)) for card, rating, source in rows]


@pytest.mark.docker
async def test_the_lab_screen_runs_the_guided_lab_with_predictions_from_the_modal(
    db_path: Path, settings: Settings, clock: FrozenClock
) -> None:
    context = lab_context(db_path, settings, clock)
    app = SreflashApp(context)
    asked: list[str] = []

    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("l")
        screen = app.screen
        assert isinstance(screen, LabScreen)
        await wait_until(
            pilot, lambda: "answers (Docker" in text_of(app, "#lab-engine")
        )
        assert LAB in str(screen.query_one("#lab-list", DataTable).get_row_at(0))

        await pilot.press("enter")

        def answered_or_done() -> bool:
            asking = isinstance(app.screen, PredictionScreen)
            return (asking and isinstance(app.focused, Input)) or screen.worker is None

        while True:
            await wait_until(pilot, answered_or_done)
            if screen.worker is None and not isinstance(app.screen, PredictionScreen):
                break
            modal = app.screen
            assert isinstance(modal, PredictionScreen)
            asked.append(modal.question.check_id)
            answer = PREDICTIONS.get(modal.question.check_id)
            if answer is None:
                await pilot.press("escape")  # skips the prediction
            else:
                modal.query_one(Input).value = answer
                await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()

        checks = find_lab(LAB).checks()
        table = screen.query_one("#lab-results", DataTable)
        assert table.row_count == len(checks)
        shown = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        assert shown == [check.id for check in checks]
        assert asked == [check.id for check in checks if check.question]
        step = text_of(app, "#lab-step")
        assert f"{len(checks)} passed, 0 failed" in step
        assert "lab-whoami Good" in step and "lab-dockerignore Again" in step
        assert screen.query_one("#lab-log").virtual_size.height > 10

    runs = lab_runs(context.store.db)
    assert [(r.lab_id, r.mode, r.passed, r.failed) for r in runs] == [
        (LAB, "guided", len(checks), 0)
    ]
    stored = {row.check_id: row for row in lab_checks(context.store.db, runs[0].id)}
    assert stored["non-root-user"].prediction == PREDICTIONS["non-root-user"]
    assert stored["rebuild-all-cached"].prediction == "skip"
    assert sorted(review_rows(context)) == [
        ("lab-dockerignore", 1, "lab"),
        ("lab-tags-one-id", 3, "lab"),
        ("lab-whoami", 3, "lab"),
    ]
    context.close()


@pytest.mark.docker
async def test_esc_cancels_a_lab_run_and_nothing_is_saved(
    db_path: Path, settings: Settings, clock: FrozenClock
) -> None:
    context = lab_context(db_path, settings, clock)
    app = SreflashApp(context)

    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("l")
        screen = app.screen
        assert isinstance(screen, LabScreen)
        await pilot.press("enter")
        ends = time.monotonic() + RUN_BOUND
        while screen.worker is not None:
            assert time.monotonic() < ends, "timed out waiting for the run to stop"
            if isinstance(app.screen, PredictionScreen):
                await pilot.press("escape")  # the modal: skip this prediction
            elif screen.results and not screen.cancel.is_set():
                await pilot.press("escape")  # the lab screen: cancel the run
            await pilot.pause(0.05)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "Cancelled" in text_of(app, "#lab-step")
        assert 0 < len(screen.results) < len(find_lab(LAB).checks())

    assert lab_runs(context.store.db) == []
    context.close()


def only_lab_cards_left(context: Context) -> None:
    """Suspend every other card, so the lab cards come first (a real DB change)."""
    for card in context.library.iter_cards():
        if card.kind != "lab":
            context.study.set_suspended(card.id, True)


@pytest.mark.docker
async def test_the_drill_checks_a_lab_card_on_the_engine_and_suggests_a_rating(
    db_path: Path, settings: Settings, clock: FrozenClock
) -> None:
    context = lab_context(db_path, settings, clock)
    only_lab_cards_left(context)
    app = SreflashApp(context, start="drill")

    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, DrillScreen)
        await wait_until(pilot, lambda: screen.card is not None)
        assert screen.card is not None and screen.card.id == "lab-whoami"
        assert "join the queue" in text_of(app, "#drill-notice")

        await pilot.press("t")
        box = screen.query_one("#answer-box", TextArea)
        box.insert(PREDICTIONS["runtime-identity"])
        await pilot.press("escape", "space")
        assert screen.stage == "checking"
        assert "Checking on the Docker engine" in text_of(app, "#drill-lab")
        await pilot.press("1")  # nothing can be rated while the check runs
        await wait_until(pilot, lambda: screen.stage == "answer")

        engine = text_of(app, "#drill-lab")
        assert (
            "The engine's check passed" in engine
            and "Seen: whoami -> appuser" in engine
        )
        assert "bore out your prediction: suggested Good" in text_of(app, "#suggestion")
        assert screen.query_one("#rate-3", Button).has_class("suggested")
        assert "appuser" in text_of(app, "#model-answer")
        await pilot.press("enter")

        # The next lab card: Esc cancels its check, and the prediction stays.
        assert screen.card.id == "lab-rebuild-cached"
        await pilot.press("t")
        box.insert("Nothing reruns.")
        await pilot.press("ctrl+r", "escape")
        await wait_until(pilot, lambda: screen.stage == "prompt")
        assert box.text == "Nothing reruns."
        await app.workers.wait_for_complete()
        await pilot.press("escape", "q")
        assert isinstance(app.screen, SummaryScreen)

    assert review_rows(context) == [("lab-whoami", 3, "drill")]
    runs = lab_runs(context.store.db)
    assert [(r.lab_id, r.mode, r.passed, r.failed) for r in runs] == [
        (LAB, "drill", 1, 0)
    ]
    [check] = lab_checks(context.store.db, runs[0].id)
    assert (check.check_id, check.status) == ("runtime-identity", "pass")
    context.close()


async def test_the_drill_without_docker_leaves_lab_cards_out_and_says_why(
    db_path: Path,
    settings: Settings,
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A socket nothing listens on: a real engine that does not answer.
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent.sock")
    context = lab_context(db_path, settings, clock)
    app = SreflashApp(context, start="drill")
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, DrillScreen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert text_of(app, "#drill-notice").strip() == (
            "6 lab cards left out: Docker is not ready."
        )
        # Why, and how to start it, in a toast and later in the summary.
        (why,) = [n.message for n in app._notifications if "Docker" in n.message]
        assert why.startswith("No Docker engine answers at unix:///nonexistent.sock")
        assert "start Docker" in why
        assert screen.card is not None and screen.card.kind != "lab"

    # Only lab cards due: without an engine the drill has nothing to show.
    only_lab_cards_left(context)
    app = SreflashApp(context, start="drill")
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, SummaryScreen)
        # The summary says why nothing was shown.
        summary = text_of(app, "#summary-text")
        assert "lab cards left out. No Docker engine answers at" in summary

    assert review_rows(context) == []
    assert lab_runs(context.store.db) == []
    context.close()
