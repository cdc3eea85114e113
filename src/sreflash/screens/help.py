"""Help: the keys of the screen it was opened from."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

GENERAL = (
    "sreflash drills interview material with spaced repetition (FSRS). Rate "
    "honestly: Again when you could not answer, Hard when it took real effort, Good "
    "when you knew it, Easy when it was trivial. Every rating is saved at once.\n"
)


class HelpScreen(ModalScreen[None]):
    """Lists the keys of the screen below it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "Close"),
    ]

    def __init__(self, under: Screen[object]) -> None:
        super().__init__()
        self.under = under

    def compose(self) -> ComposeResult:
        lines = [GENERAL, "Keys here:"]
        keys: list[tuple[str, str]] = getattr(self.under, "HELP_KEYS", None) or [
            (b.key_display or b.key, b.description) for b in self._keys_below()
        ]
        for key, description in keys:
            lines.append(f"  {key:>10}  {description}")
        lines.append(f"  {'?':>10}  This help")
        lines.append(f"  {'ctrl+q':>10}  Quit sreflash")
        with VerticalScroll(id="help-box"):
            yield Static("\n".join(lines), id="help-text", markup=False)
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
