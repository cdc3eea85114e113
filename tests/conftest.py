"""Shared fixtures: every test runs with its own data, config and database paths."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sreflash.cli import main
from sreflash.clock import FrozenClock
from sreflash.config import Settings
from sreflash.context import Context, open_context

# A fixed Monday noon, UTC: far from the 4 am day boundary in any nearby zone.
T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def isolated_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point every sreflash location at a temporary folder.

    A real user's database, settings or decks must never reach a test.
    """
    home = tmp_path / "sreflash-home"
    # SREFLASH_DB must name a file in a folder that is there, as a user's does.
    (home / "data").mkdir(parents=True)
    monkeypatch.setenv("SREFLASH_DATA_DIR", str(home / "data"))
    monkeypatch.setenv("SREFLASH_CONFIG_DIR", str(home / "config"))
    monkeypatch.setenv("SREFLASH_DB", str(home / "data" / "sreflash.db"))
    monkeypatch.setenv("SREFLASH_CACHE_DIR", str(home / "cache"))
    monkeypatch.delenv("SREFLASH_DECKS_DIR", raising=False)
    return home


@pytest.fixture(autouse=True)
def no_docker_unless_marked(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tests not marked ``docker`` meet no engine, whatever the machine runs.

    The drill asks for one at start and lets lab cards in when it answers; a test
    of the drill must not change with the machine it runs on.
    """
    if request.node.get_closest_marker("docker") is None:
        monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-docker.sock")


@pytest.fixture
def clock() -> FrozenClock:
    """A clock stopped at :data:`T0`."""
    return FrozenClock(T0)


@pytest.fixture
def settings() -> Settings:
    """Default settings in UTC, so the study day starts at 04:00 UTC."""
    return Settings(timezone="UTC")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A database file of the test's own."""
    return tmp_path / "study.db"


@pytest.fixture
def context(db_path: Path, settings: Settings, clock: FrozenClock) -> Iterator[Context]:
    """The bundled decks over a fresh database, with fuzzing off."""
    ctx = open_context(db=db_path, settings=settings, clock=clock, fuzz=False)
    yield ctx
    ctx.close()


def run_cli(
    args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, str]:
    """Run ``sreflash ARGS`` through its entry point: exit code, stdout, stderr."""
    monkeypatch.setattr(sys, "argv", ["sreflash", *args])
    with pytest.raises(SystemExit) as exited:
        main()
    out, err = capsys.readouterr()
    return int(exited.value.code or 0), out, err


@contextmanager
def unwritable(path: Path) -> Iterator[None]:
    """Make ``path`` read-only for real: a mode for a user, immutable for root."""
    if os.geteuid() != 0:
        path.chmod(0o444)
        yield
        path.chmod(0o644)
        return
    made = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
    if made.returncode != 0:
        pytest.skip(f"root here, and chattr +i failed: {made.stderr.decode().strip()}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)
