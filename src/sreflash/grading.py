"""Comparing a typed answer with a card's key points.

Each key point counts as covered when the answer contains one of its phrasings,
forgiving case, punctuation, plural endings and small typos (rapidfuzz does the
fuzzy part), and does not also say one of the point's opposites.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz

from sreflash.decks import Card, KeyPoint
from sreflash.scheduling import Rating

PASS_SCORE = 0.6
MATCH_CUTOFF = 85.0

_WORD = re.compile(r"[a-z0-9]+(?:[.:/_-][a-z0-9]+)*")


@dataclass(frozen=True, slots=True)
class PointResult:
    """How an answer fared on one key point."""

    point: KeyPoint
    covered: bool
    contradicted: bool = False


@dataclass(frozen=True, slots=True)
class Grade:
    """The comparison of one answer with one card."""

    card_id: str
    points: tuple[PointResult, ...]
    score: float

    @property
    def passed(self) -> bool:
        """Whether the answer is good enough to count as recalled."""
        return self.score >= PASS_SCORE

    @property
    def verdict(self) -> str:
        """``pass`` or ``fail``."""
        return "pass" if self.passed else "fail"

    @property
    def suggested(self) -> Rating:
        """The rating to suggest: a miss is Again, never Hard."""
        return Rating.Good if self.passed else Rating.Again

    @property
    def covered(self) -> list[str]:
        """Texts of the points covered."""
        return [r.point.text for r in self.points if r.covered]

    @property
    def missed(self) -> list[str]:
        """Texts of the points missed."""
        return [r.point.text for r in self.points if not r.covered]


@lru_cache(maxsize=4096)
def normalize(text: str) -> str:
    """Lower case words with punctuation and plural endings dropped."""
    return " ".join(_stem(w) for w in _WORD.findall(text.lower()))


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def says(answer: str, phrase: str) -> bool:
    """Whether normalized ``answer`` contains ``phrase``, allowing small typos."""
    target = normalize(phrase)
    if not target:
        return False
    if target in answer:
        return True
    if len(target) < 5:
        return False
    return fuzz.partial_ratio(target, answer, score_cutoff=MATCH_CUTOFF) > 0


def grade(card: Card, answer: str) -> Grade:
    """Compare ``answer`` with the key points of ``card``."""
    text = normalize(answer)
    results = []
    for point in card.key_points:
        contradicted = any(says(text, phrase) for phrase in point.reject)
        covered = not contradicted and any(says(text, p) for p in point.phrasings)
        results.append(PointResult(point, covered, contradicted))

    total = len(results)
    score = sum(r.covered for r in results) / total if total else 0.0
    return Grade(card.id, tuple(results), score)
