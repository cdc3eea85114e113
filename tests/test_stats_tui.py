"""The stats screen in the real app, opened from home with the Pilot."""

from __future__ import annotations

import io
from datetime import timedelta

from rich.console import Console
from textual.widgets import Static
from textual_plotext import PlotextPlot

from sreflash.app import SreflashApp
from sreflash.clock import FrozenClock
from sreflash.context import Context
from sreflash.decks import DRILL_KINDS
from sreflash.scheduling import Rating
from sreflash.screens.home import HomeScreen
from sreflash.screens.stats import StatsScreen

SIZE = (100, 40)


def text_of(app: SreflashApp, selector: str) -> str:
    """What a Static shows, tables included, as plain text."""
    console = Console(width=SIZE[0], file=io.StringIO())
    with console.capture() as captured:
        console.print(app.screen.query_one(selector, Static).content)
    return captured.get()


def study_three_days(context: Context) -> None:
    """Three cards learned and then reviewed: one review fails on day three."""
    clock = context.clock
    assert isinstance(clock, FrozenClock)
    study = context.study
    cards = []
    for _ in range(3):
        card = study.next_card(kinds=DRILL_KINDS)
        assert card is not None
        study.rate(card, Rating.Easy, duration_ms=30_000)
        cards.append(card)
    clock.advance(timedelta(days=30))
    for card, rating in zip(
        cards, (Rating.Good, Rating.Again, Rating.Good), strict=True
    ):
        study.rate(card, rating, duration_ms=30_000)


async def test_stats_screen_opens_from_home_and_shows_the_figures(
    context: Context,
) -> None:
    study_three_days(context)
    app = SreflashApp(context)

    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("S")
        assert isinstance(app.screen, StatsScreen)

        today = text_of(app, "#stats-today")
        assert "3 reviews (0 new, 1 again) in 2 min" in today
        assert "studied 1 of the last 30 days" in today
        retention = text_of(app, "#stats-retention")
        assert "67% of 3" in retention
        heatmap = text_of(app, "#stats-heatmap")
        assert "Reviews, last 12 weeks" in heatmap
        assert "busiest day: 3" in heatmap
        weak = text_of(app, "#stats-weak")
        assert "Weakest cards" in weak
        assert app.screen.query_one("#stats-forecast", PlotextPlot).display
        assert not app.screen.query_one("#stats-mocks", PlotextPlot).display
        assert "no runs yet" in text_of(app, "#stats-labs")

        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)


async def test_stats_refresh_picks_up_new_reviews(context: Context) -> None:
    app = SreflashApp(context)

    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("S")
        assert "0 reviews" in text_of(app, "#stats-today")

        card = context.study.next_card(kinds=DRILL_KINDS)
        assert card is not None
        context.study.rate(card, Rating.Good, duration_ms=5_000)
        await pilot.press("r")

        assert "1 reviews (1 new, 0 again) in 5 s" in text_of(app, "#stats-today")
