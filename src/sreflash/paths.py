"""Where sreflash keeps its files.

Each location comes from platformdirs and can be overridden by an environment
variable, so tests (and careful users) can point everything at a folder of their own.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import platformdirs

APP_NAME = "sreflash"

ENV_DB = "SREFLASH_DB"
ENV_DATA_DIR = "SREFLASH_DATA_DIR"
ENV_CONFIG_DIR = "SREFLASH_CONFIG_DIR"
ENV_DECKS_DIR = "SREFLASH_DECKS_DIR"
ENV_CACHE_DIR = "SREFLASH_CACHE_DIR"


def _from_env(name: str) -> Path | None:
    value = os.environ.get(name, "").strip()
    return Path(value).expanduser() if value else None


def data_dir() -> Path:
    """The folder for the database and the user's own decks."""
    return _from_env(ENV_DATA_DIR) or Path(platformdirs.user_data_dir(APP_NAME))


def config_dir() -> Path:
    """The folder holding ``config.toml``."""
    return _from_env(ENV_CONFIG_DIR) or Path(platformdirs.user_config_dir(APP_NAME))


def config_path() -> Path:
    """The settings file."""
    return config_dir() / "config.toml"


def db_path() -> Path:
    """The SQLite database: ``SREFLASH_DB`` if set, else in the data dir."""
    return db_from_env() or data_dir() / "sreflash.db"


def db_from_env() -> Path | None:
    """The database ``SREFLASH_DB`` names, if it is set."""
    return _from_env(ENV_DB)


def file_in_the_way(path: Path) -> Path | None:
    """The nearest existing parent of ``path`` when it is a file, not a folder."""
    nearest = next((parent for parent in path.parents if parent.exists()), None)
    return nearest if nearest is not None and not nearest.is_dir() else None


def missing_folder(file: Path) -> str | None:
    """Why ``file`` must not be made where it is named: its folder is not there.

    A mistyped folder would otherwise be made, and the file lost in it.
    """
    if file.parent.is_dir():
        return None
    return f"the folder {file.parent} does not exist (create it, or check the path)"


def cache_dir() -> Path:
    """The folder for caches that can be deleted at any time (parsed decks)."""
    return _from_env(ENV_CACHE_DIR) or Path(platformdirs.user_cache_dir(APP_NAME))


def user_decks_dir() -> Path:
    """The folder where the user's own decks live, beside the bundled ones."""
    return _from_env(ENV_DECKS_DIR) or data_dir() / "decks"


def _bundled(name: str) -> Path:
    # A wheel carries the folder inside the package; a source checkout (editable
    # install) has it at the repository root instead.
    packaged = Path(str(resources.files("sreflash"))) / "bundled" / name
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / name


def bundled_decks_dir() -> Path:
    """The decks that ship with sreflash."""
    return _bundled("decks")


def bundled_labs_dir() -> Path:
    """The labs that ship with sreflash."""
    return _bundled("labs")
