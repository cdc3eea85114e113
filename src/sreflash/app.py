"""The Textual application: only the App; screens live in ``screens/``."""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING, ClassVar

from textual import events
from textual.app import App
from textual.binding import Binding, BindingType

from sreflash.context import Context
from sreflash.errors import SreflashError
from sreflash.wording import count_of

if TYPE_CHECKING:
    from sreflash.mock import MockOptions

# Deck errors shown as toasts at start; a summary toast stands for the rest.
TOASTED_ERRORS = 2
# The smallest terminal that shows a card, its answer and the ratings (columns,
# rows); 80x24 is the size everything is laid out for.
MIN_SIZE = (60, 20)


class SreflashApp(App[None]):
    """sreflash in the terminal."""

    TITLE = "sreflash"
    # Every action has its own key and `?` lists them; the palette's footer entry
    # would only crowd an 80-column footer.
    ENABLE_COMMAND_PALETTE = False
    CSS_PATH = "sreflash.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help", key_display="?"),
        # Where a text box takes "?" (a mock interview), F1 still opens the help.
        Binding("f1", "help", "Help", show=False, priority=True),
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True),
    ]

    def __init__(
        self,
        context: Context,
        *,
        start: str = "home",
        deck_id: str | None = None,
        mock: MockOptions | None = None,
    ) -> None:
        super().__init__()
        self.context = context
        self.start = start
        self.start_deck = deck_id
        self.start_mock_options = mock
        self.told_small = False
        if context.settings.theme in self.available_themes:
            self.theme = context.settings.theme

    def on_load(self) -> None:
        # The decks and modules loaded before the app starts live as long as it
        # does: set them aside from the cycle collector, whose full passes would
        # otherwise walk every card of a large collection in the middle of a drill.
        gc.freeze()

    def on_unmount(self) -> None:
        # A process that runs several apps (the tests) lets their objects go.
        gc.unfreeze()

    def on_resize(self, event: events.Resize) -> None:
        # Below this a card, its answer and the ratings cannot all show: say so
        # once, rather than leave an empty answer area to puzzle over.
        small = event.size.width < MIN_SIZE[0] or event.size.height < MIN_SIZE[1]
        if small and not self.told_small:
            self.notify(
                f"The terminal is {event.size.width}x{event.size.height}; sreflash "
                f"needs {MIN_SIZE[0]}x{MIN_SIZE[1]} or more to show a whole card.",
                title="Terminal too small",
                severity="warning",
                timeout=8,
            )
        self.told_small = small

    def on_mount(self) -> None:
        from sreflash.screens.home import HomeScreen

        # `sreflash drill` opens on its first card without building the home screen
        # beneath it (a tenth of a second); the summary opens home on the way out.
        if self.start != "drill":
            self.push_screen(HomeScreen())
        if self.start == "drill":
            self.start_drill(self.start_deck)
        elif self.start == "mock":
            self.start_mock(self.start_mock_options)
        # A few toasts, not one per error: a folder of broken decks would bury
        # the screen. The home screen and `decks check` list them all.
        errors = self.context.library.errors
        for error in errors[:TOASTED_ERRORS]:
            self.notify(
                str(error),
                title="Deck skipped",
                severity="warning",
                timeout=10,
                markup=False,
            )
        if len(errors) > TOASTED_ERRORS:
            more = count_of(len(errors) - TOASTED_ERRORS, "more deck error")
            self.notify(
                f"{more}: the home screen and `sreflash decks check` list them all.",
                title="Decks skipped",
                severity="warning",
                timeout=10,
                markup=False,
            )
        read_only = self.context.store.read_only()
        if read_only is not None:
            self.notify(
                f"{read_only}: ratings cannot be saved until it can be written.",
                title="Database read-only",
                severity="error",
                timeout=15,
                markup=False,
            )
        for problem in self.context.problems:
            self.notify(
                str(problem),
                title=problem.title,
                severity="warning",
                timeout=10,
                markup=False,
            )

    def start_drill(self, deck_id: str | None = None) -> None:
        """Open a drill over one deck or all."""
        from sreflash.screens.drill import DrillScreen

        self.push_screen(DrillScreen(deck_id))

    def go_home(self) -> None:
        """Close the current screen for the home screen, opening it if need be."""
        from sreflash.screens.home import HomeScreen

        below = self.screen_stack[-2] if len(self.screen_stack) > 1 else None
        if isinstance(below, HomeScreen):
            self.pop_screen()
        else:
            self.switch_screen(HomeScreen())

    def start_mock(self, options: MockOptions | None = None) -> None:
        """Open a mock interview; the settings give the defaults."""
        from sreflash.mock import MockOptions
        from sreflash.screens.mock import MockScreen

        if options is None:
            settings = self.context.settings
            options = MockOptions(settings.mock_questions, settings.mock_minutes)
        self.push_screen(MockScreen(options))

    def start_lab(self) -> None:
        """Open the labs: the guided runs against a real Docker engine."""
        from sreflash.screens.lab import LabScreen

        self.push_screen(LabScreen())

    def action_help(self) -> None:
        """Show the keys of the current screen."""
        from sreflash.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def report(self, error: SreflashError) -> None:
        """Show a user-facing error without stopping the app."""
        # Messages quote decks and settings, so brackets in them are text, not markup.
        self.notify(
            error.message,
            title=error.title,
            severity="error",
            timeout=10,
            markup=False,
        )
