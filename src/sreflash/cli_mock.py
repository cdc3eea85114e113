"""Commands for mock interviews and the scorer: ``sreflash mock`` and ``grade``.

The scorer and the mock module load inside the commands that use them, so that
every other command, the drill first, starts without them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import click

from sreflash.context import deck_cache_dir, deck_dirs
from sreflash.decks import Card, load_library
from sreflash.errors import UnknownCardError
from sreflash.wording import local_time

if TYPE_CHECKING:
    from sreflash.cli import Options


def _options() -> Options:
    return click.get_current_context().find_root().obj  # type: ignore[no-any-return]


# Mock interviews


@click.group(invoke_without_command=True)
@click.option(
    "--questions",
    "-n",
    type=click.IntRange(1, 50),
    help="How many questions (default: the mock_questions setting, 6).",
)
@click.option(
    "--minutes",
    "-m",
    type=click.FloatRange(0.25, 60),
    help="Minutes per question (default: the mock_minutes setting, 3).",
)
@click.option("--deck", "deck_id", help="Ask only this deck (its id).")
@click.option("--topic", help="Ask only this topic, such as build-cache.")
@click.option("--seed", type=int, help="Draw the same questions again.")
@click.option(
    "--no-schedule",
    is_flag=True,
    help="Do not give the answered cards an FSRS review.",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the report to this Markdown file when it is saved.",
)
@click.option("--force", is_flag=True, help="Overwrite the --report file if it exists.")
@click.pass_context
def mock(
    ctx: click.Context,
    questions: int | None,
    minutes: float | None,
    deck_id: str | None,
    topic: str | None,
    seed: int | None,
    no_schedule: bool,
    report_path: Path | None,
    force: bool,
) -> None:
    """Run a timed mock interview in the TUI, or list past ones.

    Questions lean toward what you know least; model answers stay hidden until
    the report. Each answered card gets a review: pass as Good, fail as Again.

    \b
    Examples:
      sreflash mock                        six questions, three minutes each
      sreflash mock -n 3 --topic security  a short one on one topic
      sreflash mock --report mock.md       keep the report as Markdown
      sreflash mock history --json         past sessions for scripts
    """
    if ctx.invoked_subcommand is not None:
        return
    from sreflash.app import SreflashApp  # Textual loads only when the TUI runs.
    from sreflash.cli import check_output_file, require_terminal, run_app
    from sreflash.mock import MockOptions, candidates

    context = _options().context(warn=False)  # the TUI shows what is wrong
    settings = context.settings
    options = MockOptions(
        questions=questions or settings.mock_questions,
        minutes=minutes or settings.mock_minutes,
        deck_id=deck_id,
        topic=topic,
        seed=seed,
        schedule=not no_schedule,
        report_path=report_path,
    )
    options.check()
    if report_path is not None:
        check_output_file(report_path, force=force)
    candidates(context.study, options)  # a bad deck or topic fails here, not in the TUI
    require_terminal()
    run_app(SreflashApp(context, start="mock", mock=options))


@mock.command("history")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def mock_history_command(as_json: bool) -> None:
    """List past mock interviews with their scores, oldest first."""
    from sreflash.mock import mock_history, sparkline, trend

    context = _options().context()
    history = mock_history(context.store)
    if as_json:
        click.echo(json.dumps([past.to_dict() for past in history], indent=2))
        return
    if not history:
        click.echo("No mock interview yet: `sreflash mock` starts one.")
        return

    rows = [
        (past, local_time(past.started_at, context.study.day.zone)) for past in history
    ]
    width = max(len(when) for _, when in rows)
    click.echo(f"{'id':>4}  {'when':{width}}  {'passed':>7}  {'score':>5}  band")
    for past, when in rows:
        passed = f"{past.passed}/{past.questions}"
        click.echo(
            f"{past.id:>4}  {when:{width}}  {passed:>7}  "
            f"{past.score:>5.0%}  {past.band}"
        )
    scores = [past.score for past in history]
    click.echo(f"\nTrend: {sparkline(scores)}  {trend(scores)}")


# The scorer


@click.command("grade")
@click.argument("card_id")
@click.option("--answer", "-a", help="The answer, as text.")
@click.option(
    "--answer-file",
    "-f",
    type=click.File("r", encoding="utf-8"),
    help="Read the answer from a file ('-' for standard input).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def grade_command(
    card_id: str, answer: str | None, answer_file: TextIO | None, as_json: bool
) -> None:
    """Score an answer to CARD_ID against its key points.

    Prints the score, the covered and missed points and the suggested rating.

    \b
    Examples:
      sreflash grade q-reduce-size --answer "Use a slim base and ..."
      sreflash grade q-build-cache -f answer.txt --json | jq .verdict
    """
    from sreflash.grading import GradingError, grade

    if (answer is None) == (answer_file is None):
        raise click.UsageError("give exactly one of --answer and --answer-file")
    text = answer if answer is not None else _read_answer(answer_file)

    library = load_library(deck_dirs(_options().decks), deck_cache_dir())
    card = library.card(card_id)
    if card is None:
        raise UnknownCardError(f"no loaded deck has a card with id {card_id!r}")
    if not card.key_points:
        raise GradingError(f"card {card_id!r} has no key points to score against")

    result = grade(card, text)
    if as_json:
        data = result.to_dict()
        data["points"] = [
            {
                "text": r.point.text,
                "covered": r.covered,
                "contradicted": r.contradicted,
                "evidence": r.evidence,
            }
            for r in result.points
        ]
        click.echo(json.dumps(data, indent=2))
        return

    click.echo(
        f"{card.id}: {result.score:.0%}, {result.verdict} "
        f"(suggested rating: {result.suggested.name})"
    )
    for point in result.points:
        if point.covered:
            mark = "covered     "
        elif point.contradicted:
            mark = "contradicted"
        else:
            mark = "missed      "
        click.echo(f"  {mark}  {point.point.text}")
    if result.keyword_list:
        click.echo("This reads as a bare list of keywords, so its score was halved.")


# Labelled examples, for `sreflash decks check`


def check_deck_examples(cards: Iterable[Card]) -> None:
    """Score every labelled example and report where the scorer disagrees.

    Disagreements are warnings for deck authors to tune key points; they do not
    make the deck invalid.
    """
    from sreflash.grading import check_examples

    checks = check_examples(cards)
    if not checks:
        return
    for check in checks:
        if not check.agrees:
            click.echo(f"warning: {check.describe()}", err=True)
    agreed = sum(check.agrees for check in checks)
    click.echo(f"scorer agrees with {agreed} of {len(checks)} labelled examples")


def _read_answer(source: TextIO | None) -> str:
    from sreflash.grading import GradingError

    assert source is not None
    try:
        return source.read()
    except UnicodeDecodeError as error:
        raise GradingError(
            f"{source.name}: is not UTF-8 text (byte {error.start})"
        ) from None
