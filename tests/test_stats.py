"""Stats from a review history written out by hand, so every answer is known."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from rich.console import Console

from sreflash.browse import Found
from sreflash.cli import cli
from sreflash.clock import FrozenClock
from sreflash.context import Context
from sreflash.decks import DRILL_KINDS
from sreflash.scheduling import CardState, FsrsCard, Rating, State, fsrs_id
from sreflash.screens.stats import weak_table
from sreflash.stats import FORECAST_DAYS, compute_stats
from sreflash.store import CardRow, ReviewRow, iso

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # where the shared clock fixture stops
TODAY = date(2026, 3, 2)  # T0's study day; days start at 04:00 UTC.
DAY_START = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)


def ids(context: Context, count: int) -> list[str]:
    """The first ``count`` drill cards of the bundled decks."""
    found = [c.id for c in context.library.iter_cards() if c.kind in DRILL_KINDS]
    return found[:count]


def review(
    context: Context,
    card_id: str,
    day: date,
    *,
    rating: int = 3,
    prev_state: int = CardState.REVIEW,
    interval: float | None = 5.0,
    ms: int = 10_000,
    hour: int = 12,
) -> None:
    """Log one review of ``card_id`` at ``hour`` UTC on study day ``day``."""
    moment = datetime(day.year, day.month, day.day, hour, tzinfo=UTC)
    card = context.library.cards[card_id]
    entry = ReviewRow(
        card_id=card_id,
        deck_id=card.deck_id,
        rating=rating,
        reviewed_at=iso(moment),
        study_day=day.isoformat(),
        duration_ms=ms,
        prev_state=prev_state,
        new_state=CardState.REVIEW,
        prev_interval_days=interval,
        new_interval_days=3.0,
        state_before=None,
        state_after="{}",
    )
    with context.store.transaction():
        context.store.add_review(entry)


def put(context: Context, card_id: str, **fields: object) -> None:
    """Store a card state with the given fields."""
    deck_id = context.library.cards[card_id].deck_id if card_id[0] != "_" else "x"
    row = CardRow(card_id, deck_id, **fields)  # type: ignore[arg-type]
    with context.store.transaction():
        context.store.put_card(row)


def days_ago(n: int) -> date:
    return TODAY - timedelta(days=n)


@pytest.fixture
def history(context: Context) -> list[str]:
    """Reviews over 31 days of three cards, with known retention and streak."""
    assert context.clock.now() == T0
    a, b, c = ids(context, 3)
    review(context, a, TODAY, rating=3, interval=5)  # young pass
    review(context, a, TODAY, rating=1, interval=0.01, hour=13)  # not first today
    review(context, b, TODAY, rating=1, interval=30)  # mature fail
    review(context, c, TODAY, rating=3, prev_state=CardState.NEW, interval=None)
    review(context, a, days_ago(3), rating=4, interval=25)  # mature pass
    review(context, b, days_ago(10), rating=1, interval=10)  # young fail
    review(context, c, days_ago(10), rating=2, interval=40)  # mature pass
    # A learning step first, so this day's review of the card is not judged.
    review(context, c, days_ago(12), prev_state=CardState.RELEARNING, hour=10)
    review(context, c, days_ago(12), rating=1, interval=30, hour=11)
    review(context, a, days_ago(30), rating=1, interval=30)  # outside 30 days
    return [a, b, c]


def test_true_retention_counts_first_reviews_of_cards_in_review(
    context: Context, history: list[str]
) -> None:
    week, month = compute_stats(context.study).retention

    assert (week.days, week.young.passed, week.young.total) == (7, 1, 1)
    assert (week.mature.passed, week.mature.total) == (1, 2)
    assert (month.days, month.young.passed, month.young.total) == (30, 1, 2)
    assert (month.mature.passed, month.mature.total) == (2, 3)
    assert month.all.rate == pytest.approx(3 / 5)


def test_retention_without_reviews_has_no_rate(context: Context) -> None:
    week = compute_stats(context.study).retention[0]

    assert week.all.total == 0
    assert week.all.rate is None


def test_streak_counts_days_studied_in_the_last_thirty(
    context: Context, history: list[str]
) -> None:
    stats = compute_stats(context.study)

    assert (stats.days_studied, stats.streak_days) == (4, 30)


def test_heatmap_covers_twelve_weeks_ending_today(
    context: Context, history: list[str]
) -> None:
    heatmap = dict(compute_stats(context.study).heatmap)

    assert len(heatmap) == 84
    assert min(heatmap) == TODAY - timedelta(days=83)
    assert max(heatmap) == TODAY
    assert heatmap[TODAY] == 4
    assert heatmap[days_ago(12)] == 2
    assert heatmap[days_ago(30)] == 1
    assert sum(heatmap.values()) == 10


def test_time_spent_and_todays_counts(context: Context, history: list[str]) -> None:
    stats = compute_stats(context.study)

    assert [(t.days, t.reviews, t.seconds) for t in stats.time] == [
        (1, 4, 40.0),
        (7, 5, 50.0),
        (30, 9, 90.0),
    ]
    assert (stats.today.reviews, stats.today.new, stats.today.again) == (4, 1, 2)
    assert stats.today.seconds == 40.0


def test_forecast_puts_each_card_on_its_study_day(context: Context) -> None:
    cards = ids(context, 9)
    tomorrow = DAY_START + timedelta(days=1)
    review_state = {"state": CardState.REVIEW, "fsrs": None}
    put(context, cards[0], due=iso(T0 - timedelta(days=3)), **review_state)
    put(context, cards[1], due=iso(T0 + timedelta(hours=8)), **review_state)
    put(context, cards[2], due=iso(tomorrow - timedelta(minutes=1)), **review_state)
    put(context, cards[3], due=iso(tomorrow), **review_state)
    put(context, cards[4], due=iso(tomorrow + timedelta(days=28)), **review_state)
    put(context, cards[5], due=iso(tomorrow + timedelta(days=29)), **review_state)
    put(context, cards[6], due=iso(T0), suspended=1, **review_state)
    put(
        context,
        cards[7],
        due=iso(T0),
        buried_until=iso(tomorrow),
        state=CardState.LEARNING,
    )
    put(context, cards[8], due=iso(T0), state=CardState.NEW)
    put(context, "_gone", due=iso(T0), state=CardState.REVIEW)

    forecast = compute_stats(context.study).forecast

    assert len(forecast) == FORECAST_DAYS
    assert forecast[0] == (TODAY, 3)
    assert forecast[1] == (TODAY + timedelta(days=1), 2)
    assert forecast[29] == (TODAY + timedelta(days=29), 1)
    assert sum(n for _, n in forecast) == 6


def test_todays_waiting_counts_match_the_study_queue(context: Context) -> None:
    clock = context.clock
    assert isinstance(clock, FrozenClock)
    study = context.study
    for _ in range(4):
        card = study.next_card(kinds=DRILL_KINDS)
        assert card is not None
        study.rate(card, Rating.Good, duration_ms=2_000)
    first = study.next_card(kinds=DRILL_KINDS)
    assert first is not None
    study.bury(first.id)

    stats = compute_stats(study)

    assert stats.today.waiting == study.counts(kinds=DRILL_KINDS)
    assert (stats.today.reviews, stats.today.new, stats.today.seconds) == (4, 4, 8.0)
    assert stats.collection.learning == 4
    assert stats.collection.new == stats.collection.cards - 4


def test_the_collection_counts_split_the_cards_with_suspended_apart(
    context: Context,
) -> None:
    new_card, review_card, learning_card = ids(context, 3)
    put(context, new_card, due=iso(T0), state=CardState.NEW, suspended=1)
    put(context, review_card, due=iso(T0), state=CardState.REVIEW, suspended=1)
    put(context, learning_card, due=iso(T0), state=CardState.LEARNING)

    c = compute_stats(context.study).collection

    assert (c.learning, c.review, c.suspended) == (1, 0, 2)
    assert c.new == c.cards - 3
    assert c.new + c.learning + c.review + c.suspended == c.cards


def test_weakest_cards_rank_lapses_and_retrievability(context: Context) -> None:
    a, b, c = ids(context, 3)
    scheduler = context.study.scheduler

    def fsrs(card_id: str, stability: float, days: int) -> str:
        last = T0 - timedelta(days=days)
        return FsrsCard(
            card_id=fsrs_id(card_id),
            state=State.Review,
            stability=stability,
            difficulty=5.0,
            due=last + timedelta(days=stability),
            last_review=last,
        ).to_json()

    def row(card_id: str, stability: float, days: int, lapses: int) -> None:
        put(
            context,
            card_id,
            state=CardState.REVIEW,
            fsrs=fsrs(card_id, stability, days),
            due=iso(T0 - timedelta(days=days) + timedelta(days=stability)),
            stability=stability,
            last_review=iso(T0 - timedelta(days=days)),
            lapses=lapses,
        )

    row(a, stability=10.0, days=20, lapses=1)  # long overdue
    row(b, stability=50.0, days=5, lapses=7)  # fresh
    row(c, stability=4.0, days=6, lapses=3)

    stats = compute_stats(context.study, weakest=2)

    assert [(w.card_id, w.lapses) for w in stats.most_lapses] == [(b, 7), (c, 3)]
    assert [w.card_id for w in stats.least_retrievable] == [a, c]
    expected = scheduler.get_card_retrievability(
        FsrsCard.from_json(fsrs(a, 10.0, 20)), T0
    )
    assert stats.least_retrievable[0].retrievability == pytest.approx(expected)
    assert 0 < expected < 0.9

    # As the stats screen shows it when narrow: headings and figures whole.
    console = Console(width=60, file=io.StringIO(), record=True)
    console.print(weak_table(stats))
    shown = console.export_text()
    assert "lapses  recall" in shown
    assert any(line.split()[:2] == [b, "7"] for line in shown.splitlines())


def test_mock_scores_and_lab_checks_are_listed(context: Context) -> None:
    db = context.store.db
    with context.store.transaction():
        for n, score in enumerate((0.5, 0.75)):
            db.execute(
                "INSERT INTO mock_sessions (started_at, finished_at, questions, "
                "minutes, score, verdict) VALUES (?, ?, 6, 3, ?, 'pass')",
                [iso(T0 + timedelta(days=n)), iso(T0 + timedelta(days=n)), score],
            )
        db.execute(
            "INSERT INTO mock_sessions (started_at, questions, minutes) "
            "VALUES (?, 6, 3)",
            [iso(T0)],
        )
        for n, (passed, failed) in enumerate(((3, 2), (5, 0))):
            db.execute(
                "INSERT INTO lab_runs (lab_id, mode, started_at, passed, failed, "
                "cannot) VALUES ('image', 'live', ?, ?, ?, 1)",
                [iso(T0 + timedelta(hours=n)), passed, failed],
            )

    stats = compute_stats(context.study)

    assert [m.score for m in stats.mocks] == [0.5, 0.75]
    (lab,) = stats.labs
    assert (lab.lab_id, lab.runs, lab.passed, lab.failed, lab.cannot) == (
        "image",
        2,
        8,
        2,
        2,
    )
    assert (lab.last_passed, lab.last_failed) == (5, 0)


def test_json_output_is_plain_data(context: Context, history: list[str]) -> None:
    data = json.loads(json.dumps(compute_stats(context.study).to_json()))

    assert data["day"] == "2026-03-02"
    assert data["forecast"][0] == {"day": "2026-03-02", "due": 0}
    assert data["heatmap"][-1] == {"day": "2026-03-02", "reviews": 4}
    assert data["retention"][0]["mature"] == {"passed": 1, "total": 2, "rate": 0.5}
    assert data["days_studied"] == 4


def test_stats_command_prints_json_and_text(context: Context) -> None:
    card = context.study.next_card(kinds=DRILL_KINDS)
    assert card is not None
    context.study.rate(card, Rating.Again, duration_ms=90_000)
    db = str(context.store.path)
    runner = CliRunner()

    data = runner.invoke(cli, ["--db", db, "stats", "--json"])
    text = runner.invoke(cli, ["--db", db, "stats"])

    assert data.exit_code == 0, data.output
    figures = json.loads(data.stdout)
    assert figures["collection"]["learning"] == 1
    assert len(figures["forecast"]) == FORECAST_DAYS
    assert {w["days"] for w in figures["retention"]} == {7, 30}
    assert "Cards: " in text.stdout and "True retention" in text.stdout


def test_cards_commands_manage_a_card(context: Context) -> None:
    db = str(context.store.path)
    runner = CliRunner()
    card_id = ids(context, 1)[0]

    def run(*args: str) -> str:
        result = runner.invoke(cli, ["--db", db, "cards", *args])
        assert result.exit_code == 0, result.output
        return result.stdout

    run("suspend", card_id)
    listed = json.loads(run("list", "is:suspended", "--json"))
    run("flag", card_id, "green")
    info = json.loads(run("info", card_id, "--json"))
    run("unsuspend", card_id)
    run("bury", card_id)
    text = run("info", card_id)
    run("unbury", card_id)
    assert "State: new" in run("info", card_id)

    assert [c["id"] for c in listed] == [card_id]
    assert (info["state"], info["flag"], info["history"]) == ("suspended", "green", [])
    assert "State: buried" in text
    missing = runner.invoke(cli, ["--db", db, "cards", "info", "nope"])
    assert missing.exit_code != 0
    assert "no loaded deck has a card with id 'nope'" in str(missing.exception)


def test_a_bad_id_among_several_changes_no_card(context: Context) -> None:
    db = str(context.store.path)
    card_id = ids(context, 1)[0]

    result = CliRunner().invoke(cli, ["--db", db, "cards", "suspend", card_id, "nope"])

    assert result.exit_code != 0
    assert "'nope'; nothing was changed" in str(result.exception)
    assert context.store.card_row(card_id) is None


def test_reset_checks_the_ids_before_asking_and_asks_before_forgetting(
    context: Context,
) -> None:
    db = str(context.store.path)
    card = ids(context, 1)[0]
    context.study.rate(context.library.cards[card], Rating.Good, duration_ms=1)
    runner = CliRunner()

    typo = runner.invoke(cli, ["--db", db, "cards", "reset", "nope"], input="y\n")
    assert "Forget" not in typo.output
    assert "'nope'; nothing was changed" in str(typo.exception)

    declined = runner.invoke(cli, ["--db", db, "cards", "reset", card], input="n\n")
    assert "Forget the progress of this card? [y/N]" in declined.output
    assert declined.exit_code == 1 and context.store.card_row(card) is not None

    done = runner.invoke(cli, ["--db", db, "cards", "reset", card, "--yes"])
    assert done.exit_code == 0 and done.stdout == f"reset: {card}\n"
    assert context.store.card_row(card) is None


def test_a_due_date_is_the_one_on_the_learners_calendar(context: Context) -> None:
    card = context.library.cards[ids(context, 1)[0]]
    late = CardRow(card.id, card.deck_id, due="2026-03-02T23:30:00+00:00")

    assert Found(card, late, frozenset(), ZoneInfo("UTC")).due == "2026-03-02"
    assert Found(card, late, frozenset(), ZoneInfo("Europe/Berlin")).due == (
        "2026-03-03"
    )
