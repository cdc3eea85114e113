"""The report at the end of a mock interview: overrule, save, write Markdown."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import ClassVar

from rich.markup import escape
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Footer, Header, Static

from sreflash import paths
from sreflash.errors import SreflashError
from sreflash.mock import (
    Answer,
    MockReport,
    describe_seconds,
    save_report,
    write_report,
)
from sreflash.screens.base import AppScreen
from sreflash.study import Study

log = logging.getLogger(__name__)


# Room left for the prompt so the table fits 80 columns.
PROMPT_WIDTH = 26


def default_report_path(report: MockReport) -> Path:
    """Where the report key writes when no ``--report`` file was given."""
    stamp = report.started_at.strftime("%Y%m%d-%H%M%S")
    return paths.data_dir() / "reports" / f"mock-{stamp}.md"


class MockReportScreen(AppScreen):
    """Per question: the answer, its score, covered and missed points, the time and
    the model answer; overall: the score, a band, weak topics and what to drill."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("o", "overrule", "Overrule"),
        Binding("s", "save", "Save"),
        Binding("w", "markdown", "Markdown"),
        Binding("h", "history", "History"),
        Binding("escape,q", "close", "Close"),
    ]
    HELP_INTRO = (
        "The report of a mock interview. Overrule any verdict you disagree with "
        "before saving: once saved, each answered card gets an FSRS review, a pass "
        "as Good and a fail as Again (unless --no-schedule was given)."
    )
    HELP_KEYS: ClassVar[list[tuple[str, str]]] = [
        ("↑ ↓", "Choose an answer; its details show below"),
        ("o", "Overrule the chosen answer's verdict"),
        ("s", "Save the session and schedule the answered cards"),
        ("w", "Write the report as Markdown (to --report, or the data folder)"),
        ("h", "Past sessions and the trend"),
        ("esc q", "Save, if not saved yet, and close"),
    ]

    def __init__(self, report: MockReport) -> None:
        super().__init__()
        self.report = report

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="report-summary")
        yield DataTable(id="report-table", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="report-detail"):
            yield Static(id="report-answer")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#report-table", DataTable)
        table.add_columns("#", "Question", "Topic", "Score", "Verdict", "Time")
        self.refresh_report()
        table.focus()

    def refresh_report(self) -> None:
        """Redraw the summary and the table from the report."""
        report = self.report
        table = self.query_one("#report-table", DataTable)
        row = table.cursor_row
        table.clear()
        for answer in report.answers:
            table.add_row(*_cells(answer), key=str(answer.position))
        if report.answers:
            table.move_cursor(row=min(row, len(report.answers) - 1))

        weak = ", ".join(report.weakest_topics()) or "none"
        drill = ", ".join(report.drill_next()) or "nothing"
        saved = (
            f"Saved as session {report.session_id}."
            if report.session_id is not None
            else "Not saved yet: overrule any verdict you disagree with (o), then "
            "save (s)."
        )
        self.query_one("#report-summary", Static).update(
            f"[b]Score {report.score:.0%}[/b] · {report.passed} of "
            f"{len(report.answers)} passed · [b]{escape(report.band)}[/b]\n"
            f"Weakest topics: {escape(weak)}\nDrill next: {escape(drill)}\n{saved}"
        )
        self._show_answer()

    def _selected(self) -> Answer | None:
        table = self.query_one("#report-table", DataTable)
        if not self.report.answers:
            return None
        return self.report.answers[min(table.cursor_row, len(self.report.answers) - 1)]

    def _show_answer(self) -> None:
        answer = self._selected()
        if answer is not None:
            self.query_one("#report-answer", Static).update(answer_text(answer))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_answer()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("overrule", "save"):
            return self.report.session_id is None
        return True

    # Actions

    def action_overrule(self) -> None:
        """Flip the verdict of the selected answer, before saving."""
        answer = self._selected()
        if answer is None:
            return
        try:
            self.report.overrule(answer.position)
        except SreflashError as error:
            self.sreflash.report(error)
            return
        self.refresh_report()

    def action_save(self) -> bool:
        """Save the session and schedule the answered cards; True when saved."""
        if self.report.session_id is not None:
            return True
        try:
            session_id = save_report(self.sreflash.context.study, self.report)
        except SreflashError as error:
            self.sreflash.report(error)
            return False

        reviewed = sum(not a.skipped for a in self.report.answers)
        scheduled = (
            f"; {reviewed} cards scheduled for review"
            if self.report.options.schedule
            else ""
        )
        self.notify(f"Saved as session {session_id}{scheduled}.", title="Saved")
        if self.report.options.report_path is not None:
            self.action_markdown()
        self.refresh_report()
        self.refresh_bindings()
        return True

    def action_markdown(self) -> None:
        """Write the report as Markdown (to ``--report`` or the data folder)."""
        path = self.report.options.report_path or default_report_path(self.report)
        try:
            write_report(self.report, path, self.sreflash.context.study.day.zone)
        except SreflashError as error:
            self.sreflash.report(error)
            return
        self.notify(f"Report written to {path}.", title="Markdown", markup=False)

    def action_history(self) -> None:
        """Show past sessions and the trend."""
        from sreflash.screens.mock_history import MockHistoryScreen

        self.app.push_screen(MockHistoryScreen())

    def action_close(self) -> None:
        """Save, if not saved yet, and go back."""
        if self.action_save():
            self.dismiss()

    def on_unmount(self) -> None:
        # Quitting the app from the report (ctrl+q) must not lose the interview:
        # whatever verdicts stand by then are saved.
        if self.report.session_id is None:
            save_on_exit(self.sreflash.context.study, self.report)


def save_on_exit(study: Study, report: MockReport) -> None:
    """Save a report nobody saved, and write its ``--report`` file, as the app quits.

    There is no screen left to show an error on, so failures go to the log.
    """
    try:
        save_report(study, report)
        if report.options.report_path is not None:
            write_report(report, report.options.report_path, study.day.zone)
    except SreflashError as error:
        log.warning("mock session not saved on exit: %s", error)


def answer_text(answer: Answer) -> Text:
    """One answer for the screen: styled, with every deck and learner word literal."""
    card = answer.card
    text = Text()
    text.append(f"{answer.position}. ", style="bold")
    text.append(" ".join(card.prompt.split()), style="bold")
    facts = [card.id, card.topic, f"score {answer.score:.0%}", answer.verdict]
    if answer.overruled:
        facts.append("overruled by you")
    facts.append(describe_seconds(answer.seconds))
    if answer.timed_out:
        facts.append("timed out")
    text.append("\n" + " · ".join(facts) + "\n\n", style="dim")

    text.append("Your answer\n", style="bold")
    if answer.skipped:
        text.append("Skipped.\n", style="italic")
    elif answer.text.strip():
        text.append(answer.text.strip() + "\n")
    else:
        text.append("No answer.\n", style="italic")
    # A point stated the wrong way round is told apart from one left out.
    for title, points, style in (
        ("Covered", answer.covered, "green"),
        ("Stated the wrong way round", answer.contradicted, "red"),
        ("Missed", answer.left_out, "red"),
    ):
        if points:
            text.append(f"\n{title}\n", style=f"bold {style}")
            for point in points:
                text.append(f"  • {point}\n")
    text.append("\nModel answer\n", style="bold")
    text.append(card.answer.strip())
    return text


def _cells(answer: Answer) -> tuple[str, ...]:
    prompt = " ".join(answer.card.prompt.split())
    if len(prompt) > PROMPT_WIDTH:
        prompt = prompt[: PROMPT_WIDTH - 1] + "…"
    verdict = answer.verdict + (" (you)" if answer.overruled else "")
    # Short enough for the last column at 80: the seconds are in the detail below.
    time = describe_seconds(answer.seconds)
    if answer.skipped:
        time = "skipped"
    elif answer.timed_out:
        time = "time up"
    return (
        str(answer.position),
        prompt,
        answer.card.topic,
        f"{answer.score:.0%}",
        verdict,
        time,
    )
