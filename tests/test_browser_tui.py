"""The card browser: its search, and the screen driven with the Pilot."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from textual.widgets import DataTable, Input, Static

from sreflash.app import SreflashApp
from sreflash.browse import SearchError, card_info, info_lines, parse_query, search
from sreflash.context import Context
from sreflash.scheduling import Rating
from sreflash.screens.browser import BrowserScreen
from sreflash.screens.home import HomeScreen
from sreflash.store import CardRow

SIZE = (120, 40)
END_OF_DAY = datetime(2026, 3, 3, 4, 0, tzinfo=UTC).isoformat()


def text_of(app: SreflashApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def table(app: SreflashApp) -> DataTable[str]:
    return app.screen.query_one("#browser-cards", DataTable)


def first_card(context: Context) -> str:
    return next(context.library.iter_cards()).id


# The search


def test_search_words_and_filters_narrow_the_cards(context: Context) -> None:
    study = context.study
    every = search(study, "")
    cache = search(study, "tag:cache")
    both = search(study, "deck:docker-* TAG:cache layer")

    assert len(every) == len(context.library.cards)
    assert cache and all("cache" in f.card.tags for f in cache)
    assert both and set(f.card.id for f in both) <= set(f.card.id for f in cache)
    for found in both:
        card = found.card
        text = " ".join((card.id, card.topic, card.prompt, card.answer, *card.tags))
        assert "layer" in text.lower()
    # A deck pattern that matches no deck is a typo, not an empty deck.
    with pytest.raises(SearchError, match="deck:nope matches no deck; the decks are"):
        search(study, "deck:nope")
    assert {f.card.topic for f in search(study, "topic:image-size")} == {"image-size"}


def test_search_by_state(context: Context) -> None:
    study = context.study
    card = study.next_card()
    assert card is not None
    study.rate(card, Rating.Again)
    other = first_card(context) if card.id != first_card(context) else "q-build-cache"
    study.set_suspended(other, True)

    assert [f.card.id for f in search(study, "is:learning")] == [card.id]
    assert [f.card.id for f in search(study, "is:due")] == [card.id]
    assert [f.card.id for f in search(study, "is:suspended")] == [other]
    assert len(search(study, "is:new")) == len(context.library.cards) - 1
    leech = list(context.library.iter_cards())[5].id
    with context.store.transaction():
        context.store.put_card(CardRow(leech, "docker-image-design", 2, leech=1))
    assert [f.card.id for f in search(study, "is:leech")] == [leech]
    with pytest.raises(SearchError, match="is:nope is not a state"):
        parse_query("is:nope")


def test_card_info_lists_schedule_and_history(context: Context) -> None:
    study = context.study
    card = study.next_card()
    assert card is not None
    study.rate(card, Rating.Good, duration_ms=4_000)

    info = card_info(study, card.id)
    lines = "\n".join(info_lines(info))

    assert info.row is not None and info.row.stability is not None
    assert info.retrievability == 1.0
    assert "State: learning" in lines
    assert "Next due: 2026-03-02 12:10 UTC" in lines
    assert "Stability:" in lines and "Difficulty:" in lines
    assert "2026-03-02 12:00 UTC  Good   next in   10m    4 s  drill" in lines


# The screen


async def test_browser_opens_from_home_and_shows_the_selected_card(
    context: Context,
) -> None:
    app = SreflashApp(context)

    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("c")
        assert isinstance(app.screen, BrowserScreen)

        assert table(app).row_count == len(context.library.cards)
        assert text_of(app, "#browser-status") == f"{len(context.library.cards)} cards"
        info = text_of(app, "#browser-card")
        assert info.startswith(first_card(context))
        assert "State: new" in info

        await pilot.press("down")
        second = list(context.library.iter_cards())[1].id
        assert text_of(app, "#browser-card").startswith(second)

        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)


async def test_typing_a_search_filters_the_table(context: Context) -> None:
    app = SreflashApp(context)
    expected = [f.card.id for f in search(context.study, "tag:cache")]

    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c", "slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"tag:cache", "enter")

        assert table(app).row_count == len(expected)
        assert isinstance(app.focused, DataTable)
        assert text_of(app, "#browser-card").startswith(expected[0])

        await pilot.press("slash", *" is:nope")
        assert "is:nope is not a state" in text_of(app, "#browser-status")


async def test_suspend_bury_flag_and_reset_are_saved(context: Context) -> None:
    card = context.study.next_card()
    assert card is not None
    context.study.rate(card, Rating.Good)
    store = context.store
    app = SreflashApp(context)

    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        assert text_of(app, "#browser-card").startswith(card.id)

        await pilot.press("s")
        row = store.card_row(card.id)
        assert row is not None and row.suspended == 1
        assert table(app).get_row(card.id)[1] == "suspended"
        state = list(table(app).columns.values())[1]
        assert state.content_width >= len("suspended")  # shown whole, not cut
        await pilot.press("s")
        row = store.card_row(card.id)
        assert row is not None and row.suspended == 0

        await pilot.press("b")
        row = store.card_row(card.id)
        assert row is not None and row.buried_until == END_OF_DAY
        assert table(app).get_row(card.id)[1] == "buried"
        await pilot.press("b")
        row = store.card_row(card.id)
        assert row is not None and row.buried_until is None
        await pilot.press("b")

        await pilot.press("f", "f")
        row = store.card_row(card.id)
        assert row is not None and row.flag == 2
        assert table(app).get_row(card.id)[5] == "orange"

        await pilot.press("R")
        assert store.card_row(card.id) is not None
        assert "Press R again" in text_of(app, "#browser-status")
        await pilot.press("R")
        assert store.card_row(card.id) is None
        assert table(app).get_row(card.id)[1] == "new"
        assert len(store.reviews(card.id)) == 1
