"""What every full screen of sreflash shares."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.screen import Screen

if TYPE_CHECKING:
    from sreflash.app import SreflashApp


class AppScreen(Screen[None]):
    """A full screen of the sreflash app."""

    @property
    def sreflash(self) -> SreflashApp:
        """The app, typed: its context, reports and ways to other screens."""
        return cast("SreflashApp", self.app)
