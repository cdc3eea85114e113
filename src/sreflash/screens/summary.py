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
    from sreflash.screens.drill import DrillSession


class SummaryScreen(AppScreen):
    """Cards done, how many were Again, time spent, and the next due card."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,escape,h", "home", "Home"),
        Binding("u", "undo", "Undo last"),
        Binding("q", "app.quit", "Quit"),
    ]

    def __init__(
        self, session: DrillSession, outlook: list[str], deck_id: str | None = None
    ):
        """``outlook`` says, in sentences, when cards are next due."""
        super().__init__()
        self.session = session
        self.tally = session.tally
        self.outlook = outlook
        self.deck_id = deck_id

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

    def action_undo(self) -> None:
        """Take back the session's last step and go on with the drill from there."""
        from sreflash.screens.drill import DrillScreen

        if not self.session.undoable:
            self.notify("Nothing to undo in this session.")
            return
        self.app.switch_screen(DrillScreen(self.deck_id, resume=self.session))
