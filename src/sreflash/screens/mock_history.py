"""Past mock interviews, their scores and the trend; the way into a new one."""

from __future__ import annotations

from typing import ClassVar

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Header, Static

from sreflash.mock import mock_history, sparkline, trend
from sreflash.screens.base import AppScreen
from sreflash.wording import local_time


class MockHistoryScreen(AppScreen):
    """Every saved session, oldest first, with a sparkline of the scores."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new", "New mock interview"),
        Binding("escape,q", "back", "Back"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="history-trend")
        yield DataTable(id="history-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="history-hint")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#history-table", DataTable)
        table.add_columns("When", "Questions", "Passed", "Score", "Band", "Scope")
        self.refresh_history()

    def on_screen_resume(self) -> None:
        self.refresh_history()

    def refresh_history(self) -> None:
        """Read the saved sessions again."""
        history = mock_history(self.sreflash.context.store)
        table = self.query_one("#history-table", DataTable)
        table.clear()
        for past in reversed(history):
            scope = " / ".join(x for x in (past.deck_id, past.topic) if x) or "all"
            table.add_row(
                local_time(past.started_at, self.sreflash.context.study.day.zone),
                str(past.questions),
                str(past.passed),
                f"{past.score:.0%}",
                past.band,
                scope,
                key=str(past.id),
            )

        scores = [p.score for p in history]
        line = (
            f"Scores over time: [b]{sparkline(scores)}[/b]  {escape(trend(scores))}"
            if scores
            else "No mock interview yet."
        )
        self.query_one("#history-trend", Static).update(line)
        settings = self.sreflash.context.settings
        self.query_one("#history-hint", Static).update(
            f"n starts a mock interview: {settings.mock_questions} questions, "
            f"{settings.mock_minutes:g} minutes each."
        )

    def action_new(self) -> None:
        """Start a mock interview with the default settings."""
        self.sreflash.start_mock()

    def action_back(self) -> None:
        """Back to where you came from."""
        self.dismiss()
