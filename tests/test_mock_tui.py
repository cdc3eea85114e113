"""The mock interview in the real TUI, driven by the Pilot with a frozen clock."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from rich.console import Group
from rich.markdown import Markdown
from textual import events
from textual.pilot import Pilot
from textual.widgets import DataTable, Static, TextArea

from sreflash.app import SreflashApp
from sreflash.clock import FrozenClock
from sreflash.context import Context
from sreflash.mock import MockOptions, choose_questions
from sreflash.screens.help import HelpScreen
from sreflash.screens.home import HomeScreen
from sreflash.screens.mock import MockScreen, clock_classes, format_left
from sreflash.screens.mock_history import MockHistoryScreen
from sreflash.screens.mock_report import MockReportScreen
from tests.mockdeck import GOOD, mock_context

SIZE = (110, 40)


@pytest.fixture
def mctx(tmp_path: Path, clock: FrozenClock) -> Iterator[Context]:
    """A context over the small mock deck."""
    ctx = mock_context(tmp_path, clock)
    yield ctx
    ctx.close()


def shown(app: SreflashApp, selector: str) -> str:
    """The text a Static on the current screen shows."""
    content = app.screen.query_one(selector, Static).content
    if isinstance(content, Markdown):
        return content.markup
    return str(content)


def everything_shown(app: SreflashApp) -> str:
    """The text of every Static and text box on the current screen."""
    texts = []
    for widget in app.screen.query(Static):
        content = widget.content
        texts.append(content.markup if isinstance(content, Markdown) else str(content))
    texts += [box.text for box in app.screen.query(TextArea)]
    return "\n".join(texts)


async def type_text(pilot: Pilot[None], text: str) -> None:
    """Type ``text`` key by key into the focused widget."""
    keys = ["space" if ch == " " else ch for ch in text]
    await pilot.press(*keys)


async def report_ready(app: SreflashApp, pilot: Pilot[None]) -> MockReportScreen:
    """Wait for the scoring worker, then return the report screen."""
    await app.workers.wait_for_complete()
    await pilot.pause()
    assert isinstance(app.screen, MockReportScreen)
    return app.screen


async def answer_one(app: SreflashApp, pilot: Pilot[None]) -> str:
    """Answer the first question well and hand it in; its card id."""
    await pilot.pause()
    first = current_card_id(app)
    app.screen.query_one("#mock-answer", TextArea).load_text(GOOD[first])
    await pilot.press("ctrl+s")
    await pilot.pause()
    return first


async def answer_one_then_end(app: SreflashApp, pilot: Pilot[None]) -> str:
    """Answer the first question well, then end the interview; its card id."""
    first = await answer_one(app, pilot)
    await pilot.press("escape")
    return first


def current_card_id(app: SreflashApp) -> str:
    screen = app.screen
    assert isinstance(screen, MockScreen)
    assert screen.session is not None and screen.session.current is not None
    return screen.session.current.id


def test_the_countdown_warns_then_alarms_near_the_end() -> None:
    limit = timedelta(minutes=3)

    assert clock_classes(timedelta(minutes=2), limit) == (False, False)
    assert clock_classes(timedelta(seconds=60), limit) == (True, False)
    assert clock_classes(timedelta(seconds=15), limit) == (True, True)
    assert format_left(timedelta(seconds=61.2)) == "1:02"
    assert format_left(timedelta(0)) == "0:00"


async def test_a_whole_mock_session_with_a_timeout_a_skip_and_an_overrule(
    mctx: Context, clock: FrozenClock, tmp_path: Path
) -> None:
    report_file = tmp_path / "report.md"
    options = MockOptions(
        questions=3, minutes=1, seed=5, follow_up_chance=0.0, report_path=report_file
    )
    app = SreflashApp(mctx, start="mock", mock=options)

    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, MockScreen)
        first = current_card_id(app)
        assert shown(app, "#mock-status") == "Question 1 of 3"
        assert shown(app, "#mock-prompt") == mctx.library.cards[first].prompt
        assert shown(app, "#mock-clock") == "1:00 left"
        # The model answer stays hidden while the question is asked.
        assert mctx.library.cards[first].answer not in everything_shown(app)

        # Question 1: a good answer, handed in after 40 seconds.
        app.screen.query_one("#mock-answer", TextArea).load_text(GOOD[first])
        clock.advance(timedelta(seconds=40))
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert shown(app, "#mock-status") == "Question 2 of 3"
        assert app.screen.query_one("#mock-answer", TextArea).text == ""

        # Question 2: the clock turns amber, then red, then the time runs out.
        second = current_card_id(app)
        screen = app.screen
        assert isinstance(screen, MockScreen)
        await type_text(pilot, "not sure")  # typed key by key
        clock.advance(timedelta(seconds=45))
        screen.tick()
        clock_label = screen.query_one("#mock-clock", Static)
        assert shown(app, "#mock-clock") == "0:15 left"
        assert clock_label.has_class("-warning")
        clock.advance(timedelta(seconds=10))
        screen.tick()
        assert clock_label.has_class("-alarm")
        assert not clock_label.has_class("-warning")
        clock.advance(timedelta(seconds=6))
        screen.tick()
        await pilot.pause()
        assert shown(app, "#mock-status") == "Question 3 of 3"
        assert not clock_label.has_class("-alarm")

        # Question 3: skipped, which ends the session and scores it.
        third = current_card_id(app)
        clock.advance(timedelta(seconds=3))
        await pilot.press("ctrl+n")
        report = await report_ready(app, pilot)

        table = report.query_one("#report-table", DataTable)
        assert table.row_count == 3
        assert table.get_row_at(0)[4] == "pass"
        assert table.get_row_at(1)[4:] == ["fail", "time up"]
        assert table.get_row_at(2)[4:] == ["fail", "skipped"]
        assert "1 of 3 passed" in shown(app, "#report-summary")
        assert mctx.library.cards[first].answer in shown(app, "#report-answer")

        # The learner disagrees with the second verdict, then saves.
        await pilot.press("down", "o")
        assert table.get_row_at(1)[4] == "pass (you)"
        assert "2 of 3 passed" in shown(app, "#report-summary")
        await pilot.press("s")
        assert "Saved as session 1." in shown(app, "#report-summary")
        await pilot.press("o")
        assert table.get_row_at(1)[4] == "pass (you)"

        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)

    db = mctx.store.db
    answers = db.execute(
        "SELECT position, card_id, answer, verdict, overruled, seconds, timed_out,"
        " skipped FROM mock_answers ORDER BY position"
    ).fetchall()
    assert answers == [
        (1, first, GOOD[first], "pass", 0, 40.0, 0, 0),
        (2, second, "not sure", "pass", 1, 60.0, 1, 0),
        (3, third, "", "fail", 0, 3.0, 0, 1),
    ]
    reviews = db.execute(
        "SELECT card_id, rating, source FROM review_log ORDER BY id"
    ).fetchall()
    assert reviews == [(first, 3, "mock"), (second, 3, "mock")]
    written = report_file.read_text(encoding="utf-8")
    assert "2 of 3 answers passed" in written
    assert "overruled by you" in written


async def test_a_follow_up_is_announced_as_one(
    mctx: Context, clock: FrozenClock
) -> None:
    # A seed whose first question is the one card that has a follow-up.
    seed = next(
        s
        for s in range(100)
        if choose_questions(mctx.study, MockOptions(questions=2), random.Random(s))[
            0
        ].id
        == "m-cache"
    )
    options = MockOptions(questions=2, minutes=3, seed=seed, follow_up_chance=1.0)
    app = SreflashApp(mctx, start="mock", mock=options)

    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert current_card_id(app) == "m-cache"
        await type_text(pilot, "layers")
        await pilot.press("ctrl+s")
        await pilot.pause()

        assert shown(app, "#mock-status") == "Question 2 of 2 · [b]follow-up[/b]"
        assert current_card_id(app) == "m-cache-follow"


async def test_ending_early_reports_only_what_was_answered(
    mctx: Context, clock: FrozenClock
) -> None:
    options = MockOptions(questions=4, minutes=2, seed=9, follow_up_chance=0.0)
    app = SreflashApp(mctx, start="mock", mock=options)

    async with app.run_test(size=SIZE) as pilot:
        first = await answer_one_then_end(app, pilot)
        report = await report_ready(app, pilot)

        assert report.report.answers[0].card.id == first
        assert len(report.report.answers) == 1
        # Leaving the report saves it.
        await pilot.press("q")
        await pilot.pause()

    assert mctx.store.count("SELECT COUNT(*) FROM mock_sessions") == 1
    assert mctx.store.count("SELECT COUNT(*) FROM mock_answers") == 1


async def test_quitting_the_app_from_the_report_still_saves_it(
    mctx: Context, clock: FrozenClock
) -> None:
    options = MockOptions(questions=2, minutes=2, seed=9, follow_up_chance=0.0)
    app = SreflashApp(mctx, start="mock", mock=options)

    async with app.run_test(size=SIZE) as pilot:
        await answer_one_then_end(app, pilot)
        await report_ready(app, pilot)
        await pilot.press("ctrl+q")

    assert mctx.store.count("SELECT COUNT(*) FROM mock_sessions") == 1
    assert mctx.store.count("SELECT COUNT(*) FROM mock_answers") == 1


async def test_an_answer_typed_in_one_burst_with_ctrl_s_is_handed_in_whole(
    mctx: Context, clock: FrozenClock
) -> None:
    options = MockOptions(questions=2, minutes=2, seed=9, follow_up_chance=0.0)
    app = SreflashApp(mctx, start="mock", mock=options)

    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, MockScreen) and screen.session is not None
        # As a fast typist or a terminal sends them: all queued before any is read.
        for character in "layers are cached":
            key = "space" if character == " " else character
            app.post_message(events.Key(key, character))
        app.post_message(events.Key("ctrl+s", None))
        await pilot.pause()

        assert [a.text for a in screen.session.answers] == ["layers are cached"]


async def test_quitting_mid_interview_keeps_the_answers_handed_in(
    mctx: Context, clock: FrozenClock, tmp_path: Path
) -> None:
    report_file = tmp_path / "mock.md"
    options = MockOptions(
        questions=3, minutes=2, seed=9, follow_up_chance=0.0, report_path=report_file
    )
    app = SreflashApp(mctx, start="mock", mock=options)

    async with app.run_test(size=SIZE) as pilot:
        first = await answer_one(app, pilot)
        # The second answer is half typed, not handed in, when the app quits.
        await type_text(pilot, "layers")
        await pilot.press("ctrl+q")

    rows = mctx.store.db.execute("SELECT card_id FROM mock_answers").fetchall()
    assert rows == [(first,)]
    reviews = mctx.store.db.execute("SELECT card_id, source FROM review_log")
    assert reviews.fetchall() == [(first, "mock")]
    assert "1 of 1 answers passed" in report_file.read_text(encoding="utf-8")


async def test_quitting_from_the_report_writes_the_report_file(
    mctx: Context, clock: FrozenClock, tmp_path: Path
) -> None:
    report_file = tmp_path / "mock.md"
    options = MockOptions(
        questions=2, minutes=2, seed=9, follow_up_chance=0.0, report_path=report_file
    )
    app = SreflashApp(mctx, start="mock", mock=options)

    async with app.run_test(size=SIZE) as pilot:
        await answer_one_then_end(app, pilot)
        await report_ready(app, pilot)
        await pilot.press("ctrl+q")

    assert report_file.read_text(encoding="utf-8").startswith("# Mock interview, ")
    assert mctx.store.count("SELECT COUNT(*) FROM mock_sessions") == 1


async def test_ending_before_any_answer_goes_back_without_a_report(
    mctx: Context,
) -> None:
    app = SreflashApp(mctx, start="mock", mock=MockOptions(questions=2, seed=1))

    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()

        assert isinstance(app.screen, HomeScreen)
    assert mctx.store.count("SELECT COUNT(*) FROM mock_sessions") == 0


async def test_an_impossible_mock_is_reported_not_crashed(mctx: Context) -> None:
    app = SreflashApp(mctx, start="mock", mock=MockOptions(topic="cooking"))

    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()

        assert isinstance(app.screen, HomeScreen)
        messages = [n.message for n in app._notifications]
        assert any("no question to ask on topic 'cooking'" in m for m in messages)


async def test_the_markdown_key_writes_the_report(
    mctx: Context, clock: FrozenClock, isolated_paths: Path
) -> None:
    options = MockOptions(questions=1, minutes=2, seed=4, follow_up_chance=0.0)
    app = SreflashApp(mctx, start="mock", mock=options)

    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+s")
        await report_ready(app, pilot)
        await pilot.press("w")
        await pilot.pause()
        # Writing Markdown does not save the session by itself...
        assert mctx.store.count("SELECT COUNT(*) FROM mock_sessions") == 0

    written = isolated_paths / "data" / "reports" / "mock-20260302-120000.md"
    assert written.read_text(encoding="utf-8").startswith("# Mock interview, ")
    # ...but quitting the app from the report does.
    assert mctx.store.count("SELECT COUNT(*) FROM mock_sessions") == 1


async def test_home_opens_the_history_with_a_trend_and_starts_a_mock(
    mctx: Context, clock: FrozenClock
) -> None:
    app = SreflashApp(mctx)

    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("m")
        await pilot.pause()
        assert isinstance(app.screen, MockHistoryScreen)
        assert shown(app, "#history-trend") == "No mock interview yet."

        for _ in range(2):
            await pilot.press("n")
            await pilot.pause()
            assert isinstance(app.screen, MockScreen)
            for _ in range(6):
                if not isinstance(app.screen, MockScreen):
                    break
                card_id = current_card_id(app)
                box = app.screen.query_one("#mock-answer", TextArea)
                box.load_text(GOOD.get(card_id, ""))
                clock.advance(timedelta(seconds=20))
                await pilot.press("ctrl+s")
                await pilot.pause()
            await report_ready(app, pilot)
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, MockHistoryScreen)

        table = app.screen.query_one("#history-table", DataTable)
        assert table.row_count == 2
        trend = shown(app, "#history-trend")
        assert trend.startswith("Scores over time: [b]██[/b]")
        assert shown(app, "#history-trend").endswith("steady")


async def test_f1_opens_the_help_where_the_answer_box_takes_question_marks(
    mctx: Context, clock: FrozenClock
) -> None:
    app = SreflashApp(mctx, start="mock", mock=MockOptions(questions=1, seed=1))

    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        assert app.screen.query_one("#mock-answer", TextArea).text == "?"
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        intro = app.screen.query_one("#help-text", Static).content
        assert isinstance(intro, Group)
        assert str(intro.renderables[0]).startswith("A mock interview")
