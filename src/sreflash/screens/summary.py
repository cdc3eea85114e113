"""The end of a drill: what was done and when to come back."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Footer, Header, Static

from sreflash.screens.base import AppScreen

if TYPE_CHECKING:
    from sreflash.screens.drill import DrillTally


class SummaryScreen(AppScreen):
    """Cards done, how many were Again, time spent, and the next due card."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,escape,h", "home", "Home"),
        Binding("q", "app.quit", "Quit"),
    ]

    def __init__(self, tally: DrillTally, outlook: list[str]):
        """``outlook`` says, in sentences, when cards are next due."""
        super().__init__()
        self.tally = tally
        self.outlook = outlook

    def compose(self) -> ComposeResult:
        minutes, seconds = divmod(int(time.monotonic() - self.tally.started), 60)
        lines = [
            "[b]Session over[/b]",
            "",
            f"Cards done: {self.tally.done}",
            f"Again: {self.tally.again}",
            f"Time spent: {minutes} min {seconds:02d} s",
            *self.outlook,
            "",
            "Every rating is saved.",
        ]
        yield Header()
        with Vertical(id="summary"):
            yield Static("\n".join(lines), id="summary-text")
        yield Footer()

    def action_home(self) -> None:
        """Back to the home screen."""
        self.sreflash.go_home()
