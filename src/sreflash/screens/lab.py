"""The labs: pick one, watch the guided run against the real engine, see each check.

The run happens in a thread worker. Its events arrive as messages; its prediction
questions are asked in a modal pushed from the worker, which waits for the answer.
Esc cancels: the run stops at the next step, removes what it created and says so.
"""

from __future__ import annotations

import queue
import threading
from functools import partial
from typing import ClassVar, cast

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Header, Input, RichLog, Static
from textual.worker import Worker, WorkerState

from sreflash.errors import (
    LabCancelledError,
    LabError,
    SreflashError,
)
from sreflash.labs.cards import LabRating, schedule_report
from sreflash.labs.engine import engine_status
from sreflash.labs.history import save_lab_run
from sreflash.labs.model import Lab, list_labs
from sreflash.labs.results import (
    SKIP,
    BuildLine,
    CheckDone,
    CheckResult,
    Event,
    LabReport,
    Notice,
    Question,
    Status,
    StepStarted,
)
from sreflash.labs.runner import run_guided
from sreflash.scheduling import RATING_NAMES
from sreflash.screens.base import AppScreen

STATUS_TEXT = {
    Status.PASS: Text("pass", style="green"),
    Status.FAIL: Text("fail", style="red"),
    Status.CANNOT: Text("cannot", style="yellow"),
}
# How often a worker waiting on a modal looks whether the run was cancelled.
POLL_SECONDS = 0.1


def describe_result(result: CheckResult) -> Text:
    """What the engine saw, the hint and the prediction of one check, as text."""
    text = Text()
    text.append(f"{result.title}\n", style="bold")
    if result.prediction:
        text.append(f"You said: {result.prediction}\n")
    label = "Why not" if result.status is Status.CANNOT else "Seen"
    text.append(f"{label}: {result.seen}")
    if result.hint:
        text.append(f"\nHint: {result.hint}", style="italic")
    return text


def describe_ratings(rated: list[LabRating]) -> str:
    """The lab cards a run rated, in one line."""
    parts = []
    for item in rated:
        rating = item.verdict.rating
        name = RATING_NAMES[rating] if rating is not None else "not rated"
        parts.append(f"{item.card.id} {name}")
    return "Cards: " + ", ".join(parts) if parts else "No lab card names these checks."


class PredictionScreen(ModalScreen[str]):
    """Asks the learner's prediction before a check; Esc skips it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "skip", "Skip"),
    ]
    AUTO_FOCUS = "#prediction-input"

    def __init__(self, question: Question) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="prediction-box"):
            yield Static("Your prediction", classes="section-title")
            yield Static(Text(self.question.text), id="prediction-question")
            if self.question.choices:
                choices = " / ".join(self.question.choices)
                yield Static(Text(f"Choices: {choices}"), classes="dim")
            yield Input(placeholder="Type your prediction", id="prediction-input")
            yield Static("⏎ answers · esc skips", classes="dim")

    @on(Input.Submitted)
    def _answered(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or SKIP)

    def action_skip(self) -> None:
        """Answer with ``skip``: the check is made all the same."""
        self.dismiss(SKIP)


class LabScreen(AppScreen):
    """Lists the labs and runs one, guided, against the real engine."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "run", "Run lab", key_display="⏎"),
        Binding("escape", "leave", "Cancel run / back"),
        Binding("tab", "app.focus_next", "Next pane", show=False),
    ]

    HELP_KEYS: ClassVar[list[tuple[str, str]]] = [
        ("enter", "Run the selected lab, guided, on the real engine"),
        ("up/down", "Choose a lab, or a check to see what the engine said"),
        ("tab", "Move between the labs, the log and the results"),
        ("esc", "Cancel the run (its containers and images are removed), or back"),
    ]

    class EventArrived(Message):
        """A lab run's event, posted from the worker thread."""

        def __init__(self, event: Event) -> None:
            super().__init__()
            self.event = event

    def __init__(self) -> None:
        super().__init__()
        self.labs: list[Lab] = []
        self.results: list[CheckResult] = []
        self.worker: Worker[LabReport] | None = None
        self.cancel = threading.Event()
        self.engine_ready = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Docker engine: asking…", id="lab-engine")
        yield DataTable(id="lab-list", cursor_type="row")
        yield Static(id="lab-step")
        yield RichLog(id="lab-log", max_lines=2000, markup=False, wrap=False)
        yield DataTable(id="lab-results", cursor_type="row")
        yield Static(id="lab-detail")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#lab-list", DataTable)
        table.add_columns("Lab", "Checks", "Title")
        try:
            self.labs = list_labs()
        except LabError as error:
            self.sreflash.report(error)
        for lab in self.labs:
            table.add_row(lab.id, str(len(lab.checks())), Text(lab.title), key=lab.id)
        results = self.query_one("#lab-results", DataTable)
        results.add_columns("Check", "Result", "Your prediction")
        self.query_one("#lab-step", Static).update(
            "Choose a lab and press Enter: sreflash builds and runs it in a "
            "temporary copy, asking your prediction before each check."
            if self.labs
            else "No labs are installed."
        )
        table.focus()
        self.run_worker(engine_status, thread=True, group="lab-engine")

    def on_unmount(self) -> None:
        # The worker stops at its next step and removes what the run created.
        self.cancel.set()

    # The run

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "run":
            return self.worker is None and bool(self.labs)
        return True

    def action_run(self) -> None:
        """Run the lab under the cursor."""
        if self.worker is not None or not self.labs:
            return
        table = self.query_one("#lab-list", DataTable)
        lab = self.labs[table.cursor_row]
        self.cancel = threading.Event()
        self.results = []
        self.query_one("#lab-results", DataTable).clear()
        self.query_one("#lab-log", RichLog).clear()
        self.query_one("#lab-detail", Static).update("")
        self._step(Text(f"Starting {lab.id}…"))
        self.worker = self.run_worker(
            partial(self._run, lab),
            thread=True,
            group="lab-run",
            exit_on_error=False,
        )
        self.refresh_bindings()

    @on(DataTable.RowSelected, "#lab-list")
    def _lab_chosen(self) -> None:
        self.action_run()

    def _run(self, lab: Lab) -> LabReport:
        # Runs in the worker thread: everything it shows goes through messages.
        return run_guided(
            lab,
            predict=self._predict,
            on_event=self._post_event,
            cancelled=self.cancel.is_set,
        )

    def _post_event(self, event: Event) -> None:
        # post_message is thread-safe, and a closed screen simply drops it.
        self.post_message(self.EventArrived(event))

    def _predict(self, question: Question) -> str:
        """Ask in a modal and wait for the answer (called in the worker thread)."""
        answers: queue.Queue[str] = queue.Queue()
        if self.cancel.is_set():
            raise LabCancelledError("The lab run was cancelled.")
        self.app.call_from_thread(
            self.app.push_screen,
            PredictionScreen(question),
            lambda answer: answers.put(answer or SKIP),
        )
        while True:
            try:
                return answers.get(timeout=POLL_SECONDS)
            except queue.Empty:
                if self.cancel.is_set():
                    raise LabCancelledError("The lab run was cancelled.") from None

    @on(EventArrived)
    def _show_event(self, message: EventArrived) -> None:
        event = message.event
        if isinstance(event, StepStarted):
            self._step(Text(f"Step {event.index}/{event.total}: {event.title}"))
            self.query_one("#lab-log", RichLog).write(
                Text(f"== {event.title}", style="bold")
            )
        elif isinstance(event, BuildLine):
            self.query_one("#lab-log", RichLog).write(Text(event.line))
        elif isinstance(event, Notice):
            self.query_one("#lab-log", RichLog).write(Text(f"* {event.message}"))
        elif isinstance(event, CheckDone):
            self._add_result(event.result)

    def _step(self, text: Text) -> None:
        self.query_one("#lab-step", Static).update(text)

    def _add_result(self, result: CheckResult) -> None:
        self.results.append(result)
        table = self.query_one("#lab-results", DataTable)
        table.add_row(
            Text(result.check_id),
            STATUS_TEXT[result.status],
            Text(result.prediction),
            key=result.check_id,
        )
        table.move_cursor(row=table.row_count - 1)
        self.query_one("#lab-detail", Static).update(describe_result(result))

    @on(DataTable.RowHighlighted, "#lab-results")
    def _result_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if 0 <= event.cursor_row < len(self.results):
            detail = describe_result(self.results[event.cursor_row])
            self.query_one("#lab-detail", Static).update(detail)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "lab-engine" and event.state is WorkerState.SUCCESS:
            ready, sentence = cast("tuple[bool, str]", event.worker.result)
            self.engine_ready = ready
            engine = self.query_one("#lab-engine", Static)
            engine.update(Text(sentence))
            engine.set_class(not ready, "lab-engine-down")
        if event.worker is not self.worker or not event.worker.is_finished:
            return
        self.worker = None
        self.refresh_bindings()
        if event.state is WorkerState.SUCCESS:
            self._finished(cast(LabReport, event.worker.result))
        elif event.state is WorkerState.ERROR:
            self._failed(event.worker.error)
        elif event.state is WorkerState.CANCELLED:
            self._step(Text("The run stopped; what it created was removed."))

    def _failed(self, error: BaseException | None) -> None:
        if isinstance(error, LabCancelledError):
            self._step(Text("Cancelled: what the run created was removed."))
            return
        if not isinstance(error, SreflashError):
            error = LabError(f"the lab run failed: {error!r}")
        self._step(Text(f"The run stopped: {error}"))
        self.sreflash.report(error)

    def _finished(self, report: LabReport) -> None:
        """Save the run and rate the lab cards its results name."""
        context = self.sreflash.context
        try:
            run_id = save_lab_run(context.store.db, report)
            rated = schedule_report(context.study, report)
        except SreflashError as error:
            self.sreflash.report(error)
            return
        self._step(
            Text(
                f"{report.passed} passed, {report.failed} failed, {report.cannot} "
                f"could not be checked (saved as lab run {run_id}). "
                f"{describe_ratings(rated)}"
            )
        )

    def action_leave(self) -> None:
        """Cancel the run in progress, or go back when none is."""
        if self.worker is not None:
            if not self.cancel.is_set():
                self.cancel.set()
                self._step(Text("Cancelling: the run stops after this step…"))
            return
        self.app.pop_screen()
