"""Help: the keys of the screen it was opened from."""

from __future__ import annotations

from typing import ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

GENERAL = (
    "sreflash drills interview material with spaced repetition (FSRS). Every "
    "rating is saved at once."
)
# What a drill's help opens with; other screens say what they are about instead.
RATING_ADVICE = (
    "Rate honestly: Again when you could not answer, Hard when it took real effort, "
    "Good when you knew it, Easy when it was trivial. Every rating is saved at once."
)


class HelpScreen(ModalScreen[None]):
    """Lists the keys of the screen below it, after what that screen is for."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "Close"),
    ]

    def __init__(self, under: Screen[object]) -> None:
        super().__init__()
        self.under = under

    def compose(self) -> ComposeResult:
        intro: str = getattr(self.under, "HELP_INTRO", GENERAL)
        keys: list[tuple[str, str]] = getattr(self.under, "HELP_KEYS", None) or [
            # "enter,escape,h" is Textual's way of binding three keys: say each.
            (b.key_display or " ".join(b.key.split(",")), b.description)
            for b in self._keys_below()
        ]
        # A grid, so that a long description wraps under itself, not under its key.
        table = Table.grid(padding=(0, 2))
        table.add_column(justify="right", no_wrap=True)
        table.add_column()
        for key, description in [
            *keys,
            ("?", "This help"),
            ("ctrl+q", "Quit sreflash"),
        ]:
            table.add_row(Text(key), Text(description))
        content = Group(Text(intro), Text(), Text("Keys here:"), table)
        with VerticalScroll(id="help-box"):
            yield Static(content, id="help-text")
            yield Static("esc closes", classes="dim")

    def _keys_below(self) -> list[Binding]:
        seen: set[str] = set()
        found = []
        for item in getattr(self.under, "BINDINGS", []):
            if (
                isinstance(item, Binding)
                and item.description
                and item.action not in seen
            ):
                seen.add(item.action)
                found.append(item)
        return found
