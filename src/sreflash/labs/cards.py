"""Lab cards rated from lab results: what the real engine said decides the rating.

A lab card names one check of one lab (``lab: {lab: ID, check: CHECK}`` in its
deck). After a run, each result whose check a card names rates that card:

- cannot check: no rating (the engine, not the learner, is at fault);
- fail: Again;
- pass with a prediction: the prediction is graded against the card's first key
  point, the fact the question asks for (the rest say why, which a one-line
  prediction need not): Good when it holds, Again when the engine showed otherwise;
- pass without a prediction: Good when the learner built it (``check`` and
  ``workspace`` runs), no rating in a guided run (nothing of theirs was tested).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sreflash.decks import Card, Library
from sreflash.errors import DeckError, LabError
from sreflash.grading import Grade, grade
from sreflash.labs.results import SKIP, CheckResult, LabReport, Status
from sreflash.scheduling import Rating
from sreflash.study import Study

LEARNER_BUILT = frozenset({"check", "workspace"})


@dataclass(frozen=True)
class Verdict:
    """The rating a check result earns a card, and why in a few words."""

    rating: Rating | None
    reason: str
    grade: Grade | None = None


@dataclass(frozen=True)
class LabRating:
    """One lab card and what a run did to it."""

    card: Card
    result: CheckResult
    verdict: Verdict
    review_id: int | None = None
    """The review-log entry written, when the card was rated."""

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready mapping."""
        rating = self.verdict.rating
        return {
            "card_id": self.card.id,
            "check_id": self.result.check_id,
            "status": self.result.status.value,
            "rating": rating.name if rating is not None else None,
            "reason": self.verdict.reason,
        }


def has_prediction(prediction: str) -> bool:
    """Whether the learner said something (``skip`` and blanks say nothing)."""
    text = prediction.strip()
    return bool(text) and text.lower() != SKIP


def judge(card: Card, result: CheckResult, *, learner_built: bool) -> Verdict:
    """The rating ``result`` earns ``card`` by the rule in this module's docstring."""
    if result.status is Status.CANNOT:
        return Verdict(None, f"not rated: the check could not be made ({result.seen})")
    if result.status is Status.FAIL:
        return Verdict(Rating.Again, "the check failed")
    if has_prediction(result.prediction):
        graded = grade(card, result.prediction)
        if _states_the_fact(card, result.prediction, graded):
            return Verdict(Rating.Good, "the engine bore out your prediction", graded)
        return Verdict(Rating.Again, "the engine showed otherwise", graded)
    if learner_built:
        return Verdict(Rating.Good, "what you built passed")
    return Verdict(None, "not rated: no prediction, so nothing of yours was tested")


def _states_the_fact(card: Card, prediction: str, graded: Grade) -> bool:
    """Whether a prediction covers the card's first key point: the fact asked for.

    A one-word prediction ("one", "none") is also taken when it is exactly one of
    that point's phrasings: the scorer passes over such small words in sentences.
    """
    if not graded.points:
        return False
    if graded.points[0].covered:
        return True
    said = _bare(prediction)
    return any(said == _bare(p) for p in card.key_points[0].phrasings)


def _bare(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def lab_cards(library: Library, lab_id: str) -> dict[str, list[Card]]:
    """The cards naming a check of ``lab_id``, by check id."""
    named: dict[str, list[Card]] = {}
    for card in library.cards.values():
        if card.lab is not None and card.lab.lab == lab_id:
            named.setdefault(card.lab.check, []).append(card)
    return named


def judge_report(library: Library, report: LabReport) -> list[LabRating]:
    """Every lab card a result of ``report`` names, with its verdict."""
    named = lab_cards(library, report.lab_id)
    learner_built = report.mode in LEARNER_BUILT
    return [
        LabRating(card, result, judge(card, result, learner_built=learner_built))
        for result in report.results
        for card in named.get(result.check_id, [])
    ]


def schedule_report(study: Study, report: LabReport) -> list[LabRating]:
    """Rate the lab cards ``report`` has a verdict for; each is saved at once.

    Returns every card named, rated or not, so a front end can say what happened.
    """
    done = []
    for item in judge_report(study.library, report):
        if item.verdict.rating is not None:
            rated = study.rate(item.card, item.verdict.rating, source="lab")
            item = LabRating(item.card, item.result, item.verdict, rated.review_id)
        done.append(item)
    return done


def broken_lab_refs(library: Library) -> list[DeckError]:
    """One error for each lab card whose lab or check does not exist."""
    from sreflash.labs.model import find_lab  # labs load only when a card names one

    errors: list[DeckError] = []
    for deck in library.decks:
        for card in deck.cards:
            if card.lab is None:
                continue
            try:
                lab = find_lab(card.lab.lab)
            except LabError as error:
                sentence = str(error).rstrip(".")
                message = sentence[:1].lower() + sentence[1:]
            else:
                if card.lab.check in {check.id for check in lab.checks()}:
                    continue
                message = f"the lab {lab.id!r} has no check {card.lab.check!r}"
            errors.append(
                DeckError(message, path=deck.path, line=card.line, card=card.id)
            )
    return errors
