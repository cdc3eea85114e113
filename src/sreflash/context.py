"""One way to assemble sreflash: store, decks, settings and clock together.

The CLI, the TUI, the tests and the benchmarks all build the app through
:func:`open_context`, passing whatever they want to choose themselves.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sreflash import paths
from sreflash.clock import Clock, SystemClock
from sreflash.config import Settings, load_settings
from sreflash.decks import Library, load_library
from sreflash.errors import ConfigError
from sreflash.store import Store
from sreflash.study import Study


@dataclass
class Context:
    """Everything a screen or a command needs."""

    store: Store
    library: Library
    settings: Settings
    clock: Clock
    study: Study
    problems: list[ConfigError] = field(default_factory=list)
    deck_dirs: tuple[Path, ...] = ()

    def close(self) -> None:
        """Close the database."""
        self.store.close()


def deck_dirs(extra: Iterable[Path] = ()) -> tuple[Path, ...]:
    """The bundled decks, the user's deck folder, then any folders given."""
    return (paths.bundled_decks_dir(), paths.user_decks_dir(), *extra)


def deck_cache_dir() -> Path:
    """Where validated decks are cached (see ``deck_cache``)."""
    return paths.cache_dir() / "decks"


def open_context(
    *,
    db: Path | None = None,
    decks: Iterable[Path] = (),
    bundled: bool = True,
    settings: Settings | None = None,
    clock: Clock | None = None,
    fuzz: bool = True,
    store: Store | None = None,
) -> Context:
    """Open the database, load decks and settings, and tie them together.

    Args:
        db: the database file; defaults to the user's (``SREFLASH_DB`` honoured).
        decks: deck folders or files to load besides the default ones.
        bundled: whether to load the bundled decks and the user's deck folder.
        settings: settings to use instead of reading the settings file.
        clock: the clock; the system's by default.
        fuzz: FSRS interval fuzzing.
        store: an already open store (then ``db`` is ignored).
    """
    problems: list[ConfigError] = []
    if settings is None:
        settings, problems = load_settings(paths.config_path())
    dirs = deck_dirs(decks) if bundled else tuple(decks)
    library = load_library(dirs, deck_cache_dir())
    store = store or Store.open(db or paths.db_path())
    clock = clock or SystemClock()
    study = Study(store, library, settings, clock, fuzz=fuzz)
    return Context(store, library, settings, clock, study, problems, dirs)
