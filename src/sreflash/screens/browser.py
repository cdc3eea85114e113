"""The card browser: search every card, see one card's history, manage it."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Footer, Header, Input, Static

from sreflash.browse import FLAGS, Found, card_info, info_lines, search
from sreflash.errors import SreflashError
from sreflash.screens.base import AppScreen
from sreflash.wording import count_of

PLACEHOLDER = "Search: words, deck:ID, topic:NAME, tag:NAME, is:due|new|suspended|leech"


class BrowserScreen(AppScreen):
    """Every card, filtered by a search line, with the selected card's details."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_search", "Search", key_display="/"),
        Binding("s", "toggle_suspend", "Suspend/unsuspend"),
        Binding("b", "toggle_bury", "Bury/unbury"),
        Binding("f", "flag", "Flag"),
        Binding("R", "reset", "Reset to new", key_display="R"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, query: str = "") -> None:
        super().__init__()
        self.initial_query = query
        self.found: list[Found] = []
        self.pending_reset: str | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(self.initial_query, placeholder=PLACEHOLDER, id="browser-search")
        with Horizontal(id="browser-body"):
            yield DataTable(id="browser-cards", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="browser-info"):
                yield Static(id="browser-card", markup=False)
        yield Static(id="browser-status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#browser-cards", DataTable)
        # State and due first: at 80 columns the rest may scroll out of view.
        table.add_columns("Card", "State", "Due", "Topic", "Lapses", "Flag", "Deck")
        self.run_search(self.initial_query)
        table.focus()

    # Searching

    @on(Input.Changed, "#browser-search")
    def _search_changed(self, event: Input.Changed) -> None:
        self.run_search(event.value)

    @on(Input.Submitted, "#browser-search")
    def _search_submitted(self) -> None:
        self.query_one("#browser-cards", DataTable).focus()

    def run_search(self, text: str) -> None:
        """Fill the table with the cards matching ``text``."""
        status = self.query_one("#browser-status", Static)
        try:
            self.found = search(self.sreflash.context.study, text)
        except SreflashError as error:
            status.update(error.message)
            return
        table = self.query_one("#browser-cards", DataTable)
        table.clear()
        for found in self.found:
            table.add_row(*_cells(found), key=found.card.id)
        status.update(count_of(len(self.found), "card"))
        self.show_card(self.current_id())

    def current_id(self) -> str | None:
        """The id of the card under the cursor."""
        table = self.query_one("#browser-cards", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return str(key) if key is not None else None

    @on(DataTable.RowHighlighted, "#browser-cards")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.pending_reset = None
        self.show_card(str(event.row_key.value))

    def show_card(self, card_id: str | None) -> None:
        """Show everything known about one card."""
        panel = self.query_one("#browser-card", Static)
        if card_id is None:
            panel.update("No card matches.")
            return
        info = card_info(self.sreflash.context.study, card_id)
        lines = [*info_lines(info), "", "Answer:", info.card.answer.strip()]
        panel.update("\n".join(lines))

    # Actions on the card under the cursor

    def _act(self, verb: str) -> str | None:
        card_id = self.current_id()
        if card_id is None:
            self.notify("No card selected.", severity="warning")
            return None
        if verb != "reset":
            self.pending_reset = None
        return card_id

    def _refresh_card(self, card_id: str, message: str) -> None:
        info = card_info(self.sreflash.context.study, card_id)
        table = self.query_one("#browser-cards", DataTable)
        for column, value in zip(table.columns, _cells(info.found), strict=True):
            # Wider if need be: "suspended" must not show as "suspende".
            table.update_cell(card_id, column, value, update_width=True)
        self.show_card(card_id)
        self.query_one("#browser-status", Static).update(message)

    def action_focus_search(self) -> None:
        """Move to the search line."""
        self.query_one("#browser-search", Input).focus()

    def action_back(self) -> None:
        """Leave the search line, or the browser."""
        if self.query_one("#browser-search", Input).has_focus:
            self.query_one("#browser-cards", DataTable).focus()
        else:
            self.dismiss()

    def action_toggle_suspend(self) -> None:
        """Suspend the card, or bring a suspended card back."""
        card_id = self._act("suspend")
        if card_id is None:
            return
        study = self.sreflash.context.study
        row = study.store.card_row(card_id)
        suspend = not (row is not None and row.suspended)
        study.set_suspended(card_id, suspend)
        self._refresh_card(
            card_id, f"{'Suspended' if suspend else 'Unsuspended'} {card_id}"
        )

    def action_toggle_bury(self) -> None:
        """Hide the card until the next study day, or bring a buried card back."""
        card_id = self._act("bury")
        if card_id is None:
            return
        study = self.sreflash.context.study
        if "buried" in card_info(study, card_id).found.states:
            study.unbury(card_id)
            self._refresh_card(card_id, f"Unburied {card_id}")
        else:
            study.bury(card_id)
            self._refresh_card(card_id, f"Buried {card_id} until tomorrow")

    def action_flag(self) -> None:
        """Cycle the card's flag: red, orange, green, blue, none."""
        card_id = self._act("flag")
        if card_id is None:
            return
        study = self.sreflash.context.study
        row = study.store.card_row(card_id)
        flag = ((row.flag if row else 0) + 1) % len(FLAGS)
        study.set_flag(card_id, flag)
        self._refresh_card(card_id, f"Flag of {card_id}: {FLAGS[flag] or 'none'}")

    def action_reset(self) -> None:
        """Make the card new again; asks for a second press first."""
        card_id = self._act("reset")
        if card_id is None:
            return
        if self.pending_reset != card_id:
            self.pending_reset = card_id
            self.query_one("#browser-status", Static).update(
                f"Press R again to forget the progress of {card_id} "
                "(its review history is kept)."
            )
            return
        self.pending_reset = None
        self.sreflash.context.study.reset(card_id)
        self._refresh_card(card_id, f"Reset {card_id} to new")


def _cells(found: Found) -> tuple[str, str, str, str, str, str, str]:
    row = found.row
    return (
        found.card.id,
        found.state,
        found.due,
        found.card.topic,
        str(row.lapses) if row else "0",
        FLAGS.get(row.flag, "") if row else "",
        found.card.deck_id,
    )
