"""Lab cards rated from lab results, on a real database; the CLI wiring."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from sreflash.cli import cli
from sreflash.context import Context
from sreflash.errors import LabError
from sreflash.labs.cards import judge, judge_report, lab_cards, schedule_report
from sreflash.labs.model import find_lab
from sreflash.labs.results import SKIP, CheckResult, LabReport, Question, Status
from sreflash.labs.runner import plan, run_guided
from sreflash.scheduling import Rating
from sreflash.store import Store
from tests.conftest import T0

LAB = "phase2-image-design"
RIGHT = {
    "runtime-identity": "It prints appuser, not root, because of the USER instruction.",
    "rebuild-all-cached": "Nothing reruns because each layer is a cache hit.",
    "tags-one-image": "There is one image id, since a tag is just a name for it.",
}
WRONG = {"dockerignore-keeps-out": "All of them end up inside the image."}


def result(check_id: str, status: Status, prediction: str = "") -> CheckResult:
    return CheckResult(check_id, check_id, status, seen="seen", prediction=prediction)


def report(mode: str, *results: CheckResult) -> LabReport:
    return LabReport(LAB, mode, started_at=T0, finished_at=T0, results=list(results))


def reviews(context: Context) -> list[tuple[str, int, str]]:
    return [
        tuple(row)
        for row in context.store.db.execute(
            "SELECT card_id, rating, source FROM review_log ORDER BY id"
        )
    ]


def test_the_deck_names_six_checks_of_the_phase2_lab(context: Context) -> None:
    named = lab_cards(context.library, LAB)
    assert sorted(named) == [
        "code-edit-reuses-deps",
        "dockerignore-keeps-out",
        "rebuild-all-cached",
        "runtime-identity",
        "size-vs-phase1",
        "tags-one-image",
    ]
    assert [card.id for card in named["runtime-identity"]] == ["lab-whoami"]
    assert lab_cards(context.library, "no-such-lab") == {}


@pytest.mark.parametrize(
    ("status", "prediction", "learner_built", "expected"),
    [
        (Status.CANNOT, RIGHT["runtime-identity"], True, None),
        (Status.FAIL, "", True, Rating.Again),
        (Status.FAIL, RIGHT["runtime-identity"], False, Rating.Again),
        (Status.PASS, RIGHT["runtime-identity"], False, Rating.Good),
        (Status.PASS, "It prints root.", False, Rating.Again),
        (Status.PASS, "", False, None),
        (Status.PASS, SKIP, False, None),
        (Status.PASS, " Skip ", False, None),
        (Status.PASS, "", True, Rating.Good),
        (Status.PASS, SKIP, True, Rating.Good),
    ],
)
def test_a_result_rates_its_card_by_status_prediction_and_who_built_it(
    context: Context,
    status: Status,
    prediction: str,
    learner_built: bool,
    expected: Rating | None,
) -> None:
    card = context.library.cards["lab-whoami"]
    verdict = judge(
        card,
        result("runtime-identity", status, prediction),
        learner_built=learner_built,
    )
    assert verdict.rating == expected
    assert verdict.reason


def test_a_wrong_prediction_on_a_passing_check_is_graded_and_rated_again(
    context: Context,
) -> None:
    card = context.library.cards["lab-whoami"]
    verdict = judge(
        card, result("runtime-identity", Status.PASS, "root"), learner_built=False
    )
    assert verdict.grade is not None and not verdict.grade.passed
    assert verdict.reason == "the engine showed otherwise"


def test_scheduling_a_guided_report_saves_reviews_with_the_lab_source(
    context: Context,
) -> None:
    guided = report(
        "guided",
        result("runtime-identity", Status.PASS, RIGHT["runtime-identity"]),
        result("dockerignore-keeps-out", Status.PASS, WRONG["dockerignore-keeps-out"]),
        result("tags-one-image", Status.FAIL, RIGHT["tags-one-image"]),
        result("rebuild-all-cached", Status.PASS, SKIP),
        result("size-vs-phase1", Status.CANNOT, "smaller"),
        result("base-pinned-slim", Status.PASS, "slim"),  # no card names it
    )

    rated = schedule_report(context.study, guided)

    assert [(r.card.id, r.verdict.rating) for r in rated] == [
        ("lab-whoami", Rating.Good),
        ("lab-dockerignore", Rating.Again),
        ("lab-tags-one-id", Rating.Again),
        ("lab-rebuild-cached", None),
        ("lab-size", None),
    ]
    assert [r.review_id is not None for r in rated] == [True, True, True, False, False]
    assert reviews(context) == [
        ("lab-whoami", 3, "lab"),
        ("lab-dockerignore", 1, "lab"),
        ("lab-tags-one-id", 1, "lab"),
    ]
    row = context.store.card_row("lab-whoami")
    assert row is not None and row.reps == 1 and row.last_review == T0.isoformat()


def test_a_check_of_the_learners_own_image_rates_a_pass_good(context: Context) -> None:
    own = report(
        "check",
        result("runtime-identity", Status.PASS),
        result("rebuild-all-cached", Status.CANNOT),
    )
    assert [r.verdict.rating for r in judge_report(context.library, own)] == [
        Rating.Good,
        None,
    ]
    schedule_report(context.study, own)
    assert reviews(context) == [("lab-whoami", 3, "lab")]


def test_a_plan_for_one_check_runs_only_the_steps_it_needs() -> None:
    lab = find_lab(LAB)
    steps = [
        (step.action, [check.id for check in checks])
        for step, checks in plan(lab, {"dockerignore-keeps-out"})
    ]
    assert steps == [("build", []), ("plant-junk", ["dockerignore-keeps-out"])]
    assert [s.action for s, _ in plan(lab, {"runtime-identity"})] == ["build", "run"]
    assert [s.action for s, _ in plan(lab, {"deps-before-code"})] == ["inspect"]
    assert len(plan(lab)) == len(lab.steps)
    with pytest.raises(LabError, match="has no check 'nope'"):
        plan(lab, {"nope"})


# The command line


def test_the_main_cli_lists_the_lab_group() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert "lab     Hands-on labs" in result.output


def test_lab_run_without_an_engine_says_so_once_and_saves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A socket nothing listens on: a real unreachable engine.
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-docker.sock")
    db = tmp_path / "global.db"
    result = CliRunner().invoke(
        cli, ["--db", str(db), "lab", "run", LAB, "--yes", "--json"]
    )

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("Error: No Docker engine answers at unix://")
    assert len(result.stderr.splitlines()) == 1
    assert not db.exists()


# The real engine


@pytest.mark.docker
def test_a_check_that_could_check_nothing_is_not_saved(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    args = ["--db", str(db), "lab", "check", LAB, "--image", "sreflash-none:1"]
    result = CliRunner().invoke(cli, args)

    assert result.exit_code == 3
    assert "0 passed, 0 failed" in result.stdout and "(not saved)" in result.stdout
    store = Store.open(db)
    assert store.count("SELECT COUNT(*) FROM lab_runs") == 0
    store.close()


@pytest.mark.docker
def test_a_guided_run_with_predictions_rates_the_lab_cards(context: Context) -> None:
    lab = find_lab(LAB)
    answers = {**RIGHT, **WRONG}

    def predict(question: Question) -> str:
        return answers.get(question.check_id, SKIP)

    guided = run_guided(lab, predict=predict, on_event=lambda event: None)
    assert guided.failed == 0 and guided.cannot == 0
    rated = schedule_report(context.study, guided)

    assert {r.card.id: r.verdict.rating for r in rated} == {
        "lab-whoami": Rating.Good,
        "lab-rebuild-cached": Rating.Good,
        "lab-tags-one-id": Rating.Good,
        "lab-dockerignore": Rating.Again,
        "lab-code-edit": None,
        "lab-size": None,
    }
    assert sorted(reviews(context)) == [
        ("lab-dockerignore", 1, "lab"),
        ("lab-rebuild-cached", 3, "lab"),
        ("lab-tags-one-id", 3, "lab"),
        ("lab-whoami", 3, "lab"),
    ]


@pytest.mark.parametrize(
    ("card_id", "prediction", "rating"),
    [
        ("lab-whoami", "appuser", Rating.Good),
        ("lab-whoami", "root, not appuser", Rating.Again),
        ("lab-tags-one-id", "one", Rating.Good),
        ("lab-tags-one-id", "two", Rating.Again),
        ("lab-rebuild-cached", "none", Rating.Good),
        ("lab-dockerignore", ".git and .env", Rating.Again),
        ("lab-size", "smaller", Rating.Good),
        ("lab-code-edit", "COPY . .", Rating.Good),
        ("lab-code-edit", "pip install", Rating.Again),
    ],
)
def test_a_short_prediction_is_judged_on_the_fact_it_was_asked(
    context: Context, card_id: str, prediction: str, rating: Rating
) -> None:
    # Lab questions ask for one fact ("how many image ids?"); the card's other
    # points say why, which a one-line prediction need not.
    card = context.library.cards[card_id]
    assert card.lab is not None

    verdict = judge(
        card, result(card.lab.check, Status.PASS, prediction), learner_built=False
    )

    assert verdict.rating == rating
