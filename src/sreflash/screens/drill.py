"""The drill: a card's prompt, an optional typed answer, the reveal and a rating.

Lab cards join the queue only when a Docker engine answers (asked in a worker at
the start). For a lab card the learner types a prediction; the reveal makes the
card's check on the real engine, in a worker, and the engine's answer decides the
suggested rating (see ``sreflash.labs.cards``).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import TYPE_CHECKING, ClassVar, cast

from rich.console import Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.reactive import var
from textual.widgets import Button, Footer, Header, Static, TextArea
from textual.worker import Worker, WorkerState

from sreflash.decks import DRILL_KINDS, KINDS, Card
from sreflash.errors import LabCancelledError, LabError, SreflashError
from sreflash.labs.results import (
    SKIP,
    BuildLine,
    CheckResult,
    Event,
    LabReport,
    Notice,
    Status,
    StepStarted,
)
from sreflash.scheduling import RATING_NAMES, Rating, format_interval
from sreflash.screens.base import AppScreen
from sreflash.screens.help import RATING_ADVICE
from sreflash.study import Hidden
from sreflash.wording import count_of, describe_due, describe_new

if TYPE_CHECKING:
    from sreflash.grading import Grade
    from sreflash.labs.cards import Verdict

WITH_LAB = frozenset(KINDS)
LAB_ONLY = frozenset({"lab"})
STATUS_WORDS = {
    Status.PASS: ("passed", "green"),
    Status.FAIL: ("failed", "red"),
    Status.CANNOT: ("could not be made", "yellow"),
}


@dataclass
class DrillTally:
    """What a drill session has done so far, for its summary."""

    started: float = field(default_factory=time.monotonic)
    done: int = 0
    again: int = 0
    ratings: list[int] = field(default_factory=list)

    def add(self, rating: Rating) -> None:
        self.done += 1
        self.again += rating == Rating.Again
        self.ratings.append(int(rating))

    def remove_last(self) -> None:
        if self.ratings:
            last = self.ratings.pop()
            self.done -= 1
            self.again -= last == Rating.Again


@dataclass
class DrillSession:
    """What a finished drill hands its summary, so that undo can go back to it."""

    tally: DrillTally
    undoable: list[int | Hidden]


class DrillScreen(AppScreen):
    """Shows due cards one after another until the day's queue is empty."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "reveal", "Reveal", key_display="␣"),
        Binding("ctrl+r", "reveal_typed", "Reveal", priority=True),
        # A priority binding runs as the app reads the key, before the keys queued
        # behind it are sent on: typed at once after t, they go to the box.
        Binding("t", "type_answer", "Type", priority=True),
        Binding("1", "rate(1)", "Rate", key_display="1-4"),
        Binding("2", "rate(2)", "Hard", show=False),
        Binding("3", "rate(3)", "Good", show=False),
        Binding("4", "rate(4)", "Easy", show=False),
        Binding("enter", "accept", "Accept", key_display="⏎"),
        Binding("u", "undo", "Undo"),
        Binding("s", "suspend", "Suspend"),
        Binding("b", "bury", "Bury"),
        Binding("escape", "leave", "Leave the box"),
        Binding("q", "finish", "Finish"),
    ]

    HELP_INTRO = RATING_ADVICE
    HELP_KEYS: ClassVar[list[tuple[str, str]]] = [
        ("space", "Reveal the answer (ctrl+r from the answer box)"),
        ("t", "Type an answer; esc leaves the box"),
        ("1", "Again: you could not answer"),
        ("2", "Hard: recalled, with real effort"),
        ("3", "Good: recalled"),
        ("4", "Easy: trivial"),
        ("enter", "Accept the suggested rating"),
        ("u", "Undo the last rating, suspend or bury of this session"),
        ("s", "Suspend the card"),
        ("b", "Bury the card until tomorrow"),
        ("esc", "Cancel a lab card's check on the engine"),
        ("q", "Finish: the session summary"),
    ]

    # A var, not a reactive: a reactive would also repaint the whole screen, a
    # frame that still shows the old card before the new one is laid out.
    stage: var[str] = var("prompt", init=False, always_update=True)
    """``prompt`` before the reveal, ``answer`` after it, ``done`` at the end;
    ``checking`` while a lab card's check runs, ``waiting`` while only lab cards
    may be left and the engine has not answered yet."""

    class CardRated(Message):
        """Posted after a rating has been saved."""

        def __init__(self, card: Card, rating: Rating) -> None:
            super().__init__()
            self.card = card
            self.rating = rating

    class LabProgress(Message):
        """A lab check's event, posted from its worker thread."""

        def __init__(self, event: Event) -> None:
            super().__init__()
            self.event = event

    def __init__(
        self, deck_id: str | None = None, resume: DrillSession | None = None
    ) -> None:
        """``resume`` goes on with a finished session by undoing its last step."""
        super().__init__()
        self.deck_id = deck_id
        self.card: Card | None = None
        self.grade: Grade | None = None
        self.intervals: dict[Rating, timedelta] = {}
        self.tally = resume.tally if resume else DrillTally()
        self.undoable: list[int | Hidden] = resume.undoable if resume else []
        """What this session did, oldest first, for undo: the ids of the ratings it
        wrote to the review log, and the cards it suspended or buried."""
        self.undo_first = resume is not None
        self.shown_at = time.monotonic()
        self.kinds = DRILL_KINDS
        """Card kinds the queue draws from: lab cards join when Docker answers."""
        self.labs_waiting = 0
        """Lab cards in scope while the engine has not answered yet."""
        self.labs_left_out = ""
        """Why the lab cards stay out of this drill, when the engine did not answer."""
        self.lab_check: Worker[LabReport] | None = None
        self.lab_cancel = threading.Event()
        self.prediction = ""
        self.lab_step = ""
        self.verdict: Verdict | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="drill-status")
        yield Static(id="drill-notice")
        # The question in one line while the answer shows: at 80x24 the answer
        # view scrolls the prompt itself out of sight.
        yield Static(id="drill-recap")
        with VerticalScroll(id="card"):
            yield Static(id="card-meta")
            # Card text shows as written, never as Markdown: deck text holds
            # patterns like **/__pycache__ that Markdown would turn into bold.
            yield Static(id="prompt")
            yield TextArea(id="answer-box", soft_wrap=True, show_line_numbers=False)
            yield Static(id="drill-lab")
            with Vertical(id="answer-view"):
                # The verdict first: at 80x24 it must show without scrolling.
                yield Static(id="suggestion")
                yield Static(id="key-points")
                yield Static("Model answer", classes="section-title")
                yield Static(id="model-answer")
        with Horizontal(id="ratings"):
            for rating in Rating:
                button = Button(
                    RATING_NAMES[rating],
                    id=f"rate-{int(rating)}",
                    classes=f"rating rating-{int(rating)}",
                )
                # Keys rate; focusable buttons would only steal Enter and Space.
                button.can_focus = False
                yield button
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self._lab_notice()
        if self.undo_first:
            self.action_undo()
        if self.card is None:
            self.show_next()
        scroller = self.query_one("#card", VerticalScroll)
        self.watch(scroller, "scroll_y", self._recap_if_hidden, init=False)

    def on_unmount(self) -> None:
        # A lab check still running stops at its next step and cleans up.
        self.lab_cancel.set()

    # Showing cards

    def show_next(self, card: Card | None = None) -> None:
        """Show ``card``, or the next one due; the summary when none is left."""
        if card is None:
            study = self.sreflash.context.study
            card = study.next_card(self.deck_id, kinds=self.kinds)
        if card is None and self._lab_card_due():
            self._wait_for_engine()
            return
        if card is None:
            self.finish()
            return

        self.card = card
        self.grade = None
        self.intervals = {}
        self.shown_at = time.monotonic()
        self.query_one("#card-meta", Static).update(
            f"[b]{escape(card.kind)}[/b] · {escape(card.topic)} · {escape(card.id)}"
        )
        self.query_one("#prompt", Static).update(Text(card.prompt))
        box = self.query_one("#answer-box", TextArea)
        if box.text:
            box.clear()
        box.display = True
        self._set_placeholder(typing=box.has_focus)
        self.verdict = None
        self.query_one("#drill-lab", Static).display = False
        scroller = self.query_one("#card", VerticalScroll)
        if not scroller.has_focus:
            scroller.focus()
        # At once, not after the next refresh: deferred, the first frame would show
        # the new card scrolled as far down as the old answer was.
        scroller.scroll_home(animate=False, immediate=True)
        self.stage = "prompt"
        self._update_status()

    def _update_status(self) -> None:
        counts = self.sreflash.context.study.counts(self.deck_id, kinds=self.kinds)
        self.query_one("#drill-status", Static).update(
            f"[b]{counts.new}[/b] new · [b]{counts.learning}[/b] learning · "
            f"[b]{counts.due}[/b] to review · {self.tally.done} done"
        )

    # Lab cards and the engine

    def _lab_notice(self) -> None:
        """Ask, in a worker, whether a Docker engine answers for the lab cards."""
        library = self.sreflash.context.library
        labs = sum(1 for _ in library.iter_ids(self.deck_id, LAB_ONLY))
        notice = self.query_one("#drill-notice", Static)
        notice.display = bool(labs)
        if not labs:
            return
        self.labs_waiting = labs
        notice.update(
            Text(f"{count_of(labs, 'lab card')} left out while sreflash asks Docker…")
        )
        self.run_worker(_ask_engine, thread=True, group="drill-engine")

    def _engine_answered(self, ready: bool, sentence: str) -> None:
        count, self.labs_waiting = self.labs_waiting, 0
        notice = self.query_one("#drill-notice", Static)
        if ready:
            self.kinds = WITH_LAB
            cards = count_of(count, "lab card")
            # "As they come due": the daily new-card limit may hold them all back.
            notice.update(
                Text(f"Docker is ready: {cards} join the queue as they come due.")
            )
        else:
            # The engine module's sentence says why and how to fix it: a toast now
            # and the summary at the end. The notice stays one line: three lines of
            # it would crowd an 80x24 screen and be measured again every frame.
            cards = count_of(count, "lab card")
            self.labs_left_out = f"{cards} left out. {sentence}"
            notice.update(Text(f"{cards} left out: Docker is not ready."))
            self.notify(
                sentence,
                title="Lab cards left out",
                severity="warning",
                timeout=10,
                markup=False,
            )
        if self.stage != "done":
            self._update_status()
        if self.stage == "waiting":
            self.show_next()

    def _lab_card_due(self) -> bool:
        """Whether a lab card waits for the engine's answer to be shown."""
        if not self.labs_waiting:
            return False
        study = self.sreflash.context.study
        return study.next_card(self.deck_id, kinds=LAB_ONLY) is not None

    def _wait_for_engine(self) -> None:
        self.card = None
        self.query_one("#card-meta", Static).update("")
        self.query_one("#prompt", Static).update(
            Text("Asking the Docker engine whether the lab cards can join…")
        )
        self.query_one("#answer-box", TextArea).display = False
        self.query_one("#drill-lab", Static).display = False
        self.stage = "waiting"

    def _start_check(self, card: Card, typed: str) -> None:
        """Make the card's check on the engine in a worker; progress shows live."""
        assert card.lab is not None
        try:
            from sreflash.labs.model import find_lab  # labs load on first use

            lab = find_lab(card.lab.lab)
        except LabError as error:
            self.sreflash.report(error)
            failed = CheckResult(card.lab.check, card.id, Status.CANNOT, str(error))
            self._show_answer(card, typed, failed)
            return
        self.prediction = typed
        self.lab_cancel = threading.Event()
        cancel = self.lab_cancel
        progress = self.query_one("#drill-lab", Static)
        progress.display = True
        progress.update(Text("Checking on the Docker engine… (esc cancels)"))
        self.stage = "checking"

        def check() -> LabReport:
            from sreflash.labs.runner import run_guided

            return run_guided(
                lab,
                predict=lambda question: typed or SKIP,
                on_event=self._post_progress,
                only={card.lab.check} if card.lab else None,
                cancelled=cancel.is_set,
            )

        self.lab_check = self.run_worker(
            check, thread=True, group="drill-lab", exit_on_error=False
        )

    def _post_progress(self, event: Event) -> None:
        # Called in the worker thread; post_message is thread-safe.
        self.post_message(self.LabProgress(event))

    @on(LabProgress)
    def _lab_progress(self, message: LabProgress) -> None:
        if self.stage != "checking" or self.lab_cancel.is_set():
            return
        event = message.event
        progress = self.query_one("#drill-lab", Static)
        if isinstance(event, StepStarted):
            self.lab_step = f"Step {event.index}/{event.total}: {event.title}"
            progress.update(Text(f"Checking on the Docker engine… {self.lab_step}"))
        elif isinstance(event, Notice):
            progress.update(Text(f"Checking on the Docker engine… {event.message}"))
        elif isinstance(event, BuildLine) and event.line.strip():
            progress.update(
                Text.assemble(
                    f"Checking on the Docker engine… {self.lab_step}\n",
                    (event.line.strip()[:200], "dim"),
                )
            )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.group == "drill-engine" and worker.state is WorkerState.SUCCESS:
            ready, sentence = cast("tuple[bool, str]", worker.result)
            self._engine_answered(ready, sentence)
            return
        if worker is not self.lab_check or not worker.is_finished:
            return
        self.lab_check = None
        card = self.card
        if card is None or card.lab is None or self.stage != "checking":
            return
        if worker.state is WorkerState.SUCCESS:
            report = cast(LabReport, worker.result)
            self._save_check(report)
            self._show_answer(card, self.prediction, report.result(card.lab.check))
            return
        error = worker.error
        if (
            isinstance(error, LabCancelledError)
            or worker.state is WorkerState.CANCELLED
        ):
            self.notify("Check cancelled; what it created was removed.")
            self.show_next(card)
            self.query_one("#answer-box", TextArea).insert(self.prediction)
            return
        if not isinstance(error, SreflashError):
            error = LabError(f"the check failed to run: {error!r}")
        self.sreflash.report(error)
        failed = CheckResult(card.lab.check, card.id, Status.CANNOT, str(error))
        self._show_answer(card, self.prediction, failed)

    def _save_check(self, report: LabReport) -> None:
        try:
            from sreflash.labs.history import save_lab_run

            save_lab_run(self.sreflash.context.store.db, replace(report, mode="drill"))
        except SreflashError as error:
            self.sreflash.report(error)

    def _lab_text(self, result: CheckResult) -> Text:
        words, colour = STATUS_WORDS[result.status]
        text = Text.assemble("The engine's check ", (words, f"bold {colour}"), ": ")
        text.append(result.title)
        label = "Why not" if result.status is Status.CANNOT else "Seen"
        text.append(f"\n{label}: {result.seen}")
        if result.hint:
            text.append(f"\nHint: {result.hint}", style="italic")
        return text

    def watch_stage(self, stage: str) -> None:
        self.query_one("#answer-view").display = stage == "answer"
        self.query_one("#ratings").display = stage == "answer"
        if stage != "answer":
            self.query_one("#drill-recap").display = False

    def _suggested(self) -> Rating | None:
        if self.card is not None and self.card.kind == "lab":
            return self.verdict.rating if self.verdict is not None else None
        return self.grade.suggested if self.grade is not None else None

    # The footer stays the same through a session: each action checks the stage
    # itself. Changing the footer's keys per stage made Textual rebuild it twice a
    # card, which cost more than everything else a rating does. Only moving into
    # or out of the answer box changes it: the box takes every printable key, so
    # while typing only the keys that still work show.

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        typing = isinstance(self.focused, TextArea)
        if action == "reveal_typed":
            return typing
        if action == "leave":
            return typing or self.stage == "checking"
        return not typing

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        if isinstance(event.widget, TextArea):
            self._set_placeholder(typing=True)

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        if isinstance(event.widget, TextArea):
            self._set_placeholder(typing=False)

    def _set_placeholder(self, *, typing: bool) -> None:
        # Unfocused, the box must not look ready: letters there would run commands.
        lab = self.card is not None and self.card.kind == "lab"
        if typing:
            text = (
                "Type your prediction, then Ctrl+R: the engine checks it."
                if lab
                else "Type your answer, then Ctrl+R to reveal."
            )
        else:
            text = (
                "Press t to type your prediction before the engine checks it."
                if lab
                else "Press t to type your answer (optional)."
            )
        self.query_one("#answer-box", TextArea).placeholder = text

    # Actions

    def action_type_answer(self) -> None:
        """Move into the answer box."""
        if self.stage == "prompt":
            # At once, not deferred: keys typed right after t belong in the box.
            self.set_focus(self.query_one("#answer-box", TextArea))

    def action_reveal_typed(self) -> None:
        """Reveal from the answer box, once it has taken the keys typed before."""
        # A priority key runs as the app reads it, while keys typed just before
        # may still wait in the box's queue: read the box after them.
        self.query_one("#answer-box", TextArea).call_later(self.action_reveal)

    def action_leave(self) -> None:
        """Leave the answer box (finishing is ``q``, so Esc twice never ends it).

        While a lab card's check runs, cancel it instead.
        """
        if self.stage == "checking":
            if not self.lab_cancel.is_set():
                self.lab_cancel.set()
                self.query_one("#drill-lab", Static).update(
                    Text("Cancelling: the check stops after this step…")
                )
            return
        if isinstance(self.focused, TextArea):
            self.set_focus(self.query_one("#card", VerticalScroll))

    def action_reveal(self) -> None:
        """Show the model answer, and how the typed answer compares with it."""
        if self.card is None or self.stage != "prompt":
            return
        card = self.card
        box = self.query_one("#answer-box", TextArea)
        typed = box.text
        box.display = bool(typed.strip())
        # Out of the box at once: the keys that follow rate, they are not text.
        self.set_focus(self.query_one("#card", VerticalScroll))
        if card.kind == "lab" and card.lab is not None:
            self._start_check(card, typed.strip())
            return
        self._show_answer(card, typed)

    def _show_answer(
        self, card: Card, typed: str, result: CheckResult | None = None
    ) -> None:
        """The model answer, the grade of what was typed, and for a lab card what
        the engine said."""
        # The scorer loads on the first reveal, not before the first card.
        from sreflash.grading import grade

        self.grade = grade(card, typed) if typed.strip() and card.key_points else None
        self.intervals = self.sreflash.context.study.intervals(card)
        if result is not None:
            # The typed text is the prediction, whether or not the check asks one.
            result = replace(result, prediction=typed.strip())
            from sreflash.labs.cards import judge

            self.verdict = judge(card, result, learner_built=False)
            lab = self.query_one("#drill-lab", Static)
            lab.update(self._lab_text(result))
            lab.display = True

        self.query_one("#drill-recap", Static).update(
            Text(" ".join(card.prompt.split()))
        )
        self.query_one("#model-answer", Static).update(Text(card.answer))
        self.query_one("#key-points", Static).update(self._points_text(card))
        self.query_one("#suggestion", Static).update(self._suggestion_text())
        for rating in Rating:
            button = self.query_one(f"#rate-{int(rating)}", Button)
            interval = format_interval(self.intervals[rating])
            button.label = f"{int(rating)} {RATING_NAMES[rating]} · {interval}"
            button.set_class(self._suggested() == rating, "suggested")
        scroller = self.query_one("#card", VerticalScroll)
        scroller.focus()
        self.stage = "answer"
        # The verdict first: the engine's answer for a lab card, else the grade.
        first = self.query_one("#drill-lab" if result else "#answer-view")
        self.call_after_refresh(first.scroll_visible, top=True, animate=False)

    def _recap_if_hidden(self, scroll_y: float) -> None:
        # The one-line question shows only while a scroll hides the prompt itself.
        prompt = self.query_one("#prompt", Static)
        wanted = self.stage == "answer" and prompt.virtual_region.y < scroll_y
        recap = self.query_one("#drill-recap")
        if recap.display != wanted:  # a display change lays the screen out again
            recap.display = wanted

    def _points_text(self, card: Card) -> Group | str:
        label = "Talking points" if card.kind == "scenario" else "Key points"
        if not card.key_points:
            return ""
        # A grid keeps wrapped point texts indented under their own column.
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True)
        grid.add_column()
        if self.grade is None:
            for point in card.key_points:
                grid.add_row("  •", Text(point.text))
        else:
            for result in self.grade.points:
                if result.covered:
                    mark = Text("  ✓ covered", style="green")
                elif result.contradicted:
                    mark = Text("  ✗ contradicted", style="red")
                else:
                    mark = Text("  ✗ missed", style="red")
                grid.add_row(mark, Text(result.point.text))
        return Group(Text(label, style="bold"), grid)

    def _suggestion_text(self) -> str | Text:
        if self.verdict is not None:
            return self._verdict_text(self.verdict)
        if self.grade is None:
            return "Rate yourself: 1 Again · 2 Hard · 3 Good · 4 Easy."
        covered = len(self.grade.covered)
        name = RATING_NAMES[self.grade.suggested]
        return Text.assemble(
            f"Your answer covered {covered} of "
            f"{count_of(len(self.grade.points), 'point')}: "
            "suggested ",
            (name, "bold"),
            " (Enter accepts; 1-4 overrule).",
        )

    def _verdict_text(self, verdict: Verdict) -> Text:
        reason = verdict.reason[0].upper() + verdict.reason[1:]
        if verdict.rating is None:
            return Text(
                f"{reason}. Nothing is suggested: rate yourself, 1 Again to 4 Easy."
            )
        return Text.assemble(
            f"{reason}: suggested ",
            (RATING_NAMES[verdict.rating], "bold"),
            " (Enter accepts; 1-4 overrule).",
        )

    def action_accept(self) -> None:
        """Rate with the suggestion, if there is one."""
        if not self._answer_shown():
            return
        suggested = self._suggested()
        if suggested is None:
            self.notify("Choose a rating: 1 Again, 2 Hard, 3 Good, 4 Easy.")
            return
        self.action_rate(int(suggested))

    def _answer_shown(self) -> bool:
        # A rating before the reveal would rate an unseen answer: say what to do.
        if self.stage == "prompt" and self.card is not None:
            self.notify("Reveal the answer first: Space.")
        return self.stage == "answer"

    def action_rate(self, value: int) -> None:
        """Save a rating for the card on screen, then show the next card."""
        if self.card is None or not self._answer_shown():
            return
        rating = Rating(value)
        elapsed = int((time.monotonic() - self.shown_at) * 1000)
        try:
            rated = self.sreflash.context.study.rate(self.card, rating, elapsed)
        except SreflashError as error:
            self.sreflash.report(error)
            return

        self.tally.add(rating)
        self.undoable.append(rated.review_id)
        self.post_message(self.CardRated(self.card, rating))
        if rated.became_leech:
            self.notify(
                f"Card {self.card.id!r} has lapsed {rated.row.lapses} times: it is "
                "now tagged leech and suspended. Rewrite or split it, then "
                "unsuspend it.",
                markup=False,
                title="Leech",
                severity="warning",
                timeout=12,
            )
        self.show_next()

    @on(Button.Pressed, ".rating")
    def _rating_pressed(self, event: Button.Pressed) -> None:
        assert event.button.id is not None
        self.action_rate(int(event.button.id.removeprefix("rate-")))

    def action_undo(self) -> None:
        """Take back the session's last rating, suspend or bury; show its card."""
        if self.stage in ("checking", "done"):
            return
        if not self.undoable:
            self.notify("Nothing to undo in this session.")
            return
        last = self.undoable[-1]
        study = self.sreflash.context.study
        try:
            card = study.unhide(last) if isinstance(last, Hidden) else study.undo(last)
        except SreflashError as error:
            self.sreflash.report(error)
            return
        self.undoable.pop()
        if isinstance(last, Hidden):
            taken_back = "suspending" if last.action == "suspend" else "burying"
            self.notify(f"Undid {taken_back} {last.card.id!r}.", markup=False)
        else:
            self.tally.remove_last()
            if card is not None:
                self.notify(f"Undid the rating of {card.id!r}.", markup=False)
        if card is not None:
            self.show_next(card)

    def action_suspend(self) -> None:
        """Suspend the card on screen: it leaves every queue until unsuspended."""
        if self.card is None or self.stage not in ("prompt", "answer"):
            return
        try:
            hidden = self.sreflash.context.study.set_suspended(self.card.id, True)
        except SreflashError as error:
            self.sreflash.report(error)
            return
        self.undoable.append(hidden)
        self.notify(f"Suspended {self.card.id!r}; u takes it back.", markup=False)
        self.show_next()

    def action_bury(self) -> None:
        """Hide the card on screen until tomorrow."""
        if self.card is None or self.stage not in ("prompt", "answer"):
            return
        try:
            hidden = self.sreflash.context.study.bury(self.card.id)
        except SreflashError as error:
            self.sreflash.report(error)
            return
        self.undoable.append(hidden)
        self.notify(
            f"Buried {self.card.id!r} until tomorrow; u takes it back.", markup=False
        )
        self.show_next()

    def action_finish(self) -> None:
        """End the session now; every rating is already saved."""
        self.lab_cancel.set()
        self.finish()

    def finish(self) -> None:
        """Replace the drill with its summary."""
        from sreflash.screens.summary import SummaryScreen

        self.stage = "done"
        context = self.sreflash.context
        study = context.study
        outlook = [describe_due(study.next_due(self.deck_id), study.now())]
        waiting = study.new_waiting(self.deck_id, kinds=self.kinds)
        new = describe_new(waiting, study.new_left(), context.settings.new_per_day)
        if new:
            outlook.append(new)
        if self.labs_left_out:
            outlook.append(escape(self.labs_left_out))
        session = DrillSession(self.tally, self.undoable)
        self.app.switch_screen(SummaryScreen(session, outlook, self.deck_id))


def _ask_engine() -> tuple[bool, str]:
    # The docker SDK takes a quarter of a second to import: it loads here, in the
    # worker, so the first card never waits for it.
    from sreflash.labs.engine import engine_status

    return engine_status()
