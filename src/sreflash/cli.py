"""The command line: ``sreflash`` opens the TUI; subcommands do single jobs.

Every error a user can cause arrives as a :class:`SreflashError` and is printed as
one line on stderr with a non-zero exit; no traceback reaches the terminal.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from sreflash import __version__, paths
from sreflash.config import allowed, describe
from sreflash.context import Context, deck_cache_dir, deck_dirs, open_context
from sreflash.decks import Library, iter_deck_files, load_library
from sreflash.errors import SreflashError
from sreflash.wording import count_of, plural

if TYPE_CHECKING:
    from textual.app import App

EXIT_ERROR = 1


@dataclass
class Options:
    """Global options, shared by every command."""

    db: Path | None = None
    decks: tuple[Path, ...] = ()
    _context: Context | None = field(default=None, repr=False)

    def context(self, *, warn: bool = True) -> Context:
        """Open the store and decks once, on first use.

        Args:
            warn: print settings problems and skipped decks on stderr (the TUI
                shows them itself).
        """
        if self._context is None:
            self._context = open_context(db=self.db, decks=self.decks)
            if warn:
                for problem in self._context.problems:
                    click.echo(f"Warning: {problem}", err=True)
                for error in self._context.library.errors:
                    click.echo(f"Warning: deck skipped: {error}", err=True)
        return self._context

    def close(self) -> None:
        if self._context is not None:
            self._context.close()


pass_options = click.make_pass_decorator(Options)


class LazyGroup(click.Group):
    """A command group whose commands in other modules load when first used.

    ``sreflash drill`` then starts without the stats, lab, mock and data commands'
    modules and what they import (about 50 ms); ``--help`` still lists them all.
    """

    def __init__(self, *args: Any, lazy: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy  # a command's name to "module:attribute"

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            # An unknown name loads every command, so click's "Did you mean"
            # can pick from all of them.
            wanted = [cmd_name] if cmd_name in self.lazy else list(self.lazy)
            for name in wanted:
                if name not in self.commands:
                    module, _, attribute = self.lazy[name].partition(":")
                    command = getattr(importlib.import_module(module), attribute)
                    self.add_command(command, name)
        return super().get_command(ctx, cmd_name)


@click.group(
    cls=LazyGroup,
    lazy={
        "stats": "sreflash.cli_data:stats",
        "cards": "sreflash.cli_data:cards",
        "export": "sreflash.cli_data:export",
        "import": "sreflash.cli_data:import_group",
        "backup": "sreflash.cli_data:backup",
        "mock": "sreflash.cli_mock:mock",
        "grade": "sreflash.cli_mock:grade_command",
        "lab": "sreflash.cli_lab:lab",
    },
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Database file (default: in your data dir; env SREFLASH_DB).",
)
@click.option(
    "--decks",
    "deck_paths",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Another deck folder or file to load (repeatable).",
)
@click.version_option(__version__, prog_name="sreflash")
@click.pass_context
def cli(ctx: click.Context, db: Path | None, deck_paths: tuple[Path, ...]) -> None:
    """Drill SRE and DevOps interview material with spaced repetition.

    Run with no command to open the home screen.

    \b
    Examples:
      sreflash                      open the home screen
      sreflash drill                drill everything due today
      sreflash decks check my.yaml  validate a deck you wrote
    """
    for path in deck_paths:
        if not path.exists():
            raise click.BadParameter(f"{path} does not exist", param_hint="--decks")
    # A new database is made on first use, but not in a folder that is not there:
    # a mistyped path would look like all progress was lost. (The default one,
    # in the data folder, is made with its folder.)
    named = db or paths.db_from_env()
    missing = None if named is None or named.exists() else paths.missing_folder(named)
    if missing is not None:
        raise click.BadParameter(missing, param_hint="--db" if db else paths.ENV_DB)
    options = Options(db=db, decks=deck_paths)
    ctx.obj = options
    ctx.call_on_close(options.close)
    if ctx.invoked_subcommand is None:
        _run_tui(options, screen="home")


def _run_tui(options: Options, *, screen: str, deck_id: str | None = None) -> None:
    from sreflash.app import SreflashApp  # Textual loads only when the TUI runs.

    context = options.context(warn=False)
    if deck_id is not None and context.library.deck(deck_id) is None:
        raise SreflashError(f"no loaded deck has the id {deck_id!r}")
    require_terminal()
    run_app(SreflashApp(context, start=screen, deck_id=deck_id))


def run_app(app: App[None]) -> None:
    """Run the TUI; exit non-zero when it stopped on an unexpected error."""
    app.run()
    if app.return_code:
        sys.exit(app.return_code)


def check_output_file(file: Path, *, force: bool) -> None:
    """Refuse to write a file the learner named in a folder that is not there, or
    over one already there unless ``force``: every command that writes one keeps to
    this."""
    missing = paths.missing_folder(file)
    if missing is not None:
        raise SreflashError(f"{file}: {missing}")
    if file.exists() and not force:
        raise SreflashError(f"{file} already exists; pass --force to overwrite it")


def require_terminal() -> None:
    """Refuse to draw the TUI into a pipe or file, where it would never end."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise SreflashError(
            "the sreflash screens need a terminal; for scripts, use the commands "
            "listed by `sreflash --help`"
        )


@cli.command()
@click.option("--deck", "deck_id", help="Drill only this deck (its id).")
@pass_options
def drill(options: Options, deck_id: str | None) -> None:
    """Drill the cards due today."""
    _run_tui(options, screen="drill", deck_id=deck_id)


# Decks


@cli.group()
def decks() -> None:
    """List and validate decks."""


@decks.command("check")
@click.argument("targets", nargs=-1, type=click.Path(path_type=Path))
@pass_options
def decks_check(options: Options, targets: tuple[Path, ...]) -> None:
    """Validate deck files (default: every deck sreflash loads).

    Exits 0 when all is well and 1 when any deck has a problem. Labelled example
    answers are run through the scorer; where it disagrees, a warning says so.
    """
    from sreflash.labs.cards import broken_lab_refs

    files = list(iter_deck_files(targets))
    for target in targets:
        if not target.exists():
            raise SreflashError(f"{target}: no such file or folder")
        if target.is_dir() and not any(f.parent == target for f in files):
            raise SreflashError(f"{target}: holds no deck files (*.yaml, *.yml)")
    # The files given are checked among the decks sreflash loads, as they would
    # load: an id another deck already uses gets them skipped.
    loaded = deck_dirs(options.decks)
    library = load_library([*loaded, *targets], deck_cache_dir())
    errors = library.errors + broken_lab_refs(library)
    decks = library.decks
    if targets:
        checked = {f.resolve() for f in files}
        decks = [d for d in decks if Path(d.path).resolve() in checked]
        errors = [e for e in errors if e.path and Path(e.path).resolve() in checked]
    for error in errors:
        click.echo(f"error: {error}", err=True)
    cards = sum(len(d.cards) for d in decks)
    click.echo(
        f"{count_of(len(decks), 'deck')}, {count_of(cards, 'card')}, "
        f"{count_of(len(errors), 'error')}"
    )
    from sreflash.cli_mock import check_deck_examples

    check_deck_examples(card for deck in decks for card in deck.cards)
    if errors:
        sys.exit(EXIT_ERROR)


@decks.command("list")
@click.option("--cards", "with_cards", is_flag=True, help="List each deck's cards.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (cards included).")
@pass_options
def decks_list(options: Options, with_cards: bool, as_json: bool) -> None:
    """List the loaded decks with their card counts, and with --cards their cards."""
    library = load_library(deck_dirs(options.decks), deck_cache_dir())
    if as_json:
        click.echo(json.dumps(_decks_json(library), indent=2))
    else:
        for deck in library.decks:
            size = len(deck.cards)
            click.echo(f"{deck.id:28} {size:5} {plural(size, 'card'):5}  {deck.title}")
            kinds = Counter(card.kind for card in deck.cards)
            click.echo("    " + ", ".join(f"{kind} {n}" for kind, n in kinds.items()))
            if with_cards:
                for card in deck.cards:
                    prompt = " ".join(card.prompt.split())
                    click.echo(f"    {card.id}  [{card.kind}, {card.topic}]  {prompt}")
    for error in library.errors:
        click.echo(f"skipped: {error}", err=True)


def _decks_json(library: Library) -> list[dict[str, Any]]:
    return [
        {
            "id": deck.id,
            "title": deck.title,
            "path": deck.path,
            "count": len(deck.cards),
            "cards": [
                {"id": c.id, "kind": c.kind, "topic": c.topic, "prompt": c.prompt}
                for c in deck.cards
            ],
        }
        for deck in library.decks
    ]


@decks.command("path")
def decks_path() -> None:
    """Print the folder where your own decks go."""
    click.echo(str(paths.user_decks_dir()))


# Settings


@cli.group()
def config() -> None:
    """Show the settings and where they live."""


@config.command("path")
def config_path() -> None:
    """Print the settings file's path."""
    click.echo(str(paths.config_path()))


@config.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_options
def config_show(options: Options, as_json: bool) -> None:
    """Print every setting, its value, and what it does."""
    settings = options.context().settings
    rows = [
        {
            "key": key,
            "value": getattr(settings, key),
            "default": default,
            "allowed": allowed(key),
            "doc": doc,
        }
        for key, default, doc in describe()
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo(f"# {paths.config_path()}")
    for row in rows:
        click.echo(f"\n# {row['doc']}")
        click.echo(
            f"# Allowed: {row['allowed']}; default: {json.dumps(row['default'])}"
        )
        click.echo(f"{row['key']} = {json.dumps(row['value'])}")


def main() -> None:
    """Entry point of the ``sreflash`` command."""
    try:
        cli(prog_name="sreflash")
    except SreflashError as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(EXIT_ERROR)
