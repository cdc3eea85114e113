"""The one error family of sreflash.

Every failure a user can cause or meet (a bad deck, a bad setting, an unreachable
Docker engine, a locked database) is raised as a subclass of :class:`SreflashError`.
The CLI prints ``str(error)`` on stderr and exits non-zero; the TUI shows it with
``notify``. Nothing else should reach a user.
"""

from __future__ import annotations


class SreflashError(Exception):
    """Base of every error meant to be shown to a user.

    Args:
        message: One sentence naming the file, line, card or value at fault.
    """

    title = "Error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class DeckError(SreflashError):
    """A deck file could not be read or does not follow the deck format."""

    title = "Deck error"

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        card: str | None = None,
    ) -> None:
        where = ""
        if path is not None:
            where = path if line is None else f"{path}, line {line}"
            where += f" (card {card!r})" if card else ""
            where += ": "
        super().__init__(f"{where}{message}")
        self.path = path
        self.line = line
        self.card = card


class ConfigError(SreflashError):
    """A setting has a value outside what it allows."""

    title = "Settings error"


class StoreError(SreflashError):
    """The database could not be opened, read or written."""

    title = "Database error"


class UnknownCardError(SreflashError):
    """A card id names no card in the loaded decks."""

    title = "Unknown card"


class LabError(SreflashError):
    """A lab file is invalid or a lab could not be run."""

    title = "Lab error"


class DockerUnavailableError(LabError):
    """No Docker engine answers; lab checks cannot run."""

    title = "Docker unavailable"


class LabCancelledError(LabError):
    """The learner stopped a lab run; what it had created was removed."""

    title = "Lab cancelled"
