"""The scorer: typed answers against key points, as a careful interviewer would."""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

import pytest

from sreflash.context import deck_dirs
from sreflash.decks import Card, Example, KeyPoint, Library, load_library, parse_deck
from sreflash.grading import (
    PASS_SCORE,
    check_examples,
    grade,
    is_keyword_list,
    opposites,
    stem,
)
from sreflash.paths import bundled_decks_dir
from sreflash.scheduling import Rating
from tests.conftest import run_cli
from tests.heldout_answers import HELD_OUT, HELD_OUT_2, LONG_STRONG

ORDER = Card(
    id="order",
    deck_id="test",
    kind="question",
    topic="build-cache",
    prompt="Why does the order of Dockerfile instructions matter?",
    answer="Each instruction is a cached layer; ...",
    key_points=(
        KeyPoint("Each instruction produces a cached layer", ("its own layer",)),
        KeyPoint(
            "A change invalidates every later step",
            ("everything after is rebuilt", "all subsequent layers"),
            ("only that layer is rebuilt",),
        ),
        KeyPoint(
            "Install dependencies before copying the code",
            ("dependencies before code", "copy requirements.txt first"),
            ("copy everything first",),
        ),
        KeyPoint("Builds get faster", ("faster builds", "minutes to seconds")),
    ),
)

SIZE = Card(
    id="size",
    deck_id="test",
    kind="question",
    topic="image-size",
    prompt="How do you make an image smaller?",
    answer="Slim base, multi-stage, .dockerignore.",
    key_points=(
        KeyPoint("Start from a slim base image", ("slim base", "alpine")),
        KeyPoint("Use a multi-stage build", ("multistage", "builder stage")),
        KeyPoint("Keep files out with .dockerignore", ("dockerignore",)),
    ),
)


@pytest.fixture(scope="module")
def library() -> Library:
    """The bundled decks."""
    return load_library(deck_dirs())


def test_a_strong_answer_in_other_words_passes() -> None:
    result = grade(
        ORDER,
        "Every instruction is cached as its own layer. Once one changes, all the"
        " subsequent layers get rebuilt, so copy requirements.txt first and the code"
        " last; builds go from minutes to seconds.",
    )

    assert result.passed
    assert result.score == 1.0
    assert result.suggested == Rating.Good
    assert result.missed == []


def test_case_punctuation_plurals_and_small_typos_are_forgiven() -> None:
    result = grade(
        ORDER,
        "EACH INSTRUCTON -> ITS OWN LAYER!!! Dependancies before the code; fatser"
        " builds.",
    )

    assert result.covered == [
        "Each instruction produces a cached layer",
        "Install dependencies before copying the code",
        "Builds get faster",
    ]


def test_empty_and_whitespace_answers_score_zero() -> None:
    for answer in ("", "   ", "\n\t \n"):
        result = grade(ORDER, answer)
        assert result.score == 0.0
        assert result.verdict == "fail"
        assert len(result.missed) == 4
        assert not any(p.contradicted for p in result.points)


def test_a_correct_order_is_not_mistaken_for_its_opposite(library: Library) -> None:
    result = grade(
        library.cards["q-instruction-order"],
        "Docker caches each instruction as its own layer; a change rebuilds all"
        " later layers, so copy requirements.txt first and the code last; builds"
        " get faster.",
    )

    assert result.contradicted == []
    assert result.passed


def test_a_stated_opposite_gets_no_credit_and_costs_a_point() -> None:
    result = grade(
        ORDER,
        "Each instruction is its own layer. Copy the code first so the cache is"
        " used, then install the dependencies; builds are faster.",
    )

    deps = result.points[2]
    assert not deps.covered
    assert deps.contradicted
    # Two points covered, one contradicted: (2 - 1) / 4.
    assert result.score == pytest.approx(0.25)
    assert result.contradicted == ["Install dependencies before copying the code"]


def test_a_reject_phrasing_takes_the_point_even_when_an_accept_matches() -> None:
    result = grade(
        ORDER,
        "Everything after is rebuilt... no wait, only that layer is rebuilt.",
    )

    assert result.points[1].contradicted
    assert not result.points[1].covered


def test_a_negated_phrasing_is_not_credit() -> None:
    result = grade(
        SIZE,
        "I would start from a slim base, but I wouldn't use a multistage build, and"
        " we never needed a dockerignore.",
    )

    assert [p.covered for p in result.points] == [True, False, False]
    assert result.points[1].contradicted
    assert result.verdict == "fail"


def test_an_opposite_posed_as_a_condition_is_not_a_contradiction() -> None:
    result = grade(
        ORDER,
        "If you copy everything first, any edit reinstalls the dependencies. So"
        " copy requirements.txt first.",
    )

    assert result.points[2].covered
    assert result.contradicted == []


def test_a_negation_does_not_reach_past_its_own_verb() -> None:
    result = grade(
        SIZE,
        "Use alpine, and list what not to send in a .dockerignore so the context"
        " stays small, then a builder stage for compiling.",
    )

    assert result.covered == [p.text for p in SIZE.key_points]


LEFT_OUT = Card(
    id="left-out",
    deck_id="test",
    kind="lab",
    topic="dockerignore",
    prompt="Do .git, .env and a nested __pycache__ end up in the image?",
    answer="None of them: the .dockerignore keeps them out.",
    key_points=(
        KeyPoint(
            "None of them end up in the image",
            ("none of them", "all excluded"),
            ("all end up inside",),
        ),
    ),
)


@pytest.mark.parametrize(
    "answer",
    [
        "None of those end up inside",
        "No: none end up inside the image",
        "neither of them, all excluded",
    ],
)
def test_saying_none_is_not_taken_for_an_opposite_that_says_all(answer: str) -> None:
    result = grade(LEFT_OUT, answer)

    assert result.contradicted == []
    assert result.covered == ["None of them end up in the image"]


def test_an_opposite_that_says_all_is_still_caught() -> None:
    result = grade(LEFT_OUT, "They all end up inside the image.")

    assert result.contradicted == ["None of them end up in the image"]


def test_an_order_word_between_the_words_of_an_opposite_breaks_it() -> None:
    # "dependencies ... last" is an opposite, but here "first" binds to them.
    for answer in ("Dependencies first, code last.", "dependencies first code last"):
        assert grade(ORDER, answer).contradicted == []
    assert grade(ORDER, "install the dependencies last").points[2].contradicted


def test_id_the_command_is_a_word_that_counts(library: Library) -> None:
    card = library.cards["q-run-non-root"]
    verify = "Verify it with whoami or id"

    # "run it" says nothing of checking the user; "run id" did, with "id" skipped.
    assert verify not in grade(card, "Build it and run it.").covered
    assert verify in grade(card, "Then run id inside the container.").covered


def test_a_bare_keyword_list_does_not_pass_even_naming_every_point() -> None:
    result = grade(SIZE, "alpine, multistage, dockerignore")

    assert result.keyword_list
    assert len(result.covered) == 3
    assert result.score < PASS_SCORE
    assert result.verdict == "fail"


def test_keyword_lists_are_told_from_terse_answers() -> None:
    assert is_keyword_list("slim, multistage, dockerignore, cache")
    assert is_keyword_list("- slim base\n- multi-stage\n- .dockerignore\n- no cache")
    assert is_keyword_list("cache invalidation; layer ordering; deps before code")
    assert is_keyword_list("multistage")
    assert not is_keyword_list(
        "Start from a slim base and use a multi-stage build, because the compilers"
        " then stay out of the final image."
    )
    assert not is_keyword_list(
        "Create a user with adduser, chown the app folder to it and set USER."
    )
    assert not is_keyword_list("")


def test_opposites_reverse_the_order_a_phrasing_states() -> None:
    assert opposites("install dependencies before the code") == [
        "code before install dependencies",
        "install dependencies after code",
        "install dependencies last",
    ]
    assert opposites("pip install before copying") == [
        "copying before pip install",
        "pip install after copying",
        "pip install last",
    ]
    assert opposites("copy the code last") == ["copy code first"]
    assert opposites("slim base") == []


def test_stems_fold_endings_and_everyday_synonyms() -> None:
    assert stem("caching") == stem("cached") == stem("caches") == stem("cache")
    assert stem("layers") == stem("layer")
    assert stem("rebuilt") == stem("rebuilding") == stem("rebuild")
    assert stem("deps") == stem("dependencies")
    assert stem("quicker") == stem("faster")
    assert stem("below") == stem("later") == stem("after")


def test_a_card_without_key_points_scores_zero() -> None:
    bare = Card("bare", "test", "lab", "labs", "Predict it.", "It is appuser.")

    result = grade(bare, "appuser")

    assert result.score == 0.0
    assert result.points == ()


def test_the_grade_as_json_data_names_covered_and_missed_points() -> None:
    data = grade(SIZE, "Start from a slim base image, nothing else.").to_dict()

    assert data == {
        "card_id": "size",
        "score": 0.333,
        "verdict": "fail",
        "suggested": "Again",
        "keyword_list": False,
        "covered": ["Start from a slim base image"],
        "missed": ["Use a multi-stage build", "Keep files out with .dockerignore"],
        "contradicted": [],
    }


def test_a_5000_character_answer_is_scored_in_well_under_50_ms(
    library: Library,
) -> None:
    card = library.cards["q-instruction-order"]
    assert len(LONG_STRONG) == 5000
    grade(card, LONG_STRONG)

    runs = []
    for _ in range(15):
        started = time.perf_counter()
        result = grade(card, LONG_STRONG)
        runs.append(time.perf_counter() - started)

    assert result.passed
    assert statistics.median(runs) < 0.050


def test_the_scorer_agrees_with_the_interviewer_on_held_out_answers(
    library: Library,
) -> None:
    answers = HELD_OUT + HELD_OUT_2
    disagreements = []
    for judged in answers:
        result = grade(library.cards[judged.card_id], judged.answer)
        if result.verdict != judged.verdict:
            disagreements.append((judged.card_id, judged.label, result.score))

    agreed = len(answers) - len(disagreements)
    assert len(answers) >= 60
    assert agreed / len(answers) >= 0.9, disagreements


def test_every_held_out_keyword_list_and_empty_answer_fails(library: Library) -> None:
    for judged in HELD_OUT:
        if judged.label in ("keywords", "empty", "off-topic"):
            result = grade(library.cards[judged.card_id], judged.answer)
            assert result.verdict == "fail", judged


def test_the_scorer_agrees_with_the_decks_labelled_examples(library: Library) -> None:
    checks = check_examples(library.iter_cards())

    agreed = [c for c in checks if c.agrees]
    assert len(checks) >= 40
    assert len(agreed) / len(checks) >= 0.9, [c.describe() for c in checks]


def test_a_disagreement_is_described_for_the_deck_author() -> None:
    card = Card(
        "tiny",
        "test",
        "question",
        "t",
        "Why?",
        "Because.",
        key_points=SIZE.key_points,
        examples=(Example("alpine and nothing more", "pass", "strong"),),
        path="decks/t.yaml",
        line=7,
    )

    (check,) = check_examples([card])

    assert not check.agrees
    assert check.describe() == (
        "decks/t.yaml, line 7 (card 'tiny'): example 1 (strong) is labelled pass "
        "but scored fail at 0.33, covering 1 of 3 points; missed: Use a multi-stage "
        "build; Keep files out with .dockerignore"
    )


def test_a_card_with_one_point_is_described_in_the_singular() -> None:
    card = Card(
        "one",
        "test",
        "question",
        "t",
        "Why?",
        "Because.",
        key_points=SIZE.key_points[:1],
        examples=(Example("nothing relevant at all", "pass"),),
        path="decks/t.yaml",
        line=3,
    )

    (check,) = check_examples([card])

    assert "covering 0 of 1 point;" in check.describe()


# The command line


def test_grade_prints_the_score_points_and_suggested_rating(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = run_cli(
        ["grade", "q-reduce-size", "--answer", "slim, multistage, dockerignore"],
        capsys,
        monkeypatch,
    )

    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "q-reduce-size: 20%, fail (suggested rating: Again)"
    assert "  covered       Use a multi-stage build so only runtime files ship" in lines
    assert (
        lines[-1] == "This reads as a bare list of keywords, so its score was halved."
    )


def test_grade_reads_a_file_and_prints_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = tmp_path / "answer.txt"
    answer.write_text(LONG_STRONG, encoding="utf-8")

    code, out, _ = run_cli(
        ["grade", "q-instruction-order", "--answer-file", str(answer), "--json"],
        capsys,
        monkeypatch,
    )

    data = json.loads(out)
    assert code == 0
    assert (data["card_id"], data["verdict"], data["score"]) == (
        "q-instruction-order",
        "pass",
        1.0,
    )
    assert len(data["covered"]) == 5
    assert data["missed"] == []
    assert data["points"][0]["covered"] is True


def test_grade_errors_are_one_line_on_stderr(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = run_cli(["grade", "no-such-card", "-a", "x"], capsys, monkeypatch)
    assert (code, out) == (1, "")
    assert err == "Error: no loaded deck has a card with id 'no-such-card'\n"

    code, _, err = run_cli(["grade", "q-reduce-size"], capsys, monkeypatch)
    assert code == 2
    assert "give exactly one of --answer and --answer-file" in err


def test_an_answer_file_that_is_not_utf8_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = tmp_path / "answer.txt"
    answer.write_bytes(b"slim caf\xe9 base")

    code, out, err = run_cli(
        ["grade", "q-reduce-size", "-f", str(answer)], capsys, monkeypatch
    )

    assert (code, out) == (1, "")
    assert err == f"Error: {answer}: is not UTF-8 text (byte 8)\n"


def test_grading_a_card_without_key_points_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    deck = tmp_path / "lab.yaml"
    deck.write_text(
        "format: 1\ndeck: {id: l, title: L}\ncards:\n"
        "  - {id: l-bare, kind: lab, topic: t, prompt: Predict., answer: It is.,"
        " lab: {lab: x, check: y}}\n",
        encoding="utf-8",
    )

    code, out, err = run_cli(
        ["--decks", str(deck), "grade", "l-bare", "-a", "x"], capsys, monkeypatch
    )

    assert (code, out) == (1, "")
    assert err == "Error: card 'l-bare' has no key points to score against\n"


def test_decks_check_reports_where_the_scorer_disagrees_with_a_label(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    deck = tmp_path / "d.yaml"
    deck.write_text(
        """\
format: 1
deck: {id: d, title: D}
cards:
  - id: d-size
    kind: concept
    topic: image-size
    prompt: How do you make an image smaller?
    answer: Slim base and multi-stage.
    key_points:
      - text: Start from a slim base
        accept: [slim base, alpine]
      - text: Use a multi-stage build
        accept: [multistage, builder stage]
    examples:
      - label: strong
        verdict: pass
        answer: Alpine as the base, and a multistage build so compilers stay out.
      - {label: partial, verdict: pass, answer: "Use alpine as the base image."}
""",
        encoding="utf-8",
    )

    code, out, err = run_cli(["decks", "check", str(deck)], capsys, monkeypatch)

    assert code == 0
    assert out.splitlines() == [
        "1 deck, 1 card, 0 errors",
        "scorer agrees with 1 of 2 labelled examples",
    ]
    assert err == (
        f"warning: {deck}, line 4 (card 'd-size'): example 2 (partial) is labelled"
        " pass but scored fail at 0.50, covering 1 of 2 points; missed: Use a"
        " multi-stage build\n"
    )


def test_key_points_in_other_scripts_are_matched() -> None:
    deck = parse_deck(
        "format: 1\ndeck: {id: j, title: J}\ncards:\n"
        "  - {id: j1, kind: concept, topic: t, prompt: p, answer: a,"
        ' key_points: ["日本語を使う", "Größe reduzieren"]}\n'.encode(),
        "j.yaml",
    )

    answer = "Ich würde die Größe reduzieren und 日本語を使う."
    result = grade(deck.cards[0], answer)

    assert result.covered == ["日本語を使う", "Größe reduzieren"]


@pytest.mark.parametrize(
    ("card_id", "answer"),
    [
        (
            "q-reduce-size",
            "Avoid slim base images, skip multi-stage builds, and forget about "
            ".dockerignore; leave the package caches in, it is fine.",
        ),
        ("c-exec-form-cmd", "Neither form runs as PID 1 and neither gets signals."),
    ],
)
def test_answers_that_say_no_to_every_point_fail(card_id: str, answer: str) -> None:
    card = load_library([bundled_decks_dir()]).cards[card_id]

    assert not grade(card, answer).passed
