"""The home screen: every deck with today's counts."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Header, Static

from sreflash.decks import DRILL_KINDS
from sreflash.screens.base import AppScreen
from sreflash.study import DeckCounts
from sreflash.wording import count_of, describe_new

ALL_ROW = "__all__"


class HomeScreen(AppScreen):
    """Decks and what each has due today; the place every session starts."""

    BINDINGS: ClassVar[list[BindingType]] = [
        # Short names: nine keys must fit an 80-column footer.
        Binding("enter,space", "drill_selected", "Drill deck", key_display="⏎"),
        Binding("d", "drill_all", "Drill all"),
        Binding("m", "mock", "Mock"),
        Binding("r", "refresh", "Refresh", show=False),
        Binding("S", "stats", "Stats"),
        Binding("c", "cards", "Cards"),
        Binding("l", "labs", "Labs"),
        Binding("q", "app.quit", "Quit"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="home-summary")
        yield DataTable(id="decks", cursor_type="row", zebra_stripes=True)
        yield Static(id="home-notes", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#decks", DataTable)
        table.add_columns("Deck", "New", "Learn", "Due", "Total")

    def on_screen_resume(self) -> None:
        # Counting a large collection takes a moment: skip it when another screen
        # was opened straight over this one (`sreflash drill`); it runs on return.
        if self.app.screen is self:
            self.action_refresh()

    def action_refresh(self) -> None:
        """Recount every deck."""
        context = self.sreflash.context
        study = context.study
        table = self.query_one("#decks", DataTable)
        table.clear()

        for deck in context.library.decks:
            counts = study.counts(deck.id, kinds=DRILL_KINDS)
            # A Text cell: a deck title is the author's words, never markup.
            cells = _cells(counts, len(deck.cards))
            table.add_row(Text(deck.title), *cells, key=deck.id)
        total = study.counts(kinds=DRILL_KINDS)
        every = len(context.library.cards)
        table.add_row("All decks", *_cells(total, every), key=ALL_ROW)

        waiting = total.new + total.learning + total.due
        unseen = study.new_waiting(kinds=DRILL_KINDS)
        if waiting:
            summary = (
                f"{count_of(waiting, 'card')} waiting today: {total.new} new, "
                f"{total.learning} learning, {total.due} to review (lab cards "
                "aside: they join a drill when Docker answers)."
            )
        elif unseen:
            per_day = context.settings.new_per_day
            summary = f"Nothing more today. {describe_new(unseen, 0, per_day)}"
        else:
            summary = "Nothing due: come back tomorrow, or add a deck."
        self.query_one("#home-summary", Static).update(summary)
        notes = [f"Skipped {e}" for e in context.library.errors]
        self.query_one("#home-notes", Static).update("\n".join(notes))

    def action_mock(self) -> None:
        """Past mock interviews and the way into a new one."""
        from sreflash.screens.mock_history import MockHistoryScreen

        self.app.push_screen(MockHistoryScreen())

    def action_drill_all(self) -> None:
        """Drill every deck."""
        self.sreflash.start_drill(None)

    def action_drill_selected(self) -> None:
        """Drill the deck under the cursor."""
        table = self.query_one("#decks", DataTable)
        if table.row_count == 0:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        self.sreflash.start_drill(None if key == ALL_ROW else key)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        key = event.row_key.value
        self.sreflash.start_drill(None if key == ALL_ROW else key)

    def action_stats(self) -> None:
        """Open the statistics."""
        from sreflash.screens.stats import StatsScreen

        self.app.push_screen(StatsScreen())

    def action_cards(self) -> None:
        """Open the card browser."""
        from sreflash.screens.browser import BrowserScreen

        self.app.push_screen(BrowserScreen())

    def action_labs(self) -> None:
        """Open the labs."""
        self.sreflash.start_lab()


def _cells(counts: DeckCounts, total: int) -> tuple[str, str, str, str]:
    # The total counts lab cards too; the others are what a drill would show.
    return str(counts.new), str(counts.learning), str(counts.due), str(total)
