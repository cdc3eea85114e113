"""Settings: a TOML file in the user's config dir, every key optional.

A bad value never stops the app: it is reported in one sentence naming the key and
what it allows, and that key alone falls back to its default.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sreflash import paths
from sreflash.errors import ConfigError

THEMES = ("textual-dark", "textual-light", "nord", "gruvbox", "dracula", "monokai")


def _setting(
    default: Any, doc: str, low: float | None = None, high: float | None = None
) -> Any:
    return field(default=default, metadata={"doc": doc, "low": low, "high": high})


@dataclass(frozen=True)
class Settings:
    """Every setting of sreflash, with its default."""

    desired_retention: float = _setting(
        0.9, "Probability of recall FSRS aims for at each review.", 0.7, 0.99
    )
    new_per_day: int = _setting(10, "New cards introduced per study day.", 0, 9999)
    max_reviews_per_day: int = _setting(
        200, "Reviews shown per study day, at most.", 0, 99999
    )
    day_start_hour: int = _setting(
        4, "Local hour at which a new study day begins.", 0, 23
    )
    timezone: str = _setting(
        "",
        "IANA time zone for the study day, such as Europe/Paris; empty: the system's.",
    )
    learn_ahead_minutes: int = _setting(
        20,
        "Show a learning card early when nothing else is due, up to this many minutes.",
        0,
        1440,
    )
    mock_questions: int = _setting(6, "Questions in a mock interview.", 1, 50)
    mock_minutes: float = _setting(
        3.0, "Minutes per mock interview question.", 0.25, 60
    )
    leech_threshold: int = _setting(
        8, "Lapses after which a card is tagged leech and suspended.", 2, 99
    )
    theme: str = _setting("textual-dark", f"TUI theme: one of {', '.join(THEMES)}.")

    def zone(self) -> ZoneInfo | None:
        """The configured time zone, or None for the system's."""
        return ZoneInfo(self.timezone) if self.timezone else None


def describe() -> list[tuple[str, Any, str]]:
    """Each key with its default and its documentation, in file order."""
    return [(f.name, f.default, f.metadata["doc"]) for f in fields(Settings)]


def allowed(key: str) -> str:
    """What a key accepts, in words: ``0.7 to 0.99``, ``one of ...``."""
    spec = next(f for f in fields(Settings) if f.name == key)
    low, high = spec.metadata["low"], spec.metadata["high"]
    if low is not None:
        kind = "whole number" if isinstance(spec.default, int) else "number"
        return f"a {kind} from {low} to {high}"
    if key == "theme":
        return f"one of {', '.join(THEMES)}"
    if key == "timezone":
        return "an IANA time zone name, or empty for the system's"
    return "text"


def load_settings(path: Path) -> tuple[Settings, list[ConfigError]]:
    """Read settings from ``path``; a missing file gives the defaults.

    Returns the settings and the problems found; each problem's key kept its default.
    """
    if not path.exists():
        # A config "folder" that is a file would hide every setting without a word.
        blocking = paths.file_in_the_way(path)
        if blocking is not None:
            message = f"{path}: cannot be read: {blocking} is a file, not a folder"
            return Settings(), [ConfigError(message)]
        return Settings(), []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        return Settings(), [ConfigError(f"{path}: cannot be read ({error})")]
    except tomllib.TOMLDecodeError as error:
        return Settings(), [ConfigError(f"{path}: not valid TOML ({error})")]
    return parse_settings(data, str(path))


def parse_settings(
    data: dict[str, Any], source: str
) -> tuple[Settings, list[ConfigError]]:
    """Check each key of ``data`` and build settings from the good ones."""
    known = {f.name: f for f in fields(Settings)}
    values: dict[str, Any] = {}
    problems: list[ConfigError] = []

    for key, value in data.items():
        spec = known.get(key)
        if spec is None:
            problems.append(
                ConfigError(
                    f"{source}: unknown key {key!r}; `sreflash config show` lists them"
                )
            )
            continue
        try:
            values[key] = _check(key, value, spec.default, spec.metadata)
        except ConfigError as problem:
            problems.append(
                ConfigError(f"{source}: {problem.message}; using the default")
            )
    return replace(Settings(), **values), problems


def _check(key: str, value: Any, default: Any, meta: Mapping[str, Any]) -> Any:
    low, high = meta["low"], meta["high"]
    if isinstance(default, bool) or isinstance(value, bool):
        raise ConfigError(f"{key} must not be true or false")
    if isinstance(default, int) and not isinstance(value, int):
        raise ConfigError(
            f"{key} must be a whole number from {low} to {high}, not {value!r}"
        )
    if isinstance(default, float):
        if not isinstance(value, int | float):
            raise ConfigError(
                f"{key} must be a number from {low} to {high}, not {value!r}"
            )
        value = float(value)
    if isinstance(default, str) and not isinstance(value, str):
        raise ConfigError(f"{key} must be text, not {value!r}")
    if low is not None and not low <= value <= high:
        raise ConfigError(f"{key} must be from {low} to {high}, not {value!r}")

    if key == "theme" and value not in THEMES:
        raise ConfigError(f"theme must be one of {', '.join(THEMES)}, not {value!r}")
    if key == "timezone" and value:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(
                f"timezone {value!r} is not a known IANA time zone"
            ) from None
    return value
