"""Mock interviews: timed questions, typed answers scored on key points, a report.

A :class:`MockSession` picks questions weighted toward what the learner knows least
and runs them one by one against the injected clock, so a test can make a question
time out by moving a :class:`~sreflash.clock.FrozenClock`. Grading happens once the
session is over (:meth:`MockSession.report`), so the model answers stay hidden until
then. :func:`save_report` stores the session and its answers and gives each answered
card an FSRS review. Nothing here knows about the screen.
"""

from __future__ import annotations

import json
import os
import random
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path

from sreflash.decks import DRILL_KINDS, Card
from sreflash.errors import SreflashError
from sreflash.grading import PASS_SCORE, Grade, grade
from sreflash.scheduling import CardState, Rating
from sreflash.store import CardRow, Store, iso, parse_iso
from sreflash.study import Study
from sreflash.wording import local_time

FOLLOW_UP_CHANCE = 0.35

# Interviewers ask questions and scenarios more than definitions.
_KIND_WEIGHT = {"question": 1.5, "scenario": 1.5}
# Each question already drawn from a topic halves the pull of that topic's others.
_SAME_TOPIC = 0.5
_SAME_DECK = 0.8

BANDS = (
    (0.8, "ready"),
    (0.5, "nearly ready"),
    (0.0, "not ready yet"),
)


class MockError(SreflashError):
    """A mock interview cannot be set up or saved as asked."""

    title = "Mock interview"


@dataclass(frozen=True, slots=True)
class MockOptions:
    """What the learner asked for."""

    questions: int = 6
    minutes: float = 3.0
    deck_id: str | None = None
    topic: str | None = None
    seed: int | None = None
    schedule: bool = True
    """Give each answered card an FSRS review (pass as Good, fail as Again)."""
    follow_up_chance: float = FOLLOW_UP_CHANCE
    """How often an answer is followed by one of the card's follow-ups."""
    report_path: Path | None = None
    """Where to write the Markdown report once the session is saved."""

    def check(self) -> None:
        """Raise :class:`MockError` for a count or a time out of range."""
        if not 1 <= self.questions <= 50:
            raise MockError(f"--questions must be from 1 to 50, not {self.questions}")
        if not 0.25 <= self.minutes <= 60:
            raise MockError(f"--minutes must be from 0.25 to 60, not {self.minutes}")
        if self.report_path is not None:
            # Found out now, not after a 20-minute interview.
            folder = self.report_path.parent
            if self.report_path.is_dir():
                raise MockError(f"--report {self.report_path} is a folder, not a file")
            if not folder.is_dir():
                raise MockError(f"--report: the folder {folder} does not exist")
            if not os.access(folder, os.W_OK):
                raise MockError(f"--report: the folder {folder} cannot be written")


# Choosing questions


def eligible(card: Card) -> bool:
    """Whether a card can be asked in a mock: a spoken question with key points."""
    return card.kind in DRILL_KINDS and bool(card.key_points)


def weakness(
    row: CardRow | None,
    retrievability: float | None,
    mock_scores: Sequence[float] = (),
) -> float:
    """How much a card needs practice: higher for new, forgotten, lapsed or badly
    answered cards. Every card keeps some weight, so strong ones still come up."""
    if row is None or row.state == CardState.NEW:
        weight = 3.0
    else:
        recall = 1.0 if retrievability is None else retrievability
        weight = 1.0 + 2.0 * (1.0 - recall) + 0.5 * min(row.lapses, 6)
    if mock_scores:
        recent = statistics.fmean(mock_scores[-3:])
        weight += 2.0 * (1.0 - recent)
    return weight


def card_weights(study: Study, cards: Iterable[Card]) -> dict[str, float]:
    """Each card's pull toward being asked, from its state and past mock scores."""
    now = study.now()
    rows = {row.card_id: row for row in study.store.card_rows()}
    scores = past_scores(study.store)

    weights: dict[str, float] = {}
    for card in cards:
        row = rows.get(card.id)
        if row is not None and row.suspended:
            continue
        fsrs_card = row.fsrs_card() if row is not None else None
        recall = (
            study.scheduler.get_card_retrievability(fsrs_card, now)
            if fsrs_card is not None
            else None
        )
        kind = _KIND_WEIGHT.get(card.kind, 1.0)
        weights[card.id] = kind * weakness(row, recall, scores.get(card.id, ()))
    return weights


def past_scores(store: Store) -> dict[str, list[float]]:
    """Every card's earlier mock scores, oldest first."""
    scores: dict[str, list[float]] = defaultdict(list)
    cursor = store.db.execute(
        "SELECT card_id, score FROM mock_answers WHERE skipped = 0 ORDER BY id"
    )
    for card_id, score in cursor:
        scores[card_id].append(float(score))
    return scores


def candidates(study: Study, options: MockOptions) -> list[Card]:
    """The cards a session may ask, in deck order.

    Raises:
        MockError: when the deck or topic is unknown or has nothing to ask.
    """
    library = study.library
    if options.deck_id is not None and library.deck(options.deck_id) is None:
        raise MockError(f"no loaded deck has the id {options.deck_id!r}")
    cards = [
        c
        for c in library.iter_cards(options.deck_id)
        if eligible(c) and options.topic in (None, c.topic)
    ]
    if not cards:
        scope = f"deck {options.deck_id!r}" if options.deck_id else "the loaded decks"
        if options.topic is None:
            raise MockError(f"{scope}: no question with key points to ask")
        topics = sorted(
            {c.topic for c in library.iter_cards(options.deck_id) if eligible(c)}
        )
        known = f"; topics with questions: {', '.join(topics)}" if topics else ""
        raise MockError(
            f"{scope}: no question to ask on topic {options.topic!r}{known}"
        )
    return cards


def choose_questions(
    study: Study, options: MockOptions, rng: random.Random
) -> list[Card]:
    """Draw the session's questions: weighted toward weak cards, spread over
    topics and decks, never the same card twice."""
    pool = candidates(study, options)
    weights = card_weights(study, pool)
    pool = [c for c in pool if c.id in weights]
    if not pool:
        raise MockError("every card that could be asked is suspended")

    chosen: list[Card] = []
    topics: Counter[str] = Counter()
    decks: Counter[str] = Counter()
    while pool and len(chosen) < options.questions:
        pulls = [
            weights[c.id]
            * _SAME_TOPIC ** topics[c.topic]
            * _SAME_DECK ** decks[c.deck_id]
            for c in pool
        ]
        card = rng.choices(pool, weights=pulls)[0]
        pool.remove(card)
        chosen.append(card)
        topics[card.topic] += 1
        decks[card.deck_id] += 1
    return chosen


# A session


@dataclass(slots=True)
class Answer:
    """One question of a session, as it was asked and answered."""

    card: Card
    position: int
    text: str
    seconds: float
    timed_out: bool = False
    skipped: bool = False
    follow_up_of: str | None = None
    grade: Grade | None = None
    overruled: bool = False

    @property
    def score(self) -> float:
        """The scorer's score; 0 for a skipped question."""
        return self.grade.score if self.grade is not None else 0.0

    @property
    def scored_pass(self) -> bool:
        """The scorer's verdict, before any overrule."""
        return self.grade is not None and self.grade.passed and not self.skipped

    @property
    def passed(self) -> bool:
        """The verdict that counts: the scorer's, unless the learner overruled it."""
        return self.scored_pass != self.overruled

    @property
    def verdict(self) -> str:
        """``pass`` or ``fail``."""
        return "pass" if self.passed else "fail"

    @property
    def covered(self) -> list[str]:
        """The key points the answer covered."""
        return self.grade.covered if self.grade is not None else []

    @property
    def missed(self) -> list[str]:
        """The key points the answer missed (contradicted ones included)."""
        if self.grade is None:
            return [p.text for p in self.card.key_points]
        return self.grade.missed

    @property
    def contradicted(self) -> list[str]:
        """The key points the answer stated the wrong way round."""
        return self.grade.contradicted if self.grade is not None else []

    @property
    def left_out(self) -> list[str]:
        """The key points the answer did not state at all."""
        wrong = set(self.contradicted)
        return [p for p in self.missed if p not in wrong]


class MockSession:
    """A mock interview in progress, timed by the study's clock.

    Call :meth:`next_question` to ask the next one, then :meth:`submit`,
    :meth:`skip` or :meth:`time_up`; :meth:`report` grades everything at the end.
    """

    def __init__(
        self,
        study: Study,
        options: MockOptions,
        *,
        plan: Sequence[Card] | None = None,
    ) -> None:
        options.check()
        self.study = study
        self.options = options
        self.seed = (
            options.seed if options.seed is not None else random.randrange(2**31)
        )
        self.rng = random.Random(self.seed)
        self.plan = (
            list(plan)
            if plan is not None
            else choose_questions(study, options, self.rng)
        )
        self.total = len(self.plan)
        self.limit = timedelta(minutes=options.minutes)
        self.started_at = study.now()
        self.finished_at: datetime | None = None
        self.answers: list[Answer] = []
        self.current: Card | None = None
        self.follow_up_of: str | None = None
        self.asked_at: datetime = self.started_at

    @property
    def asked(self) -> set[str]:
        """Ids of the cards asked so far, the current one included."""
        ids = {a.card.id for a in self.answers}
        if self.current is not None:
            ids.add(self.current.id)
        return ids

    @property
    def finished(self) -> bool:
        """Whether every question has been asked and answered, or the session ended."""
        return self.finished_at is not None

    @property
    def number(self) -> int:
        """The 1-based number of the current question."""
        return len(self.answers) + (self.current is not None)

    def next_question(self) -> Card | None:
        """Ask the next question and start its clock; None when the session is over.

        After an answer the interviewer now and then digs deeper with one of the
        card's follow-ups, which takes the place of the next planned question.
        """
        if self.current is not None:
            return self.current
        if self.finished or len(self.answers) >= self.total:
            self.end()
            return None

        card, parent = self._follow_up(), None
        if card is not None:
            parent = self.answers[-1].card.id
            if card in self.plan:
                self.plan.remove(card)
            else:
                self.plan.pop()
        else:
            card = self.plan.pop(0)
        self.current = card
        self.follow_up_of = parent
        self.asked_at = self.study.now()
        return card

    def _follow_up(self) -> Card | None:
        if not self.answers or self.answers[-1].skipped:
            return None
        last = self.answers[-1].card
        asked = self.asked
        options = [
            card
            for ref in last.follow_ups
            if (card := self.study.library.card(ref)) is not None
            and eligible(card)
            and card.id not in asked
            and not self._suspended(card.id)
        ]
        # Draw the chance even when there is nothing to follow up, so one choice
        # does not shift every later draw of the seeded session.
        roll = self.rng.random()
        if not options or roll >= self.options.follow_up_chance:
            return None
        return self.rng.choice(options)

    def _suspended(self, card_id: str) -> bool:
        # A learner who suspended a card does not want it asked, follow-up or not.
        row = self.study.store.card_row(card_id)
        return row is not None and bool(row.suspended)

    def remaining(self) -> timedelta:
        """Time left for the current question (never below zero)."""
        if self.current is None:
            return timedelta(0)
        left = self.asked_at + self.limit - self.study.now()
        return max(left, timedelta(0))

    def out_of_time(self) -> bool:
        """Whether the current question's time is up."""
        return self.current is not None and self.remaining() <= timedelta(0)

    def submit(self, text: str) -> Answer:
        """Hand in the answer to the current question.

        An answer handed in after the time ran out counts as timed out, with the
        time used capped at the limit.
        """
        return self._close(text, timed_out=self.out_of_time())

    def time_up(self, text: str) -> Answer:
        """Hand in the answer as it stands because the time ran out."""
        return self._close(text, timed_out=True)

    def skip(self) -> Answer:
        """Pass on the current question; it scores zero and is not scheduled."""
        return self._close("", skipped=True)

    def _close(
        self, text: str, *, timed_out: bool = False, skipped: bool = False
    ) -> Answer:
        if self.current is None:
            raise MockError("there is no question waiting for an answer")
        used = (self.study.now() - self.asked_at).total_seconds()
        answer = Answer(
            card=self.current,
            position=len(self.answers) + 1,
            text=text,
            seconds=min(max(used, 0.0), self.limit.total_seconds()),
            timed_out=timed_out,
            skipped=skipped,
            follow_up_of=self.follow_up_of,
        )
        self.answers.append(answer)
        self.current = None
        self.follow_up_of = None
        if len(self.answers) >= self.total:
            self.end()
        return answer

    def end(self) -> None:
        """Stop asking; the question on screen, if any, is dropped unanswered."""
        self.current = None
        if self.finished_at is None:
            self.finished_at = self.study.now()

    def report(self) -> MockReport:
        """Grade every answer and build the report.

        Pure computation with no database access, so the TUI runs it in a worker
        thread.
        """
        self.end()
        graded = [
            replace(a, grade=None if a.skipped else grade(a.card, a.text))
            for a in self.answers
        ]
        assert self.finished_at is not None
        return MockReport(
            answers=graded,
            started_at=self.started_at,
            finished_at=self.finished_at,
            options=self.options,
            seed=self.seed,
        )


# The report


@dataclass(slots=True)
class MockReport:
    """A finished session: every answer graded, overrulable until saved."""

    answers: list[Answer]
    started_at: datetime
    finished_at: datetime
    options: MockOptions
    seed: int
    session_id: int | None = None
    """The saved session's id, once saved."""

    @property
    def score(self) -> float:
        """The mean score over every question asked (skips count as zero)."""
        if not self.answers:
            return 0.0
        return statistics.fmean(a.score for a in self.answers)

    @property
    def passed(self) -> int:
        """How many answers pass, overrules included."""
        return sum(a.passed for a in self.answers)

    @property
    def band(self) -> str:
        """A verdict for the whole session, from the share of answers that pass."""
        share = self.passed / len(self.answers) if self.answers else 0.0
        return next(name for floor, name in BANDS if share >= floor)

    def topic_scores(self) -> dict[str, float]:
        """Mean score per topic, weakest first."""
        by_topic: dict[str, list[float]] = defaultdict(list)
        for answer in self.answers:
            by_topic[answer.card.topic].append(answer.score)
        means = {t: statistics.fmean(s) for t, s in by_topic.items()}
        return dict(sorted(means.items(), key=lambda item: (item[1], item[0])))

    def weakest_topics(self, limit: int = 3) -> list[str]:
        """Topics whose mean score is below a pass, weakest first."""
        weak = [t for t, s in self.topic_scores().items() if s < PASS_SCORE]
        return weak[:limit]

    def drill_next(self) -> list[str]:
        """Ids of the cards that failed, lowest score first: what to drill next."""
        failed = [a for a in self.answers if not a.passed]
        return [a.card.id for a in sorted(failed, key=lambda a: a.score)]

    def overrule(self, position: int) -> Answer:
        """Flip the verdict of answer ``position`` (1-based), before saving.

        Raises:
            MockError: when the report is saved already or has no such answer.
        """
        if self.session_id is not None:
            raise MockError("this session is saved; its verdicts can no longer change")
        if not 1 <= position <= len(self.answers):
            raise MockError(f"there is no question {position} in this session")
        answer = self.answers[position - 1]
        if answer.skipped:
            raise MockError("a skipped question has no answer to pass")
        answer.overruled = not answer.overruled
        return answer

    def summary(self) -> dict[str, object]:
        """The session's figures as plain data."""
        return {
            "score": round(self.score, 3),
            "band": self.band,
            "passed": self.passed,
            "asked": len(self.answers),
            "weakest_topics": self.weakest_topics(),
            "drill_next": self.drill_next(),
            "topic_scores": {t: round(s, 3) for t, s in self.topic_scores().items()},
        }


def save_report(study: Study, report: MockReport) -> int:
    """Store the session and its answers, then schedule each answered card.

    The session and answers are written in one transaction; each review is then
    committed by :meth:`Study.rate` on its own, with ``source="mock"``. Skipped
    questions get no review.

    Raises:
        MockError: when the report is saved already or holds no answer.
    """
    if report.session_id is not None:
        raise MockError(f"this session is saved already (session {report.session_id})")
    if not report.answers:
        raise MockError("no question was answered, so there is nothing to save")

    options = report.options
    store = study.store
    with store.transaction():
        cursor = store.db.execute(
            "INSERT INTO mock_sessions (started_at, finished_at, deck_id, topic, "
            "seed, questions, minutes, score, verdict, scheduled, data) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                iso(report.started_at),
                iso(report.finished_at),
                options.deck_id,
                options.topic,
                report.seed,
                len(report.answers),
                options.minutes,
                report.score,
                report.band,
                int(options.schedule),
                json.dumps(report.summary()),
            ],
        )
        session_id = cursor.lastrowid
        assert session_id is not None
        for answer in report.answers:
            store.db.execute(
                "INSERT INTO mock_answers (session_id, position, card_id, "
                "follow_up_of, answer, score, verdict, overruled, covered, missed, "
                "seconds, timed_out, skipped) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    session_id,
                    answer.position,
                    answer.card.id,
                    answer.follow_up_of,
                    answer.text,
                    answer.score,
                    answer.verdict,
                    int(answer.overruled),
                    json.dumps(answer.covered),
                    json.dumps(answer.missed),
                    answer.seconds,
                    int(answer.timed_out),
                    int(answer.skipped),
                ],
            )
    report.session_id = session_id

    if options.schedule:
        for answer in report.answers:
            if not answer.skipped:
                rating = Rating.Good if answer.passed else Rating.Again
                study.rate(answer.card, rating, int(answer.seconds * 1000), "mock")
    return session_id


# History


@dataclass(frozen=True, slots=True)
class PastMock:
    """One saved session, as the history lists it."""

    id: int
    started_at: datetime
    questions: int
    passed: int
    score: float
    band: str
    minutes: float
    deck_id: str | None
    topic: str | None
    scheduled: bool

    def to_dict(self) -> dict[str, object]:
        """Plain data for JSON."""
        return {
            "id": self.id,
            "started_at": iso(self.started_at),
            "questions": self.questions,
            "passed": self.passed,
            "score": round(self.score, 3),
            "band": self.band,
            "minutes": self.minutes,
            "deck": self.deck_id,
            "topic": self.topic,
            "scheduled": self.scheduled,
        }


def mock_history(store: Store) -> list[PastMock]:
    """Every saved session, oldest first."""
    cursor = store.db.execute(
        "SELECT s.id, s.started_at, s.questions, s.score, s.verdict, s.minutes, "
        "s.deck_id, s.topic, s.scheduled, "
        "(SELECT COUNT(*) FROM mock_answers a "
        " WHERE a.session_id = s.id AND a.verdict = 'pass') "
        "FROM mock_sessions s WHERE s.finished_at IS NOT NULL "
        "ORDER BY s.started_at, s.id"
    )
    return [
        PastMock(
            id=row[0],
            started_at=parse_iso(row[1]),
            questions=row[2],
            score=float(row[3] or 0.0),
            band=row[4] or "",
            minutes=float(row[5]),
            deck_id=row[6],
            topic=row[7],
            scheduled=bool(row[8]),
            passed=row[9],
        )
        for row in cursor.fetchall()
    ]


_BARS = "▁▂▃▄▅▆▇█"


def sparkline(scores: Sequence[float]) -> str:
    """Scores from 0 to 1 as a row of bars, one per session."""
    top = len(_BARS) - 1
    return "".join(_BARS[round(min(max(s, 0.0), 1.0) * top)] for s in scores)


def trend(scores: Sequence[float], window: int = 3) -> str:
    """How recent sessions compare with the ones before, in a few words.

    With fewer than two windows of history, the latest session is compared with
    the mean of all before it.
    """
    if len(scores) < 2:
        return "one session so far" if scores else "no sessions yet"
    size = window if len(scores) >= 2 * window else 1
    recent = statistics.fmean(scores[-size:])
    change = recent - statistics.fmean(scores[:-size][-window:])
    points = round(abs(change) * 100)
    if points < 3:
        return "steady"
    direction = "up" if change > 0 else "down"
    return f"{direction} {points} points on the sessions before"


# Markdown


def report_markdown(
    report: MockReport, title: str = "Mock interview", zone: tzinfo | None = UTC
) -> str:
    """The report as a Markdown document, its time in ``zone``."""
    when = local_time(report.started_at, zone)
    lines = [
        f"# {title}, {when}",
        "",
        f"Overall score **{report.score:.0%}**, {report.passed} of "
        f"{len(report.answers)} answers passed: **{report.band}**.",
        "",
    ]
    weak = report.weakest_topics()
    lines.append(f"Weakest topics: {', '.join(weak) if weak else 'none'}.")
    drill = report.drill_next()
    lines.append(
        "Drill next: "
        + (", ".join(f"`{c}`" for c in drill) if drill else "nothing")
        + "."
    )
    if not report.options.schedule:
        lines.append("These answers were not scheduled for review.")

    for answer in report.answers:
        lines += ["", *answer_markdown(answer)]
    return "\n".join(lines) + "\n"


def answer_markdown(answer: Answer) -> list[str]:
    """One answer of the report as Markdown lines."""
    card = answer.card
    heading = f"## {answer.position}. {md_escape(_one_line(card.prompt))}"
    facts = [f"`{card.id}`", card.topic, f"score {answer.score:.0%}", answer.verdict]
    if answer.overruled:
        facts.append("overruled by you")
    facts.append(describe_seconds(answer.seconds))
    if answer.timed_out:
        facts.append("timed out")
    if answer.follow_up_of:
        facts.append(f"follow-up to `{answer.follow_up_of}`")

    lines = [heading, "", " · ".join(facts), "", "**Your answer**", ""]
    if answer.skipped:
        lines.append("_Skipped._")
    elif answer.text.strip():
        lines += [
            f"> {md_escape(line)}" if line else ">" for line in answer.text.splitlines()
        ]
    else:
        lines.append("_No answer._")
    if answer.covered:
        lines += ["", "**Covered**", "", *(f"- {md_escape(p)}" for p in answer.covered)]
    for title, points in (
        ("Stated the wrong way round", answer.contradicted),
        ("Missed", answer.left_out),
    ):
        if points:
            lines += ["", f"**{title}**", "", *(f"- {md_escape(p)}" for p in points)]
    lines += ["", "**Model answer**", "", md_escape(card.answer.strip())]
    return lines


def write_report(report: MockReport, path: Path, zone: tzinfo | None = UTC) -> Path:
    """Write the Markdown report to ``path``, its time in ``zone``.

    Raises:
        MockError: when the file cannot be written.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(report_markdown(report, zone=zone), encoding="utf-8")
    except OSError as error:
        raise MockError(f"{path}: cannot write the report ({error.strerror})") from None
    return path


def describe_seconds(seconds: float) -> str:
    """A duration as ``2 min 05 s`` or ``45 s``."""
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"


# Marks that change text anywhere in a line, and those that do so only at its
# start (a heading, a list item, a quote): escaping every "-" or "(" would fill the
# report with backslashes a reader of the raw file has to look past.
_MD_INLINE = re.compile(r"([\\`*_\[\]<>|~])")
_MD_LINE_START = re.compile(r"^(\s*)([#+-]|\d+(?=[.)]))", re.MULTILINE)


def md_escape(text: str) -> str:
    """Text that a Markdown reader shows as written: ``**/__pycache__`` stays so."""
    text = _MD_INLINE.sub(r"\\\1", text)
    return _MD_LINE_START.sub(_escape_line_start, text)


def _escape_line_start(match: re.Match[str]) -> str:
    indent, mark = match.groups()
    if mark.isdigit():
        return f"{indent}{mark}\\"  # "1." starts a list; "1\." does not
    return f"{indent}\\{mark}"


def _one_line(text: str) -> str:
    return " ".join(text.split())
