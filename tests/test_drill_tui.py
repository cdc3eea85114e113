"""The drill in the real Textual app, driven by the Pilot, on a real database file."""

from __future__ import annotations

import gc
import io
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console, RenderableType
from textual import events
from textual._compositor import CompositorUpdate
from textual.screen import Screen
from textual.widgets import Button, DataTable, Static, TextArea

from sreflash.app import SreflashApp
from sreflash.clock import FrozenClock
from sreflash.config import Settings
from sreflash.context import Context, open_context
from sreflash.scheduling import Rating
from sreflash.screens.drill import DrillScreen
from sreflash.screens.help import HelpScreen
from sreflash.screens.home import HomeScreen
from sreflash.screens.summary import SummaryScreen
from tests.conftest import unwritable

SIZE = (80, 24)


def text_of(app: SreflashApp, selector: str) -> str:
    """What a Static shows, as plain text, whatever it holds (markup, Rich objects)."""
    widget = app.screen.query_one(selector, Static)
    console = Console(width=120, file=io.StringIO(), record=True)
    console.print(widget.content, markup=widget._render_markup)
    return console.export_text()


def drill(app: SreflashApp) -> DrillScreen:
    screen = app.screen
    assert isinstance(screen, DrillScreen)
    return screen


async def test_a_drill_saves_every_rating_and_the_next_app_sees_them(
    db_path: Path, settings: Settings, clock: FrozenClock
) -> None:
    context = open_context(db=db_path, settings=settings, clock=clock, fuzz=False)
    app = SreflashApp(context, start="drill")

    async with app.run_test(size=SIZE) as pilot:
        screen = drill(app)
        assert screen.card is not None and screen.card.id == "q-reduce-size"
        assert "lab cards left out" in text_of(app, "#drill-notice")

        # Card 1: a typed answer, revealed and graded, then the suggestion accepted.
        await pilot.press("t")
        assert isinstance(app.focused, TextArea)
        await pilot.press(*"use a slim base image, a multi-stage build, and a")
        await pilot.press(*" .dockerignore; also clean the apt and pip caches")
        await pilot.press("escape", "space")
        assert screen.stage == "answer"
        assert screen.grade is not None and screen.grade.passed
        points = text_of(app, "#key-points")
        assert "✓ covered" in points and "Start from a slim" in points
        good = app.screen.query_one("#rate-3", Button)
        assert "Good · 10m" in str(good.label) and good.has_class("suggested")
        await pilot.press("enter")

        # Card 2: no typed answer; rated Again with a key.
        assert screen.card.id == "q-instruction-order"
        await pilot.press("space")
        assert "Rate yourself" in text_of(app, "#suggestion")
        await pilot.press("1")

        # Card 3: rated Easy, then undone: it comes back to be answered again.
        third = screen.card.id
        await pilot.press("space", "4")
        assert screen.card.id != third
        await pilot.press("u")
        assert screen.card.id == third and screen.stage == "prompt"
        await pilot.press("space", "3")

        # Quit in the middle: the summary counts what was saved.
        await pilot.press("q")
        assert isinstance(app.screen, SummaryScreen)
        summary = text_of(app, "#summary-text")
        assert "Cards done: 3" in summary and "Again: 1" in summary
        assert "The next card is due in 1m." in summary
        # Ten new cards a day, three used: seven more today, the rest later.
        assert "7 new cards can still be started today; 23 more wait" in summary

    context.close()
    reopened = open_context(db=db_path, settings=settings, clock=clock, fuzz=False)
    ratings = reopened.store.db.execute(
        "SELECT card_id, rating FROM review_log ORDER BY id"
    ).fetchall()
    assert ratings == [
        ("q-reduce-size", 3),
        ("q-instruction-order", 1),
        (third, 3),
    ]
    assert reopened.study.counts().learning == 3
    assert reopened.study.counts().new == 7  # 10 a day, 3 introduced
    # Learning cards wait for their step; within the learn-ahead window the one
    # rated Again (due in a minute) is the first to come back.
    assert reopened.study.next_card(kinds=frozenset({"question"})) is not None
    clock.advance(timedelta(minutes=1))
    assert reopened.study.next_card() == reopened.library.cards["q-instruction-order"]
    reopened.close()


async def test_home_lists_each_deck_with_todays_counts(
    db_path: Path, settings: Settings, clock: FrozenClock
) -> None:
    context = open_context(db=db_path, settings=settings, clock=clock, fuzz=False)
    app = SreflashApp(context)

    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, HomeScreen)
        table = app.screen.query_one("#decks", DataTable)
        deck = context.library.deck("docker-image-design")
        assert deck is not None
        total = len(deck.cards)  # lab cards count in the total
        assert [str(cell) for cell in table.get_row("docker-image-design")] == [
            "Docker: image design and best practices",
            "10",
            "0",
            "0",
            str(total),
        ]
        assert "10 cards waiting today" in text_of(app, "#home-summary")

        await pilot.press("d")
        assert isinstance(app.screen, DrillScreen)
        await pilot.press("space", "3", "q", "enter")
        assert isinstance(app.screen, HomeScreen)
        assert [str(c) for c in table.get_row("docker-image-design")[1:3]] == [
            "9",
            "1",
        ]
    context.close()


async def test_a_drill_opened_directly_ends_on_a_fresh_home_screen(
    db_path: Path, settings: Settings, clock: FrozenClock
) -> None:
    context = open_context(db=db_path, settings=settings, clock=clock, fuzz=False)
    app = SreflashApp(context, start="drill")

    async with app.run_test(size=SIZE) as pilot:
        # The decks loaded before the app are kept out of the collector's passes.
        assert gc.get_freeze_count() > 0
        assert isinstance(app.screen, DrillScreen)
        await pilot.press("space", "3", "q")
        assert isinstance(app.screen, SummaryScreen)
        await pilot.press("enter")
        assert isinstance(app.screen, HomeScreen)
        # Home was built on the way out, so its counts include the rating.
        table = app.screen.query_one("#decks", DataTable)
        assert [str(c) for c in table.get_row("docker-image-design")[1:3]] == [
            "9",
            "1",
        ]
        await pilot.press("d")
        assert isinstance(app.screen, DrillScreen)
    assert gc.get_freeze_count() == 0
    context.close()


async def test_the_first_frame_after_a_rating_shows_the_next_card_from_its_top(
    db_path: Path, settings: Settings, clock: FrozenClock
) -> None:
    # A frame of the old card, or of the new one still scrolled down to where the
    # old answer was, would be a flash of the wrong card and a frame's delay.
    context = open_context(db=db_path, settings=settings, clock=clock, fuzz=False)
    app = SreflashApp(context, start="drill")
    frames: list[str] = []
    display = app._display

    def keep(screen: Screen[Any], renderable: RenderableType | None) -> None:
        # Textual's hook for a finished frame; headless it is not written out.
        if isinstance(renderable, CompositorUpdate):
            frames.append(renderable.render_segments(app.console))
        display(screen, renderable)

    app._display = keep  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        screen = drill(app)
        for _ in range(3):
            await pilot.press("space")
            # The long answer scrolls, so the next card starts scrolled back up.
            assert screen.query_one("#card").max_scroll_y > 0
            before = screen.card
            frames.clear()
            await pilot.press("3")
            assert screen.card is not None and screen.card != before
            assert frames, "the rating painted no frame"
            assert screen.card.id in frames[0]
            assert "Rate yourself" not in frames[0]
    context.close()


async def test_help_lists_the_keys_of_the_screen_below(
    db_path: Path, settings: Settings, clock: FrozenClock
) -> None:
    context = open_context(db=db_path, settings=settings, clock=clock)
    app = SreflashApp(context, start="drill")

    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        help_text = text_of(app, "#help-text")
        for line in ("Reveal", "Undo", "Suspend", "Bury", "Again", "Hard", "Easy"):
            assert line in help_text
        assert help_text.startswith("Rate honestly")
        # A long description wraps under itself, not back under the keys.
        narrow = Console(width=50, file=io.StringIO(), record=True)
        narrow.print(app.screen.query_one("#help-text", Static).content)
        lines = narrow.export_text().splitlines()
        at = next(n for n, line in enumerate(lines) if "space  Reveal" in line)
        column = lines[at].index("Reveal")
        assert lines[at + 1][:column].strip() == "" and lines[at + 1].strip()
        await pilot.press("escape")
        assert isinstance(app.screen, DrillScreen)
    context.close()


async def test_a_broken_deck_is_named_and_the_rest_still_drills(
    tmp_path: Path, settings: Settings, clock: FrozenClock
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("format: 1\ndeck: [\n")
    context = open_context(
        db=tmp_path / "s.db", decks=[broken], settings=settings, clock=clock
    )
    app = SreflashApp(context)

    async with app.run_test(size=SIZE) as pilot:
        notes = text_of(app, "#home-notes")
        assert f"Skipped {broken}, line 3: YAML syntax error" in notes
        await pilot.press("d")
        assert drill(app).card is not None
    context.close()


async def test_many_broken_decks_make_a_few_toasts_and_one_summary(
    tmp_path: Path, settings: Settings, clock: FrozenClock
) -> None:
    folder = tmp_path / "decks"
    folder.mkdir()
    for n in range(13):
        (folder / f"broken-{n:02}.yaml").write_text("format: 1\ndeck: [\n")
    context = open_context(
        db=tmp_path / "s.db", decks=[folder], settings=settings, clock=clock
    )
    app = SreflashApp(context)

    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        toasts = [n.message for n in app._notifications]
        notes = text_of(app, "#home-notes")

    assert len(toasts) == 3
    assert toasts[-1].startswith("11 more deck errors: the home screen")
    assert all(f"broken-{n:02}.yaml" in notes for n in range(13))
    context.close()


async def test_a_terminal_too_small_for_a_card_is_said_once(context: Context) -> None:
    app = SreflashApp(context, start="drill")

    def told() -> list[str]:
        toasts = app._notifications
        return [n.message for n in toasts if n.title == "Terminal too small"]

    async with app.run_test(size=SIZE) as pilot:
        assert told() == []
        await pilot.resize_terminal(50, 15)
        await pilot.pause()
        await pilot.resize_terminal(45, 12)
        await pilot.pause()
        messages = told()

    assert messages == [
        "The terminal is 50x15; sreflash needs 60x20 or more to show a whole card."
    ]


def shown_keys(app: SreflashApp) -> set[str]:
    """The descriptions of the keys the footer shows now."""
    active = app.screen.active_bindings.values()
    return {a.binding.description for a in active if a.binding.show and a.enabled}


async def test_keys_typed_at_once_after_t_land_in_the_box_not_on_commands(
    context: Context,
) -> None:
    app = SreflashApp(context, start="drill")

    async with app.run_test(size=SIZE) as pilot:
        screen = drill(app)
        first = screen.card
        box = app.screen.query_one("#answer-box", TextArea)
        assert box.placeholder == "Press t to type your answer (optional)."
        assert {"Reveal", "Type", "Suspend", "Undo"} <= shown_keys(app)
        assert "Leave the box" not in shown_keys(app)

        # As fast as a paste: every key is queued before the first is handled.
        for key, character in [("t", "t"), ("s", "s"), ("u", "u"), ("b", "b")]:
            app.post_message(events.Key(key, character))
        await pilot.pause()

        assert box.text == "sub" and screen.card == first
        assert box.placeholder == "Type your answer, then Ctrl+R to reveal."
        # Enter makes a new line here, so the footer offers only what still works.
        assert shown_keys(app) == {"Reveal", "Leave the box"}
        assert not app.screen.query_one("#drill-recap").display
        # The rest of the answer and Ctrl+R in one burst: all of it is graded.
        burst: list[tuple[str, str | None]] = [(c, c) for c in " slim base"]
        for key, char in [*burst, ("ctrl+r", None)]:
            app.post_message(events.Key("space" if key == " " else key, char))
        await pilot.pause()
        assert screen.stage == "answer" and not isinstance(app.focused, TextArea)
        assert box.text == "sub slim base"
        assert screen.grade is not None and screen.grade.covered
        assert {"Rate", "Accept"} <= shown_keys(app)
        # The answer view scrolls the prompt away; a line above it keeps the question.
        assert app.screen.query_one("#drill-recap").display
        assert first is not None
        assert text_of(app, "#drill-recap").strip() == " ".join(first.prompt.split())
        # Where the prompt itself fits beside the answer, it is not said twice.
        await pilot.resize_terminal(120, 60)
        await pilot.pause()
        assert not app.screen.query_one("#drill-recap").display


async def test_suspend_and_bury_skip_to_the_next_card_and_u_takes_them_back(
    db_path: Path, settings: Settings, clock: FrozenClock
) -> None:
    context = open_context(db=db_path, settings=settings, clock=clock)
    app = SreflashApp(context, start="drill")

    async with app.run_test(size=SIZE) as pilot:
        screen = drill(app)
        rated = screen.card
        await pilot.press("space", "3")
        suspended = screen.card
        await pilot.press("s")
        buried = screen.card
        await pilot.press("b")
        assert rated and suspended and buried and screen.card
        assert screen.card.id not in (suspended.id, buried.id)
        row = context.store.card_row(suspended.id)
        assert row is not None and row.suspended == 1
        row = context.store.card_row(buried.id)
        assert row is not None and row.buried_until == "2026-03-03T04:00:00+00:00"

        # Undo takes back the bury, then the suspend, not the rating before them.
        await pilot.press("u")
        assert screen.card == buried and screen.stage == "prompt"
        row = context.store.card_row(buried.id)
        assert row is not None and row.buried_until is None
        await pilot.press("u")
        assert screen.card == suspended
        row = context.store.card_row(suspended.id)
        assert row is not None and row.suspended == 0
        messages = [n.message for n in app._notifications]
        assert f"Undid suspending {suspended.id!r}." in messages

    ratings = context.store.db.execute("SELECT card_id FROM review_log").fetchall()
    assert ratings == [(rated.id,)]
    context.close()


@pytest.mark.parametrize(
    ("per_day", "expected"),
    [
        # No new card allowed: the drill opens straight on its summary.
        (0, ["No card is scheduled yet.", "33 new cards wait, but new_per_day is 0"]),
        (3, ["Cards done: 3", "30 new cards wait: up to 3 a day from the next"]),
    ],
)
async def test_the_summary_says_when_the_waiting_cards_come(
    tmp_path: Path, clock: FrozenClock, per_day: int, expected: list[str]
) -> None:
    context = open_context(
        db=tmp_path / "s.db",
        settings=Settings(timezone="UTC", new_per_day=per_day),
        clock=clock,
    )
    app = SreflashApp(context, start="drill")

    async with app.run_test(size=SIZE) as pilot:
        for _ in range(per_day):
            await pilot.press("space", "4")
        assert isinstance(app.screen, SummaryScreen)
        summary = text_of(app, "#summary-text")
        for sentence in expected:
            assert sentence in summary
        # Home says the same rather than "nothing due".
        await pilot.press("enter")
        assert isinstance(app.screen, HomeScreen)
        home = text_of(app, "#home-summary")
        assert home.startswith("Nothing more today.") and expected[1] in home
    context.close()


async def test_the_summary_can_undo_the_rating_that_ended_the_drill(
    tmp_path: Path, clock: FrozenClock
) -> None:
    settings = Settings(timezone="UTC", new_per_day=2)
    context = open_context(db=tmp_path / "s.db", settings=settings, clock=clock)
    app = SreflashApp(context, start="drill")

    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space", "4")
        last = drill(app).card
        await pilot.press("space", "4")
        assert isinstance(app.screen, SummaryScreen)

        await pilot.press("u")
        assert drill(app).card == last and drill(app).stage == "prompt"
        assert context.store.count("SELECT COUNT(*) FROM review_log") == 1
        await pilot.press("space", "1")
        assert isinstance(app.screen, DrillScreen)  # Again: back in a minute
        await pilot.press("q")
        summary = text_of(app, "#summary-text")

    assert "Cards done: 2" in summary and "Again: 1" in summary
    context.close()


MARKUP_DECK = """\
format: 1
deck: {id: marked, title: "oops [/bold] closing [red]x"}
cards:
  - {id: m1, kind: concept, topic: t, prompt: "see [/bold] here, __init__.py",
     answer: "list **/__pycache__ and *.pyc; [a](b) <b>c</b> # d",
     key_points: ["[/red] point"]}
"""


async def test_markup_or_markdown_like_text_in_decks_and_errors_shows_literally(
    tmp_path: Path, settings: Settings, clock: FrozenClock
) -> None:
    decks = tmp_path / "decks"
    decks.mkdir()
    (decks / "marked.yaml").write_text(MARKUP_DECK)
    (decks / "broken.yaml").write_text(
        "format: 1\ndeck: {id: x, title: X}\ncards:\n  - {id: '[/bold]'}\n"
    )
    context = open_context(
        db=tmp_path / "s.db", decks=[decks], settings=settings, clock=clock
    )
    app = SreflashApp(context)

    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one("#decks", DataTable)
        assert str(table.get_row("marked")[0]) == "oops [/bold] closing [red]x"
        assert "card '[/bold]'" in text_of(app, "#home-notes")
        table.move_cursor(row=table.get_row_index("marked"))
        await pilot.press("enter")
        assert drill(app).card is not None
        await pilot.press("space")
        # Neither console markup nor Markdown: the text exactly as written.
        assert "see [/bold] here, __init__.py" in text_of(app, "#prompt")
        answer = "list **/__pycache__ and *.pyc; [a](b) <b>c</b> # d"
        assert answer in text_of(app, "#model-answer")
        assert "[/red] point" in text_of(app, "#key-points")
    assert app.return_code in (None, 0)
    context.close()


async def test_the_first_card_hides_the_answer_until_revealed(
    context: Context,
) -> None:
    app = SreflashApp(context, start="drill")

    async with app.run_test(size=SIZE) as pilot:
        assert not app.screen.query_one("#answer-view").display
        assert not app.screen.query_one("#ratings").display
        # A rating before the reveal saves nothing, and says why.
        await pilot.press("3")
        messages = [n.message for n in app._notifications]
        assert "Reveal the answer first: Space." in messages
        assert context.store.count("SELECT COUNT(*) FROM review_log") == 0
        await pilot.press("space")
        assert app.screen.query_one("#answer-view").display
        assert not app.screen.query_one("#answer-box").display  # nothing typed


async def test_undo_never_takes_back_another_windows_rating(
    db_path: Path, settings: Settings, clock: FrozenClock
) -> None:
    mine = open_context(db=db_path, settings=settings, clock=clock, fuzz=False)
    other = open_context(db=db_path, settings=settings, clock=clock, fuzz=False)
    app = SreflashApp(mine, start="drill")

    async with app.run_test(size=SIZE) as pilot:
        card = drill(app).card
        assert card is not None
        await pilot.press("space", "3")
        other.study.rate(card, Rating.Again)  # the same card, in another window
        await pilot.press("u")

    ratings = other.store.db.execute("SELECT rating FROM review_log ORDER BY id")
    assert ratings.fetchall() == [(3,), (1,)]  # both kept: nothing was lost
    mine.close()
    other.close()


async def test_a_locked_database_is_reported_and_nothing_crashes(
    db_path: Path, clock: FrozenClock
) -> None:
    context = open_context(
        db=db_path, settings=Settings(timezone="UTC"), clock=clock, fuzz=False
    )
    context.store.db.execute("PRAGMA busy_timeout = 50")
    app = SreflashApp(context, start="drill")
    locker = sqlite3.connect(db_path)

    async with app.run_test(size=SIZE) as pilot:
        card = drill(app).card
        locker.execute("BEGIN EXCLUSIVE")
        await pilot.press("s")
        await pilot.press("space", "3")
        assert drill(app).card == card  # still on screen: nothing was saved
        locker.rollback()
        await pilot.press("3")
        assert drill(app).card != card
    assert app.return_code in (None, 0)
    assert context.store.card_row(card.id if card else "") is not None
    locker.close()
    context.close()


def test_the_tui_refuses_to_draw_into_a_pipe(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sreflash", "drill"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )

    assert result.returncode == 1
    assert result.stderr.startswith("Error: the sreflash screens need a terminal")


def test_the_command_line_loads_no_other_commands_code_before_the_drill() -> None:
    # What `sreflash drill` imports before its first card: the lab commands would
    # bring the Docker SDK, the mock commands the scorer, the data commands stats;
    # YAML is needed only for a deck the cache does not hold yet.
    code = (
        "import sys, sreflash.__main__, sreflash.cli;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('docker', 'yaml')"
        " or m.startswith(('sreflash.cli_', 'sreflash.labs', 'sreflash.stats',"
        " 'sreflash.grading', 'sreflash.mock', 'genanki'))))"
    )

    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert done.stdout.strip() == "[]"


async def test_a_read_only_database_is_said_as_the_drill_opens(
    db_path: Path, settings: Settings, clock: FrozenClock
) -> None:
    open_context(db=db_path, settings=settings, clock=clock).close()
    with unwritable(db_path):
        context = open_context(db=db_path, settings=settings, clock=clock)
        app = SreflashApp(context, start="drill")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            toasts = [n for n in app._notifications if n.title == "Database read-only"]
        context.close()

    assert [n.message for n in toasts] == [
        f"{db_path} is read-only: ratings cannot be saved until it can be written."
    ]
