"""A mock interview: one question at a time, a visible clock, a typed answer."""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar, cast

from rich.markup import escape
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.timer import Timer
from textual.widgets import Footer, Header, Static, TextArea
from textual.worker import Worker, WorkerState

from sreflash.decks import Card
from sreflash.errors import SreflashError
from sreflash.mock import MockError, MockOptions, MockReport, MockSession
from sreflash.screens.base import AppScreen

TICK_SECONDS = 0.25


def clock_classes(left: timedelta, limit: timedelta) -> tuple[bool, bool]:
    """Whether the countdown should warn, and whether it should alarm.

    It warns in the last third of the time (at most the last minute) and alarms in
    the last tenth (at most the last fifteen seconds).
    """
    warn = min(limit / 3, timedelta(minutes=1))
    alarm = min(limit / 10, timedelta(seconds=15))
    return left <= warn, left <= alarm


def format_left(left: timedelta) -> str:
    """A countdown as ``m:ss``, rounded up so 0:00 means the time is up."""
    seconds = int(-(-left.total_seconds() // 1))
    return f"{seconds // 60}:{seconds % 60:02d}"


class MockScreen(AppScreen):
    """Asks the session's questions under the clock, then hands over to the report.

    The model answers stay hidden until the report: this screen shows only prompts.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "submit", "Submit answer", priority=True),
        Binding("ctrl+n", "skip", "Skip question", priority=True),
        Binding("escape", "end", "End interview"),
    ]
    HELP_INTRO = (
        "A mock interview: answer each question as you would out loud, before its "
        "clock runs out. Model answers stay hidden until the report."
    )

    def __init__(self, options: MockOptions) -> None:
        super().__init__()
        self.options = options
        self.session: MockSession | None = None
        self.timer: Timer | None = None
        # Set once the answers are settled: handed to the report screen, which
        # then owns saving them, or found unscorable.
        self.settled = False

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="mock-bar"):
            yield Static(id="mock-status")
            yield Static(id="mock-clock")
        with VerticalScroll(id="mock-card"):
            yield Static(id="mock-meta")
            yield Static(id="mock-prompt")
        yield TextArea(id="mock-answer", soft_wrap=True, show_line_numbers=False)
        yield Static(
            "ctrl+s hands in your answer · ctrl+n skips · esc ends the interview · "
            "f1 help. Model answers come in the report.",
            id="mock-hint",
        )
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(
            "#mock-answer", TextArea
        ).placeholder = "Answer as you would out loud: the what, and the why."
        try:
            self.session = MockSession(self.sreflash.context.study, self.options)
        except SreflashError as error:
            self.sreflash.report(error)
            self.dismiss()
            return
        self.timer = self.set_interval(TICK_SECONDS, self.tick)
        self.ask_next()

    # Asking

    def ask_next(self) -> None:
        """Show the next question, or score the session when none is left."""
        assert self.session is not None
        card = self.session.next_question()
        if card is None:
            self.finish()
            return
        self._show(card)

    def _show(self, card: Card) -> None:
        assert self.session is not None
        status = f"Question {self.session.number} of {self.session.total}"
        if self.session.follow_up_of is not None:
            status += " · [b]follow-up[/b]"
        self.query_one("#mock-status", Static).update(status)
        self.query_one("#mock-meta", Static).update(
            f"[b]{escape(card.kind)}[/b] · {escape(card.topic)}"
        )
        # Literal text: deck prompts hold paths like **/__pycache__ and <tag>.
        self.query_one("#mock-prompt", Static).update(Text(card.prompt))
        box = self.query_one("#mock-answer", TextArea)
        box.clear()
        box.focus()
        self.tick()

    def tick(self) -> None:
        """Update the countdown from the clock; hand the answer in at zero."""
        session = self.session
        if session is None or session.current is None:
            return
        left = session.remaining()
        warn, alarm = clock_classes(left, session.limit)
        label = self.query_one("#mock-clock", Static)
        label.update(f"{format_left(left)} left")
        label.set_class(warn and not alarm, "-warning")
        label.set_class(alarm, "-alarm")
        if left <= timedelta(0):
            self.time_up()

    def time_up(self) -> None:
        """Hand in the answer as it stands and move on."""
        assert self.session is not None
        self.session.time_up(self.query_one("#mock-answer", TextArea).text)
        self.notify(
            "Time is up: your answer was handed in as it stood.",
            title="Time",
            severity="warning",
        )
        self.ask_next()

    # Actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("submit", "skip"):
            return self.session is not None and self.session.current is not None
        return True

    def action_submit(self) -> None:
        """Hand in the typed answer, once the box has taken the keys typed before."""
        if self.session is None or self.session.current is None:
            return
        # Ctrl+S is a priority key: it runs as the app reads it, while keys typed
        # just before may still wait in the box's queue. Read the box after them.
        box = self.query_one("#mock-answer", TextArea)
        box.call_later(self._hand_in, self.session.current)

    def _hand_in(self, card: Card) -> None:
        session = self.session
        if session is None or session.current is not card:
            return  # the clock handed it in meanwhile
        session.submit(self.query_one("#mock-answer", TextArea).text)
        self.ask_next()

    def action_skip(self) -> None:
        """Pass on this question: it scores zero."""
        if self.session is None or self.session.current is None:
            return
        self.session.skip()
        self.ask_next()

    def action_end(self) -> None:
        """Stop now and see the report of the questions answered so far."""
        if self.session is not None:
            self.session.end()
            self.finish()

    def on_unmount(self) -> None:
        # Quitting the app mid-interview (ctrl+q) keeps the answers handed in so
        # far, as ending it with esc and leaving the report would.
        from sreflash.screens.mock_report import save_on_exit

        session = self.session
        if session is None or self.settled or not session.answers:
            return
        save_on_exit(self.sreflash.context.study, session.report())

    # Scoring

    def finish(self) -> None:
        """Stop the clock and score the answers in a worker thread."""
        assert self.session is not None
        if self.timer is not None:
            self.timer.stop()
        if not self.session.answers:
            self.notify("No question was answered, so there is no report.")
            self.dismiss()
            return
        self.query_one("#mock-status", Static).update("Scoring your answers…")
        self.query_one("#mock-clock", Static).update("")
        self.query_one("#mock-answer", TextArea).disabled = True
        self.refresh_bindings()
        self.run_worker(
            self.session.report, thread=True, exclusive=True, exit_on_error=False
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        from sreflash.screens.mock_report import MockReportScreen

        if event.state == WorkerState.SUCCESS:
            report = cast(MockReport, event.worker.result)
            self.settled = True
            self.app.switch_screen(MockReportScreen(report))
        elif event.state == WorkerState.ERROR:
            self.settled = True
            self.sreflash.report(
                MockError(f"the answers could not be scored ({event.worker.error})")
            )
            self.dismiss()
