"""Mock interviews without the screen: choosing, timing, grading, saving, history."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from sreflash import paths
from sreflash.app import SreflashApp
from sreflash.clock import FrozenClock
from sreflash.config import Settings
from sreflash.context import Context, open_context
from sreflash.mock import (
    MockError,
    MockOptions,
    MockReport,
    MockSession,
    card_weights,
    choose_questions,
    mock_history,
    report_markdown,
    save_report,
    sparkline,
    trend,
    weakness,
    write_report,
)
from sreflash.scheduling import Rating
from sreflash.store import CardRow
from tests.conftest import run_cli
from tests.mockdeck import GOOD, MOCK_IDS, mock_context, write_mock_deck

NO_FOLLOW_UPS = MockOptions(questions=3, minutes=2, seed=7, follow_up_chance=0.0)


@pytest.fixture
def mctx(tmp_path: Path, clock: FrozenClock) -> Iterator[Context]:
    """A context over the small mock deck."""
    ctx = mock_context(tmp_path, clock)
    yield ctx
    ctx.close()


def run(session: MockSession, clock: FrozenClock, answers: dict[str, str]) -> None:
    """Answer every question with ``answers`` (skip when absent), 30 s each."""
    while (card := session.next_question()) is not None:
        clock.advance(timedelta(seconds=30))
        if card.id in answers:
            session.submit(answers[card.id])
        else:
            session.skip()


# Choosing questions


def test_a_seed_gives_the_same_questions_without_repeats(mctx: Context) -> None:
    options = MockOptions(questions=4, seed=11)

    first = choose_questions(mctx.study, options, random.Random(11))
    again = choose_questions(mctx.study, options, random.Random(11))

    assert [c.id for c in first] == [c.id for c in again]
    assert sorted(c.id for c in first) == sorted(MOCK_IDS)


def test_lab_cards_are_never_asked(mctx: Context) -> None:
    for seed in range(20):
        options = MockOptions(questions=10, seed=seed)
        chosen = choose_questions(mctx.study, options, random.Random(seed))
        assert "m-lab" not in {c.id for c in chosen}
        assert len(chosen) == 4


def test_a_topic_narrows_the_questions(mctx: Context) -> None:
    options = MockOptions(questions=6, topic="build-cache")

    chosen = choose_questions(mctx.study, options, random.Random(1))

    assert {c.id for c in chosen} == {"m-cache", "m-cache-follow"}


def test_an_unknown_deck_or_an_empty_topic_is_a_clear_error(mctx: Context) -> None:
    with pytest.raises(MockError, match="no loaded deck has the id 'nope'"):
        MockSession(mctx.study, MockOptions(deck_id="nope"))
    with pytest.raises(
        MockError,
        match="the loaded decks: no question to ask on topic 'cooking'; topics with "
        "questions: build-cache, secrets, security",
    ):
        MockSession(mctx.study, MockOptions(topic="cooking"))
    with pytest.raises(MockError, match="--questions must be from 1 to 50"):
        MockSession(mctx.study, MockOptions(questions=0))


def test_weakness_favours_new_forgotten_lapsed_and_badly_answered_cards() -> None:
    known = CardRow("c", "d", state=2, lapses=0)
    lapsed = CardRow("c", "d", state=2, lapses=4)

    assert weakness(None, None) == 3.0
    assert weakness(known, 0.95) < weakness(known, 0.5) < weakness(None, None)
    assert weakness(lapsed, 0.95) > weakness(known, 0.95)
    assert weakness(known, 0.95, [0.1, 0.2]) > weakness(known, 0.95, [1.0, 0.9])


def test_cards_already_known_weigh_less_and_suspended_ones_are_left_out(
    mctx: Context,
) -> None:
    study = mctx.study
    cards = study.library.cards
    study.rate(cards["m-root"], Rating.Good)
    study.set_suspended("m-secrets", True)

    weights = card_weights(study, [cards[i] for i in MOCK_IDS])

    assert "m-secrets" not in weights
    # Both are questions (x1.5); new weighs 3, just reviewed about 1.
    assert weights["m-cache"] == pytest.approx(4.5)
    assert weights["m-root"] == pytest.approx(1.5)


def test_weak_cards_come_up_more_often(mctx: Context) -> None:
    study = mctx.study
    for card_id in ("m-cache", "m-cache-follow", "m-secrets"):
        study.rate(study.library.cards[card_id], Rating.Good)

    firsts = [
        choose_questions(study, MockOptions(questions=1), random.Random(seed))[0].id
        for seed in range(200)
    ]

    # m-root is new (4.5) against 1.5 + 1.0 + 1.5 for the others: about 53%.
    assert 85 < firsts.count("m-root") < 130


# Running a session


def test_questions_are_timed_by_the_injected_clock(
    mctx: Context, clock: FrozenClock
) -> None:
    session = MockSession(mctx.study, NO_FOLLOW_UPS)

    first = session.next_question()
    assert first is not None
    assert session.remaining() == timedelta(minutes=2)
    clock.advance(timedelta(seconds=45))
    assert session.remaining() == timedelta(seconds=75)
    answered = session.submit(GOOD[first.id])

    session.next_question()
    clock.advance(timedelta(minutes=5))
    assert session.out_of_time()
    late = session.submit("half an answer")

    session.next_question()
    clock.advance(timedelta(seconds=5))
    skipped = session.skip()

    assert (answered.seconds, answered.timed_out) == (45.0, False)
    assert (late.seconds, late.timed_out, late.text) == (120.0, True, "half an answer")
    assert (skipped.skipped, skipped.text) == (True, "")
    assert session.finished
    assert session.next_question() is None
    assert [a.position for a in session.answers] == [1, 2, 3]


def test_a_follow_up_takes_the_place_of_the_next_planned_question(
    mctx: Context, clock: FrozenClock
) -> None:
    cards = mctx.library.cards
    plan = [cards["m-cache"], cards["m-root"], cards["m-secrets"]]
    options = MockOptions(questions=3, seed=1, follow_up_chance=1.0)
    session = MockSession(mctx.study, options, plan=plan)

    run(session, clock, GOOD)

    asked = [(a.card.id, a.follow_up_of) for a in session.answers]
    assert asked == [
        ("m-cache", None),
        ("m-cache-follow", "m-cache"),
        ("m-root", None),
    ]


def test_a_suspended_card_is_never_asked_as_a_follow_up(
    mctx: Context, clock: FrozenClock
) -> None:
    cards = mctx.library.cards
    mctx.study.set_suspended("m-cache-follow", True)
    plan = [cards["m-cache"], cards["m-root"], cards["m-secrets"]]
    options = MockOptions(questions=3, seed=1, follow_up_chance=1.0)
    session = MockSession(mctx.study, options, plan=plan)

    run(session, clock, GOOD)

    assert [a.card.id for a in session.answers] == ["m-cache", "m-root", "m-secrets"]
    row = mctx.store.card_row("m-cache-follow")
    assert row is not None and row.reps == 0


def test_no_follow_up_comes_after_a_skip(mctx: Context, clock: FrozenClock) -> None:
    cards = mctx.library.cards
    plan = [cards["m-cache"], cards["m-root"], cards["m-secrets"]]
    options = MockOptions(questions=3, seed=1, follow_up_chance=1.0)
    session = MockSession(mctx.study, options, plan=plan)

    run(session, clock, {})

    assert [a.card.id for a in session.answers] == ["m-cache", "m-root", "m-secrets"]


def test_the_report_grades_answers_and_overrules_flip_verdicts(
    mctx: Context, clock: FrozenClock
) -> None:
    cards = mctx.library.cards
    plan = [cards["m-cache"], cards["m-root"], cards["m-secrets"]]
    session = MockSession(mctx.study, NO_FOLLOW_UPS, plan=plan)
    run(session, clock, {"m-cache": GOOD["m-cache"], "m-root": "uid 0 I think"})

    report = session.report()

    assert [a.verdict for a in report.answers] == ["pass", "fail", "fail"]
    assert report.answers[0].score == 1.0
    assert report.answers[1].covered == [
        "Root in the container is UID 0 on the host kernel"
    ]
    assert report.band == "not ready yet"
    assert report.weakest_topics() == ["secrets", "security"]
    assert report.drill_next() == ["m-secrets", "m-root"]

    report.overrule(2)
    assert report.answers[1].verdict == "pass"
    assert report.answers[1].overruled
    assert report.band == "nearly ready"
    with pytest.raises(MockError, match="skipped question"):
        report.overrule(3)


# Saving


def _finished(mctx: Context, clock: FrozenClock, schedule: bool = True) -> MockReport:
    cards = mctx.library.cards
    plan = [cards["m-cache"], cards["m-root"], cards["m-secrets"]]
    options = MockOptions(
        questions=3, minutes=2, seed=7, follow_up_chance=0.0, schedule=schedule
    )
    session = MockSession(mctx.study, options, plan=plan)
    run(session, clock, {"m-cache": GOOD["m-cache"], "m-root": "no idea"})
    return session.report()


def test_saving_stores_the_session_and_every_answer(
    mctx: Context, clock: FrozenClock
) -> None:
    report = _finished(mctx, clock)

    session_id = save_report(mctx.study, report)

    db = mctx.store.db
    session = db.execute("SELECT * FROM mock_sessions").fetchall()
    assert session == [
        (
            session_id,
            "2026-03-02T12:00:00+00:00",
            "2026-03-02T12:01:30+00:00",
            None,
            None,
            7,
            3,
            2.0,
            pytest.approx(1 / 3),
            "not ready yet",
            1,
            json.dumps(report.summary()),
        )
    ]
    answers = db.execute(
        "SELECT position, card_id, follow_up_of, answer, score, verdict, overruled,"
        " covered, missed, seconds, timed_out, skipped FROM mock_answers"
        " WHERE session_id = ? ORDER BY position",
        [session_id],
    ).fetchall()
    assert answers[0] == (
        1,
        "m-cache",
        None,
        GOOD["m-cache"],
        1.0,
        "pass",
        0,
        json.dumps([p.text for p in mctx.library.cards["m-cache"].key_points]),
        "[]",
        30.0,
        0,
        0,
    )
    assert answers[1][1:6] == ("m-root", None, "no idea", 0.0, "fail")
    assert answers[2][1] == "m-secrets"
    assert answers[2][-1] == 1


def test_answered_cards_are_reviewed_pass_as_good_and_fail_as_again(
    mctx: Context, clock: FrozenClock
) -> None:
    report = _finished(mctx, clock)

    save_report(mctx.study, report)

    rows = mctx.store.db.execute(
        "SELECT card_id, rating, duration_ms, source FROM review_log ORDER BY id"
    ).fetchall()
    assert rows == [
        ("m-cache", int(Rating.Good), 30000, "mock"),
        ("m-root", int(Rating.Again), 30000, "mock"),
    ]


def test_no_schedule_saves_the_session_but_reviews_nothing(
    mctx: Context, clock: FrozenClock
) -> None:
    report = _finished(mctx, clock, schedule=False)

    save_report(mctx.study, report)

    assert mctx.store.count("SELECT COUNT(*) FROM review_log") == 0
    assert mctx.store.count("SELECT COUNT(*) FROM mock_answers") == 3
    assert mctx.store.count("SELECT scheduled FROM mock_sessions") == 0


def test_an_overruled_verdict_is_saved_and_scheduled_as_overruled(
    mctx: Context, clock: FrozenClock
) -> None:
    report = _finished(mctx, clock)
    report.overrule(2)

    save_report(mctx.study, report)

    saved = mctx.store.db.execute(
        "SELECT verdict, overruled FROM mock_answers WHERE card_id = 'm-root'"
    ).fetchone()
    rating = mctx.store.db.execute(
        "SELECT rating FROM review_log WHERE card_id = 'm-root'"
    ).fetchone()
    assert saved == ("pass", 1)
    assert rating == (int(Rating.Good),)


def test_a_saved_report_cannot_be_saved_or_overruled_again(
    mctx: Context, clock: FrozenClock
) -> None:
    report = _finished(mctx, clock)
    save_report(mctx.study, report)

    with pytest.raises(MockError, match="saved already"):
        save_report(mctx.study, report)
    with pytest.raises(MockError, match="can no longer change"):
        report.overrule(1)
    assert mctx.store.count("SELECT COUNT(*) FROM mock_sessions") == 1


def test_past_mock_scores_pull_a_card_back_into_later_sessions(
    mctx: Context, clock: FrozenClock
) -> None:
    before = card_weights(mctx.study, [mctx.library.cards["m-secrets"]])
    save_report(mctx.study, _finished(mctx, clock, schedule=False))

    after = card_weights(mctx.study, [mctx.library.cards["m-secrets"]])

    # Skipped answers are not held against a card; m-root's zero is.
    assert after == before
    root = card_weights(mctx.study, [mctx.library.cards["m-root"]])
    assert root["m-root"] == pytest.approx(1.5 * (3.0 + 2.0))


# History and reports


def test_history_lists_sessions_with_scores_and_a_trend(
    mctx: Context, clock: FrozenClock
) -> None:
    save_report(mctx.study, _finished(mctx, clock))
    clock.advance(timedelta(days=1))
    cards = mctx.library.cards
    session = MockSession(
        mctx.study, NO_FOLLOW_UPS, plan=[cards[i] for i in ("m-cache", "m-root")]
    )
    run(session, clock, GOOD)
    save_report(mctx.study, session.report())

    history = mock_history(mctx.store)

    assert [(h.questions, h.passed, h.band) for h in history] == [
        (3, 1, "not ready yet"),
        (2, 2, "ready"),
    ]
    assert history[0].score == pytest.approx(1 / 3)
    assert history[1].to_dict()["score"] == 1.0
    assert trend([h.score for h in history]) == "up 67 points on the sessions before"
    assert sparkline([h.score for h in history]) == "▃█"


def test_trend_in_words() -> None:
    assert trend([]) == "no sessions yet"
    assert trend([0.5]) == "one session so far"
    assert trend([0.5, 0.51]) == "steady"
    assert trend([0.9, 0.8, 0.4, 0.5, 0.3]) == "down 27 points on the sessions before"
    assert (
        trend([0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8])
        == "up 30 points on the sessions before"
    )


def test_the_markdown_report_shows_answers_points_times_and_model_answers(
    mctx: Context, clock: FrozenClock, tmp_path: Path
) -> None:
    report = _finished(mctx, clock)
    report.answers[1].timed_out = True

    text = report_markdown(report)
    path = write_report(report, tmp_path / "out" / "mock.md")

    assert path.read_text(encoding="utf-8") == text
    assert text.startswith("# Mock interview, 2026-03-02 12:00 UTC\n")
    berlin = report_markdown(report, zone=ZoneInfo("Europe/Berlin"))
    assert berlin.startswith("# Mock interview, 2026-03-02 13:00 CET\n")
    assert "Overall score **33%**, 1 of 3 answers passed: **not ready yet**." in text
    assert "Drill next: `m-root`, `m-secrets`." in text
    assert "## 2. Why is running a container as root dangerous?" in text
    assert "`m-root` · security · score 0% · fail · 30 s · timed out" in text
    assert "> no idea" in text
    assert "_Skipped._" in text
    assert "- Escaping to the host becomes easier" in text
    assert mctx.library.cards["m-secrets"].answer in text


def test_an_unwritable_report_path_is_a_clear_error(
    mctx: Context, clock: FrozenClock, tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")

    with pytest.raises(MockError, match="cannot write the report"):
        write_report(_finished(mctx, clock), blocker / "mock.md")


def test_a_report_path_that_cannot_be_written_is_refused_before_asking(
    tmp_path: Path,
) -> None:
    (tmp_path / "folder").mkdir()

    with pytest.raises(MockError, match="is a folder, not a file"):
        MockOptions(report_path=tmp_path / "folder").check()
    with pytest.raises(MockError, match=f"the folder {tmp_path / 'nope'} does not"):
        MockOptions(report_path=tmp_path / "nope" / "r.md").check()
    MockOptions(report_path=tmp_path / "r.md").check()


# The command line


def test_mock_history_lists_sessions_as_text_and_json(
    tmp_path: Path,
    clock: FrozenClock,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    deck = write_mock_deck(tmp_path / "decks")
    ctx = open_context(
        db=paths.db_path(), decks=[deck], settings=Settings(), clock=clock, fuzz=False
    )
    save_report(ctx.study, _finished(ctx, clock))
    ctx.close()
    # Times show in the learner's zone: noon UTC is 1 pm in Berlin in March.
    paths.config_path().parent.mkdir(parents=True, exist_ok=True)
    paths.config_path().write_text('timezone = "Europe/Berlin"\n')

    code, out, _ = run_cli(
        ["--decks", str(deck), "mock", "history"], capsys, monkeypatch
    )
    assert code == 0
    assert out.splitlines() == [
        "  id  when                   passed  score  band",
        "   1  2026-03-02 13:00 CET      1/3    33%  not ready yet",
        "",
        "Trend: ▃  one session so far",
    ]

    code, out, _ = run_cli(["mock", "history", "--json"], capsys, monkeypatch)
    assert code == 0
    assert json.loads(out) == [
        {
            "id": 1,
            "started_at": "2026-03-02T12:00:00+00:00",
            "questions": 3,
            "passed": 1,
            "score": 0.333,
            "band": "not ready yet",
            "minutes": 2.0,
            "deck": None,
            "topic": None,
            "scheduled": True,
        }
    ]


def test_mock_history_says_so_when_there_is_none(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = run_cli(["mock", "history"], capsys, monkeypatch)

    assert code == 0
    assert out == "No mock interview yet: `sreflash mock` starts one.\n"


def test_mock_refuses_a_bad_deck_or_topic_before_opening_the_tui(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, out, err = run_cli(["mock", "--topic", "cooking"], capsys, monkeypatch)
    assert (code, out) == (1, "")
    assert err.startswith(
        "Error: the loaded decks: no question to ask on topic 'cooking'; topics with "
        "questions: "
    )

    code, _, err = run_cli(["mock", "--deck", "nope"], capsys, monkeypatch)
    assert (code, err) == (1, "Error: no loaded deck has the id 'nope'\n")

    code, _, err = run_cli(["mock", "--minutes", "0"], capsys, monkeypatch)
    assert code == 2
    assert "Invalid value for '--minutes'" in err

    kept = tmp_path / "kept.md"
    kept.write_text("last week's report")
    code, _, err = run_cli(["mock", "--report", str(kept)], capsys, monkeypatch)
    assert (code, err) == (
        1,
        f"Error: {kept} already exists; pass --force to overwrite it\n",
    )


def test_mock_opens_the_tui_with_the_options_given(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: list[MockOptions | None] = []

    def fake_run(app: SreflashApp) -> None:
        assert app.start == "mock"
        started.append(app.start_mock_options)

    monkeypatch.setattr(SreflashApp, "run", fake_run)
    # pytest captures stdout, so there is no terminal to draw in.
    monkeypatch.setattr("sreflash.cli.require_terminal", lambda: None)
    report = tmp_path / "r.md"
    args = ["mock", "-n", "3", "-m", "1.5", "--topic", "security", "--seed", "4"]

    code, _, _ = run_cli(
        [*args, "--no-schedule", "--report", str(report)], capsys, monkeypatch
    )
    code_default, _, _ = run_cli(["mock"], capsys, monkeypatch)

    assert (code, code_default) == (0, 0)
    assert started[0] == MockOptions(
        questions=3,
        minutes=1.5,
        topic="security",
        seed=4,
        schedule=False,
        report_path=report,
    )
    assert started[1] == MockOptions(questions=6, minutes=3.0)


def test_the_mock_and_grading_core_never_import_textual() -> None:
    code = (
        "import sys, sreflash.mock, sreflash.grading, sreflash.cli_mock;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))"
    )

    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert done.stdout.strip() == "[]"


def test_deck_and_learner_text_stay_literal_in_reports() -> None:
    from sreflash.decks import Card, KeyPoint
    from sreflash.grading import grade
    from sreflash.mock import Answer, answer_markdown, md_escape
    from sreflash.screens.mock_report import answer_text

    card = Card(
        id="c-ignore",
        deck_id="d",
        kind="concept",
        topic="dockerignore",
        prompt="What keeps <none> images and **/__pycache__ out?",
        answer="List **/__pycache__ in .dockerignore.",
        key_points=(KeyPoint("**/__pycache__ is listed"),),
    )
    typed = "I'd ignore **/__pycache__ and *.pyc, plus [red]x[/red]"
    answer = Answer(card, 1, typed, 12.0, grade=grade(card, typed))

    shown = answer_text(answer).plain
    written = "\n".join(answer_markdown(answer))

    assert "What keeps <none> images and **/__pycache__ out?" in shown
    assert typed in shown and "List **/__pycache__ in .dockerignore." in shown
    assert md_escape(typed) in written
    assert "\\*\\*/\\_\\_pycache\\_\\_" in written
    # Only what would change the text is escaped: a dash mid-line is a dash.
    assert md_escape("docker build -t phase2-flask (v2).") == (
        "docker build -t phase2-flask (v2)."
    )
    assert md_escape("- not a list\n1. nor this\n# nor a heading") == (
        "\\- not a list\n1\\. nor this\n\\# nor a heading"
    )


def test_the_report_tells_a_point_stated_backwards_from_one_left_out(
    mctx: Context, clock: FrozenClock
) -> None:
    options = MockOptions(questions=1, minutes=2, seed=7, follow_up_chance=0.0)
    session = MockSession(mctx.study, options, plan=[mctx.library.cards["m-cache"]])
    run(session, clock, {"m-cache": "Each instruction is a cached layer. Copy the"
                         " code first, then install the dependencies."})  # fmt: skip
    answer = session.report().answers[0]

    assert answer.contradicted == ["Install dependencies before copying the code"]
    assert answer.left_out == ["A change rebuilds every later step"]
    markdown = report_markdown(session.report())
    backwards = markdown.split("**Stated the wrong way round**")[1]
    assert backwards.split("**Missed**")[0].strip() == (
        "- Install dependencies before copying the code"
    )


@pytest.mark.parametrize(
    "text",
    [
        "docker build -t phase2-flask:optimized .",
        "- not a list",
        "# not a heading",
        "1. not a list either",
        "---> Using cache",
        "**/__pycache__ and __init__.py, *.pyc",
        "[not](a link) <b>not html</b> ~~not struck~~ a|b `not code`",
    ],
)
def test_escaped_text_reads_back_as_written_in_a_markdown_reader(text: str) -> None:
    from markdown_it import MarkdownIt

    from sreflash.mock import md_escape

    tokens = (
        MarkdownIt("commonmark")
        .enable(["table", "strikethrough"])
        .parse(md_escape(text))
    )
    inline = [t for t in tokens if t.type == "inline"]
    assert len(inline) == 1 and inline[0].children is not None
    assert "".join(c.content for c in inline[0].children) == text
