"""Settings: each key checked on its own, a bad one falling back alone."""

from __future__ import annotations

import json
import re
from dataclasses import fields
from pathlib import Path

import pytest
from click.testing import CliRunner

from sreflash.cli import cli
from sreflash.config import Settings, allowed, describe, load_settings
from tests.conftest import run_cli

DOCS = Path(__file__).resolve().parents[1] / "docs" / "settings.md"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_missing_file_gives_the_defaults(tmp_path: Path) -> None:
    assert load_settings(tmp_path / "none.toml") == (Settings(), [])


def test_a_config_folder_that_is_a_file_is_said_not_ignored(tmp_path: Path) -> None:
    folder = tmp_path / "config"
    folder.write_text("oops")

    settings, problems = load_settings(folder / "config.toml")

    assert settings == Settings()
    assert [str(p) for p in problems] == [
        f"{folder / 'config.toml'}: cannot be read: {folder} is a file, not a folder"
    ]


def test_every_key_is_read(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "desired_retention = 0.85\nnew_per_day = 20\nmax_reviews_per_day = 50\n"
        "day_start_hour = 5\ntimezone = 'Europe/Paris'\nlearn_ahead_minutes = 0\n"
        "mock_questions = 4\nmock_minutes = 2\nleech_threshold = 5\n"
        "theme = 'nord'\n",
    )

    settings, problems = load_settings(path)

    assert problems == []
    assert settings == Settings(
        desired_retention=0.85,
        new_per_day=20,
        max_reviews_per_day=50,
        day_start_hour=5,
        timezone="Europe/Paris",
        learn_ahead_minutes=0,
        mock_questions=4,
        mock_minutes=2.0,
        leech_threshold=5,
        theme="nord",
    )
    assert isinstance(settings.mock_minutes, float)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("new_per_day = -3", "new_per_day must be from 0 to 9999, not -3"),
        (
            "new_per_day = 10.5",
            "new_per_day must be a whole number from 0 to 9999, not 10.5",
        ),
        ("desired_retention = 1.5", "desired_retention must be from 0.7 to 0.99"),
        ("desired_retention = 'high'", "must be a number from 0.7 to 0.99"),
        ("day_start_hour = 24", "day_start_hour must be from 0 to 23, not 24"),
        ("leech_threshold = true", "leech_threshold must not be true or false"),
        ("theme = 'pink'", "theme must be one of textual-dark, textual-light"),
        ("timezone = 'Mars/Base'", "timezone 'Mars/Base' is not a known IANA"),
        ("timezone = 3", "timezone must be text, not 3"),
        ("mock_questons = 3", "unknown key 'mock_questons'"),
    ],
)
def test_a_bad_value_falls_back_alone_with_one_clear_error(
    tmp_path: Path, line: str, message: str
) -> None:
    path = write(tmp_path, f"{line}\nmock_questions = 9\n")

    settings, problems = load_settings(path)

    assert len(problems) == 1
    assert str(problems[0]).startswith(f"{path}: ")
    assert message in str(problems[0])
    assert settings == Settings(mock_questions=9)


def test_invalid_toml_gives_the_defaults_and_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "new_per_day = = 3\n")

    settings, problems = load_settings(path)

    assert settings == Settings()
    assert re.match(
        rf"{re.escape(str(path))}: not valid TOML .*line 1", str(problems[0])
    )


def test_every_key_is_documented() -> None:
    described = describe()
    docs = DOCS.read_text(encoding="utf-8")

    assert [key for key, _, _ in described] == [f.name for f in fields(Settings)]
    for key, default, doc in described:
        assert doc.endswith(".")
        assert f"| `{key}` | `{json.dumps(default)}` |" in docs
        assert allowed(key) not in ("", "text")
    assert allowed("new_per_day") == "a whole number from 0 to 9999"
    assert allowed("desired_retention") == "a number from 0.7 to 0.99"


def test_config_show_and_path(isolated_paths: Path) -> None:
    config = isolated_paths / "config"
    config.mkdir(parents=True)
    (config / "config.toml").write_text("new_per_day = 25\ntheme = 'pink'\n")
    runner = CliRunner()

    shown = runner.invoke(cli, ["config", "show"])
    path = runner.invoke(cli, ["config", "path"])
    data = runner.invoke(cli, ["config", "show", "--json"])

    assert shown.exit_code == 0, shown.output
    assert "new_per_day = 25" in shown.stdout
    assert 'theme = "textual-dark"' in shown.stdout
    assert "# Allowed: a whole number from 0 to 9999; default: 10" in shown.stdout
    assert "theme must be one of" in shown.stderr
    assert path.stdout.strip() == str(config / "config.toml")
    rows = {row["key"]: row for row in json.loads(data.stdout)}
    assert rows["new_per_day"]["value"] == 25
    assert rows["leech_threshold"] == {
        "key": "leech_threshold",
        "value": 8,
        "default": 8,
        "allowed": "a whole number from 2 to 99",
        "doc": "Lapses after which a card is tagged leech and suspended.",
    }


def test_help_lists_every_command_and_each_one_loads(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = run_cli(["--help"], capsys, monkeypatch)
    commands = out.split("Commands:\n")[1].splitlines()
    listed = [line.split()[0] for line in commands if line.strip()]

    assert code == 0
    assert listed == [
        "backup", "cards", "config", "decks", "drill", "export", "grade",
        "import", "lab", "mock", "stats",
    ]  # fmt: skip
    # Commands in other modules load on first use; each answers its --help.
    for name in listed:
        code, out, err = run_cli([name, "--help"], capsys, monkeypatch)
        assert (code, err) == (0, ""), name
        assert out.startswith(f"Usage: sreflash {name}"), name


def test_a_misspelt_command_gets_the_nearest_name(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for typo, meant in [("stast", "stats"), ("labs", "lab"), ("dril", "drill")]:
        code, _, err = run_cli([typo], capsys, monkeypatch)
        assert code == 2
        assert f"No such command '{typo}'. Did you mean '{meant}'?" in err


def test_a_db_in_a_folder_that_is_not_there_is_refused_not_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    typo = tmp_path / "dta" / "sreflash.db"
    code, _, err = run_cli(["--db", str(typo), "stats"], capsys, monkeypatch)

    assert code == 2
    assert f"the folder {typo.parent} does not exist" in err
    assert not typo.parent.exists()
    monkeypatch.setenv("SREFLASH_DB", str(typo))
    code, _, err = run_cli(["stats"], capsys, monkeypatch)
    assert code == 2
    assert f"Invalid value for SREFLASH_DB: the folder {typo.parent} does" in err
    # In a folder that is there, a new database is made on first use.
    fresh = tmp_path / "fresh.db"
    code, out, _ = run_cli(["--db", str(fresh), "stats"], capsys, monkeypatch)
    assert code == 0 and fresh.is_file() and out.startswith("Study day")
