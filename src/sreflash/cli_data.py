"""Commands for stats, cards and data in and out: ``sreflash stats``, ``cards``,
``export``, ``import`` and ``backup``."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from sreflash import paths
from sreflash.browse import FLAGS, CardInfo, card_info, info_lines, search
from sreflash.cli import check_output_file
from sreflash.errors import SreflashError, UnknownCardError
from sreflash.importing import import_csv
from sreflash.scheduling import RATING_NAMES, Rating
from sreflash.stats import Stats, compute_stats
from sreflash.store import backup_to
from sreflash.wording import count_of

if TYPE_CHECKING:
    from sreflash.cli import Options
    from sreflash.study import Study

FLAG_CHOICES = ("red", "orange", "green", "blue", "none")


def _options() -> Options:
    return click.get_current_context().find_root().obj  # type: ignore[no-any-return]


# Stats


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def stats(as_json: bool) -> None:
    """Show today's work, the forecast, retention, streak and weak cards.

    \b
    Examples:
      sreflash stats
      sreflash stats --json | jq .retention
    """
    figures = compute_stats(_options().context().study)
    if as_json:
        click.echo(json.dumps(figures.to_json(), indent=2))
    else:
        click.echo("\n".join(stats_lines(figures)))


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 60 else f"{seconds:.0f} s"


def stats_lines(s: Stats) -> list[str]:
    """The stats as plain text."""
    t, c = s.today, s.collection
    lines = [
        f"Study day {s.day.isoformat()}",
        f"Today: {t.reviews} reviews ({t.new} new, {t.again} again) in "
        f"{_minutes(t.seconds)}; waiting: {t.waiting.new} new, "
        f"{t.waiting.learning} learning, {t.waiting.due} to review"
        " (lab cards aside).",
        f"Cards: {c.cards} ({c.new} new, {c.learning} learning, {c.review} in "
        f"review, {c.suspended} suspended, {c.leeches} leeches).",
        f"Studied {s.days_studied} of the last {s.streak_days} days.",
        "",
        "True retention   young        mature       all",
    ]
    for w in s.retention:
        cells = [
            f"{_percent(r.rate):>4} of {r.total:<5}" for r in (w.young, w.mature, w.all)
        ]
        lines.append((f"  last {w.days:>2} days   " + " ".join(cells)).rstrip())
    lines.append("")
    lines.append(
        "Time: "
        + ", ".join(
            f"{_minutes(x.seconds)} on {x.reviews} reviews "
            + ("today" if x.days == 1 else f"in {x.days} days")
            for x in s.time
        )
    )
    week = sum(n for _, n in s.forecast[:7])
    month = sum(n for _, n in s.forecast)
    lines.append(
        f"Due: {s.forecast[0][1]} today, {week} within 7 days, {month} within 30."
    )
    if s.most_lapses:
        lines.append("")
        lines.append("Most lapses:")
        lines.extend(
            f"  {w.lapses:>3}  {w.card_id}  {_short(w.prompt)}" for w in s.most_lapses
        )
    if s.least_retrievable:
        lines.append("Least likely to be recalled now:")
        lines.extend(
            f"  {_percent(w.retrievability):>4}  {w.card_id}  {_short(w.prompt)}"
            for w in s.least_retrievable
        )
    if s.mocks:
        lines.append("")
        lines.append("Mock interviews:")
        lines.extend(
            f"  {m.started_at[:10]}  {_percent(m.score):>4}  {m.verdict or ''}"
            for m in s.mocks[-10:]
        )
    if s.labs:
        lines.append("")
        lines.append("Labs (all runs: passed / failed / could not check):")
        lines.extend(
            f"  {lab.lab_id}: {lab.runs} runs, {lab.passed} / {lab.failed} / "
            f"{lab.cannot}; last run {lab.last_run[:10]}: {lab.last_passed} passed, "
            f"{lab.last_failed} failed"
            for lab in s.labs
        )
    return lines


def _short(text: str, width: int = 60) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


# Cards


@click.group()
def cards() -> None:
    """Find cards, see their history, suspend, bury, reset or flag them."""


@cards.command("list")
@click.argument("query", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def cards_list(query: tuple[str, ...], as_json: bool) -> None:
    """List the cards matching a search.

    Plain words must all appear in the card; deck:, topic: and tag: take
    wildcards (*); is: takes new, learning, review, relearning, due,
    suspended, buried, leech or flagged.

    \b
    Examples:
      sreflash cards list tag:cache is:due
      sreflash cards list deck:docker-* layer
    """
    found = search(_options().context().study, " ".join(query))
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "id": f.card.id,
                        "deck": f.card.deck_id,
                        "topic": f.card.topic,
                        "state": f.state,
                        "states": sorted(f.states),
                        "due": f.row.due if f.row else None,
                        "prompt": f.card.prompt,
                    }
                    for f in found
                ],
                indent=2,
            )
        )
        return
    for f in found:
        click.echo(f"{f.card.id:32} {f.state:10} {f.due:10}  {_short(f.card.prompt)}")
    click.echo(count_of(len(found), "card"), err=True)


@cards.command("info")
@click.argument("card_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def cards_info(card_id: str, as_json: bool) -> None:
    """Show a card's schedule and review history."""
    info = card_info(_options().context().study, card_id)
    if as_json:
        click.echo(json.dumps(info_json(info), indent=2))
    else:
        click.echo("\n".join(info_lines(info)))


def info_json(info: CardInfo) -> dict[str, Any]:
    """A card's info as JSON data."""
    row = info.row
    return {
        "id": info.card.id,
        "deck": info.card.deck_id,
        "topic": info.card.topic,
        "state": info.found.state,
        "states": sorted(info.found.states),
        "due": row.due if row else None,
        "stability": row.stability if row else None,
        "difficulty": row.difficulty if row else None,
        "retrievability": info.retrievability,
        "reps": row.reps if row else 0,
        "lapses": row.lapses if row else 0,
        "flag": FLAGS.get(row.flag if row else 0, ""),
        "history": [
            {
                "reviewed_at": r.reviewed_at,
                "rating": RATING_NAMES[Rating(r.rating)],
                "interval_days": r.new_interval_days,
                "seconds": r.duration_ms / 1000,
                "source": r.source,
            }
            for r in info.history
        ],
    }


def _check_ids(study: Study, card_ids: tuple[str, ...]) -> None:
    # Every id is checked before any card changes (or any question is asked): a
    # typo must not leave the command half done.
    unknown = [c for c in card_ids if study.library.card(c) is None]
    if unknown:
        raise UnknownCardError(
            f"no loaded deck has a card with id {unknown[0]!r}; nothing was changed"
        )


def _each(card_ids: tuple[str, ...], action: str) -> None:
    study = _options().context().study
    _check_ids(study, card_ids)
    for card_id in card_ids:
        if action == "suspend":
            study.set_suspended(card_id, True)
        elif action == "unsuspend":
            study.set_suspended(card_id, False)
        elif action == "bury":
            study.bury(card_id)
        elif action == "unbury":
            study.unbury(card_id)
        elif action == "reset":
            study.reset(card_id)
        click.echo(f"{action}: {card_id}")


@cards.command("suspend")
@click.argument("card_ids", nargs=-1, required=True)
def cards_suspend(card_ids: tuple[str, ...]) -> None:
    """Take cards out of every queue until unsuspended."""
    _each(card_ids, "suspend")


@cards.command("unsuspend")
@click.argument("card_ids", nargs=-1, required=True)
def cards_unsuspend(card_ids: tuple[str, ...]) -> None:
    """Bring suspended cards (leeches too) back."""
    _each(card_ids, "unsuspend")


@cards.command("bury")
@click.argument("card_ids", nargs=-1, required=True)
def cards_bury(card_ids: tuple[str, ...]) -> None:
    """Hide cards until the next study day."""
    _each(card_ids, "bury")


@cards.command("unbury")
@click.argument("card_ids", nargs=-1, required=True)
def cards_unbury(card_ids: tuple[str, ...]) -> None:
    """Bring buried cards back today."""
    _each(card_ids, "unbury")


@cards.command("reset")
@click.argument("card_ids", nargs=-1, required=True)
@click.option("--yes", is_flag=True, help="Do not ask first.")
def cards_reset(card_ids: tuple[str, ...], yes: bool) -> None:
    """Make cards new again (their review history is kept)."""
    _check_ids(_options().context().study, card_ids)
    if not yes:
        these = "this card" if len(card_ids) == 1 else f"these {len(card_ids)} cards"
        click.confirm(f"Forget the progress of {these}?", abort=True)
    _each(card_ids, "reset")


@cards.command("flag")
@click.argument("card_id")
@click.argument("flag", type=click.Choice(FLAG_CHOICES))
def cards_flag(card_id: str, flag: str) -> None:
    """Flag a card red, orange, green or blue (none clears it)."""
    number = next((n for n, name in FLAGS.items() if name == flag), 0)
    _options().context().study.set_flag(card_id, number)
    click.echo(f"flag {flag}: {card_id}")


# Export and import


@click.group()
def export() -> None:
    """Write your decks or your review log to a file."""


@export.command("anki")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--deck", "deck_id", help="Export only this deck (its id).")
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
def export_anki_command(file: Path, deck_id: str | None, force: bool) -> None:
    """Write the decks as an Anki package (.apkg).

    Importing a newer export into Anki updates the notes it already has.
    """
    from sreflash.exporting import export_anki  # genanki takes a while to load

    check_output_file(file, force=force)
    context = _options().context()
    result = export_anki(context.library, file, context.clock.now(), deck_id)
    notes, decks = count_of(result.notes, "note"), count_of(result.decks, "deck")
    click.echo(f"Wrote {notes} in {decks} to {file}")


@export.command("reviews")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
def export_reviews_command(file: Path, force: bool) -> None:
    """Write the whole review log as CSV (.csv) or JSON lines (.jsonl)."""
    from sreflash.exporting import export_reviews

    check_output_file(file, force=force)
    count = export_reviews(_options().context().store, file)
    click.echo(f"Wrote {count} reviews to {file}")


@click.group("import")
def import_group() -> None:
    """Turn files from elsewhere into decks."""


@import_group.command("csv")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--deck", "deck_id", help="The new deck's id (default: from FILE).")
@click.option("--title", help="The deck's title (default: from FILE).")
@click.option("--topic", help="The cards' topic (default: the deck id).")
@click.option("--replace", is_flag=True, help="Overwrite a deck file of that name.")
def import_csv_command(
    file: Path,
    deck_id: str | None,
    title: str | None,
    topic: str | None,
    replace: bool,
) -> None:
    """Make a deck from a CSV or TSV of question, answer and optional tags.

    A header row (question,answer,tags) is optional. The deck is written to
    your deck folder (`sreflash decks path`) and checked before it is kept.

    \b
    Examples:
      sreflash import csv k8s.csv
      sreflash import csv notes.tsv --deck sre-terms --title "SRE terms"
    """
    library = _options().context().library
    result = import_csv(
        file,
        library,
        paths.user_decks_dir(),
        deck_id=deck_id,
        title=title,
        topic=topic,
        replace=replace,
    )
    verb = "Replaced" if result.replaced else "Wrote"
    cards = count_of(result.cards, "card")
    click.echo(f"{verb} {result.path}: deck {result.deck_id!r}, {cards}")


# Backup


@click.command()
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
def backup(file: Path | None, force: bool) -> None:
    """Copy the database to FILE, safely even while sreflash is open.

    Without FILE, the copy goes to the backups folder in your data dir.
    """
    context = _options().context()
    if file is None:
        stamp = context.clock.now().strftime("%Y%m%d-%H%M%S")
        file = paths.data_dir() / "backups" / f"sreflash-{stamp}.db"
        file.parent.mkdir(parents=True, exist_ok=True)  # the folder is sreflash's
    if context.store.path is not None and file.resolve() == (
        context.store.path.resolve()
    ):
        raise SreflashError(f"{file} is the database itself; choose another file")
    check_output_file(file, force=force)
    try:
        backup_to(context.store.db, file)
    except (OSError, sqlite3.Error) as error:
        raise SreflashError(f"{file}: cannot be written ({error})") from None
    click.echo(f"Backed up to {file}")
