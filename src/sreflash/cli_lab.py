"""``sreflash lab``: hands-on lab checks against a real Docker engine.

The main CLI adds this group with ``cli.add_command(lab)``; it also works alone.
Errors print one sentence on stderr and exit 1; a run whose checks fail exits 1 too,
so scripts can tell.
"""

from __future__ import annotations

import functools
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click

from sreflash.context import Context, open_context
from sreflash.errors import DockerUnavailableError, SreflashError
from sreflash.labs.history import save_lab_run
from sreflash.labs.model import find_lab, list_labs
from sreflash.labs.results import (
    SKIP,
    BuildLine,
    CheckDone,
    CheckResult,
    Event,
    LabReport,
    Notice,
    Question,
    Status,
    StepStarted,
)
from sreflash.scheduling import RATING_NAMES

if TYPE_CHECKING:
    from docker import DockerClient

    from sreflash.labs.cards import LabRating

EXIT_ERROR = 1
# Every check was "cannot check": neither a pass nor the learner's fault.
EXIT_NOTHING_CHECKED = 3
EXIT_INTERRUPTED = 130
_MARKS = {Status.PASS: "PASS", Status.FAIL: "FAIL", Status.CANNOT: "CANNOT CHECK"}
_COLOURS = {Status.PASS: "green", Status.FAIL: "red", Status.CANNOT: "yellow"}
_RATING_COLOURS = {"Again": "red", "Good": "green"}

F = TypeVar("F", bound=Callable[..., Any])

no_schedule_option = click.option(
    "--no-schedule",
    is_flag=True,
    help="Save the run but rate none of the lab cards.",
)


def _friendly(command: F) -> F:
    """Turn a SreflashError or Ctrl+C into one line on stderr and an exit code."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except SreflashError as error:
            click.echo(f"Error: {error}", err=True)
            sys.exit(EXIT_ERROR)
        except KeyboardInterrupt:
            click.echo("Interrupted; what the lab had created was removed.", err=True)
            sys.exit(EXIT_INTERRUPTED)

    return cast(F, wrapper)


@click.group("lab")
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Database file for the lab history (default: env SREFLASH_DB or data dir).",
)
@click.pass_context
def lab(ctx: click.Context, db: Path | None) -> None:
    """Hands-on labs checked against a real Docker engine.

    \b
    Examples:
      sreflash lab list
      sreflash lab run phase2-image-design
      sreflash lab check phase2-image-design --image phase2-flask:optimized
      sreflash lab challenge phase2-image-design ./my-fix
      sreflash lab check phase2-image-design --workspace ./my-fix
    """
    ctx.ensure_object(dict)


def _engine() -> DockerClient:
    """A client for the Docker engine; the SDK is imported only here and when a
    lab command runs, so the drill and other commands start without it (0.13 s)."""
    from sreflash.labs.engine import connect

    return connect()


@lab.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the labs as JSON.")
@_friendly
def list_command(as_json: bool) -> None:
    """The labs, and whether a Docker engine answers."""
    labs = list_labs()
    try:
        client = _engine()
        engine = f"answers (Docker {client.version().get('Version', '?')})"
        ready = True
    except DockerUnavailableError as error:
        engine, ready = str(error), False

    if as_json:
        rows = [
            {"id": x.id, "title": x.title, "checks": [c.id for c in x.checks()]}
            for x in labs
        ]
        click.echo(
            json.dumps({"docker": {"ready": ready, "status": engine}, "labs": rows})
        )
        return
    for item in labs:
        click.echo(f"{item.id:<24} {item.title} ({len(item.checks())} checks)")
    click.echo(f"\nDocker engine: {engine}")


@lab.command("run")
@click.argument("lab_id")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option("--yes", is_flag=True, help="Answer every prediction with 'skip'.")
@no_schedule_option
@click.pass_context
@_friendly
def run_command(
    ctx: click.Context, lab_id: str, as_json: bool, yes: bool, no_schedule: bool
) -> None:
    """Do the lab's steps in a temporary copy, checking each against the engine.

    A lab card whose prediction the engine bore out is rated Good, one the engine
    showed wrong Again; a skipped prediction rates nothing.
    """
    from sreflash.labs.runner import run_guided

    item = find_lab(lab_id)
    client = _engine()  # a stopped engine is said once, before any step runs
    show = _Printer(to_stderr=as_json)
    predict = (lambda question: SKIP) if yes else show.ask
    report = run_guided(item, predict=predict, on_event=show.event, client=client)
    _finish(ctx, report, as_json, show, schedule=not no_schedule)


@lab.command("check")
@click.argument("lab_id")
@click.option(
    "--image",
    callback=lambda _ctx, _param, value: _image_reference(value),
    help="Your image (default: the lab's image name).",
)
@click.option("--container", help="Your running container (default: the lab's name).")
@click.option(
    "--workspace",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="A folder with your Dockerfile: sreflash builds a copy of it.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@no_schedule_option
@click.pass_context
@_friendly
def check_command(
    ctx: click.Context,
    lab_id: str,
    image: str | None,
    container: str | None,
    workspace: Path | None,
    as_json: bool,
    no_schedule: bool,
) -> None:
    """Check what you built and ran yourself, or a workspace you fixed.

    Lab cards are rated from the results: a passed check Good, a failed one Again.
    """
    from sreflash.labs.runner import check_image, check_workspace

    item = find_lab(lab_id)
    client = _engine()  # a stopped engine is said once, before any step runs
    show = _Printer(to_stderr=as_json)
    if workspace is not None:
        report = check_workspace(item, workspace, on_event=show.event, client=client)
    else:
        report = check_image(
            item, image=image, container=container, on_event=show.event, client=client
        )
    _finish(ctx, report, as_json, show, schedule=not no_schedule)


@lab.command("challenge")
@click.argument("lab_id")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@_friendly
def challenge_command(lab_id: str, folder: Path) -> None:
    """Write a broken workspace into FOLDER (new or empty) for you to fix."""
    from sreflash.labs.runner import write_challenge

    item = find_lab(lab_id)
    for path in write_challenge(item, folder):
        click.echo(f"wrote {path}")
    click.echo(
        f"\nFix the Dockerfile, then: sreflash lab check {item.id} --workspace {folder}"
    )


@lab.command("clean")
@click.option(
    "--other-hosts",
    is_flag=True,
    help="Also remove what runs on other machines sharing this engine made.",
)
@_friendly
def clean_command(other_hosts: bool) -> None:
    """Remove the containers and images that lab runs no longer alive left behind."""
    from sreflash.labs.engine import clean_all

    cleaned = clean_all(_engine(), other_hosts=other_hosts)
    click.echo(
        f"removed {cleaned.removed} containers and images"
        if cleaned.removed
        else "nothing to remove"
    )
    if cleaned.spared:
        click.echo(
            f"spared {cleaned.spared} made by sreflash on other machines, which may "
            "still be running (--other-hosts removes them too)"
        )


def _finish(
    ctx: click.Context,
    report: LabReport,
    as_json: bool,
    show: _Printer,
    *,
    schedule: bool,
) -> None:
    from sreflash.labs.cards import schedule_report  # it loads the scorer

    # The decks and the store are only needed once a run is done.
    context, owned = _context(ctx)
    try:
        # A run that checked nothing (no image, say) is not history worth keeping.
        checked = report.passed or report.failed
        run_id = save_lab_run(context.store.db, report) if checked else None
        rated = schedule_report(context.study, report) if schedule else []
    finally:
        if owned:
            context.close()
    if as_json:
        data = {
            **report.to_dict(),
            "run_id": run_id,
            "cards": [item.to_dict() for item in rated],
        }
        click.echo(json.dumps(data, indent=2))
    else:
        show.summary(report, run_id)
        show.cards(rated)
    if report.failed:
        sys.exit(EXIT_ERROR)
    if not report.passed:
        click.echo("Nothing could be checked; the lines above say why.", err=True)
        sys.exit(EXIT_NOTHING_CHECKED)


# What Docker accepts as [registry/]name[:tag]: lower-case path components.
_REFERENCE = re.compile(
    r"^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?"
    r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
    r"(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$"
)


def _image_reference(value: str | None) -> str | None:
    if value is not None and not _REFERENCE.match(value):
        raise click.BadParameter(
            f"{value!r} is not an image reference Docker accepts "
            "(lower-case name, optional :tag)"
        )
    return value


def _context(ctx: click.Context) -> tuple[Context, bool]:
    """The store and decks, and whether the caller must close them."""
    from sreflash.cli import Options  # the main CLI imports this module

    options = ctx.find_object(Options)
    db = _group_db(ctx)
    if options is not None and db is None:
        return options.context(), False  # the main CLI's --db and --decks
    context = open_context(db=db, decks=options.decks if options else ())
    for problem in context.problems:
        click.echo(f"Warning: {problem}", err=True)
    return context, True


def _group_db(ctx: click.Context) -> Path | None:
    # --db given to this group itself: ``sreflash lab --db X run ...``.
    current: click.Context | None = ctx
    while current is not None:
        if current.command is lab:
            value = current.params.get("db")
            return Path(value) if value else None
        current = current.parent
    return None


class _Printer:
    """Shows a run's events as they come; on stderr when stdout carries JSON."""

    def __init__(self, *, to_stderr: bool) -> None:
        self.err = to_stderr

    def echo(self, text: str = "", **style: Any) -> None:
        click.secho(text, err=self.err, **style)

    def event(self, event: Event) -> None:
        if isinstance(event, StepStarted):
            self.echo(
                f"\n== Step {event.index}/{event.total}: {event.title}", bold=True
            )
            if event.text:
                self.echo(f"   {event.text}")
        elif isinstance(event, BuildLine):
            self.echo(f"   | {event.line}", dim=True)
        elif isinstance(event, Notice):
            self.echo(f"   * {event.message}")
        elif isinstance(event, CheckDone):
            self.result(event.result)

    def result(self, result: CheckResult) -> None:
        mark = _MARKS[result.status]
        self.echo(
            f" {mark:<12} {result.check_id}: {result.title}", fg=_COLOURS[result.status]
        )
        if result.prediction:
            self.echo(f"              you said: {result.prediction}")
        self.echo(f"              seen: {result.seen}")
        if result.hint:
            self.echo(f"              hint: {result.hint}")

    def ask(self, question: Question) -> str:
        choices = f" ({' / '.join(question.choices)})" if question.choices else ""
        answer: str = click.prompt(
            f" ? {question.text}{choices}",
            default=SKIP,
            show_default=True,
            err=self.err,
        )
        return answer

    def cards(self, rated: list[LabRating]) -> None:
        for item in rated:
            rating = item.verdict.rating
            name = RATING_NAMES[rating] if rating is not None else "-"
            self.echo(
                f" card {item.card.id}: {name} ({item.verdict.reason})",
                fg=_RATING_COLOURS.get(name),
            )

    def summary(self, report: LabReport, run_id: int | None) -> None:
        saved = "not saved" if run_id is None else f"saved as lab run {run_id}"
        self.echo(
            f"\n{report.passed} passed, {report.failed} failed, {report.cannot} could "
            f"not be checked ({saved}).",
            bold=True,
        )
