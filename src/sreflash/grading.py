"""Scoring a typed answer against a card's key points.

An interviewer listens for ideas, not for exact words. For each key point the scorer
looks for one of its phrasings in the answer, token by token: case, punctuation,
plural and verb endings, a few everyday synonyms ("deps", "quicker", "below") and
small typos are forgiven; rapidfuzz measures the typos. A phrasing said under a
negation ("I wouldn't use a multi-stage build"), one of the point's ``reject``
phrasings, or the reversal of an order the point states ("copy the code first"
against "dependencies before code") takes the point away and costs one more.

A bare list of keywords is not an answer: its score is halved, which keeps it below
a pass however many points it names.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from rapidfuzz import process
from rapidfuzz.distance import OSA

from sreflash.decks import Card, Example, KeyPoint
from sreflash.errors import SreflashError
from sreflash.scheduling import Rating
from sreflash.wording import count_of


def _set(text: str) -> frozenset[str]:
    return frozenset(text.split())


PASS_SCORE = 0.6
KEYWORD_FACTOR = 0.5

# How far apart the words of one phrasing may be: this many other words between two
# of them, counting only words that carry meaning.
MAX_GAP = 2
# A negation covers the next meaningful word, and the one after it only through a
# light verb: "don't use a multi-stage build" negates the build, while "what not to
# send in the build context" does not negate the context.
_LIGHT_VERBS = _set(
    """
    use us bother need want add have put includ run try keep go rely trust worry
    """
)
# Share of a point's own words that one sentence must hold to cover it that way.
TEXT_SHARE = 0.7

_NOT = "not"

# Words that carry no idea of their own. Negations are never among them, and
# nor is "id" (the command), whatever "I'd" loses by that.
_STOP = _set(
    """
    a an the of to in on at for with by into onto as is are was were be been
    being am it its it's this that these those there here and or but if then than
    so such you your yours i me my we our us they them their he she his her one
    ones just can could will would should shall may might must do does did doing
    have has had having get gets got getting very really much some any all every
    each both what which who whom whose when where while about like eg e.g etc via
    thing things stuff way actually basically also too well kind sort lot lots
    thats theres whats im ive youre theyre weve youve itll lets
    """
)

_NEGATIONS = _set(
    """
    not no never without cannot dont doesnt didnt isnt arent wasnt werent cant
    wont wouldnt shouldnt couldnt hasnt havent hadnt aint neednt mustnt nor
    neither avoid avoiding skip skipping
    """
)

# Words that join two ideas: a negation stops at them, and keyword lists lack them.
_CLAUSE_WORDS = _set("and but so because since then which while whereas otherwise or")
# Words that open a clause posing a case rather than asserting it.
_CONDITIONS = _set("if unless suppose whenever")
_SKIP = _STOP | _CLAUSE_WORDS | _CONDITIONS
_EXPLAINING = _set("because since so which means therefore otherwise thus why when if")

# Everyday equivalents, as plain words: each side is stemmed before use.
_SYNONYM_WORDS = {
    "deps": "dependency",
    "pkg": "package",
    "img": "image",
    "dir": "directory",
    "folder": "directory",
    "faster": "fast",
    "quick": "fast",
    "quicker": "fast",
    "speedy": "fast",
    "slower": "slow",
    "smaller": "small",
    "tiny": "small",
    "lean": "small",
    "leaner": "small",
    "lighter": "small",
    "slimmer": "slim",
    "big": "large",
    "bigger": "large",
    "huge": "large",
    "larger": "large",
    "delete": "remove",
    "rm": "remove",
    "purge": "remove",
    "wipe": "remove",
    "clean": "remove",
    "clear": "remove",
    "ignore": "exclude",
    "omit": "exclude",
    "later": "after",
    "subsequent": "after",
    "following": "after",
    "below": "after",
    "afterwards": "after",
    "downstream": "after",
    "above": "before",
    "earlier": "before",
    "prior": "before",
    "top": "first",
    "bottom": "last",
    "rerun": "rebuild",
    "redo": "rebuild",
    "create": "make",
    "produce": "make",
    "yield": "make",
    "generate": "make",
    "edit": "change",
    "modify": "change",
    "credential": "secret",
    "password": "secret",
    "passwd": "secret",
}
_IRREGULAR = {"built": "build", "rebuilt": "rebuild", "ran": "run", "kept": "keep"}
_ORDER_WORDS = {"before": "after", "after": "before", "first": "last", "last": "first"}
# An opposite that says "all ..." is stated only by a clause that says it of all:
# "none of them end up inside" must not match "all end up inside".
_UNIVERSAL = _set("all every each both")
_FILE_SUFFIX = re.compile(r"\.(txt|py|pyc|yaml|yml|json|toml|cfg|ini|pem|md|sh)$")

_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n\s*\n|\n(?=\s*[-*•])")
_WORD = re.compile(r"[\w*.\-+:/']+")
_LIST_SPLIT = re.compile(r"[,;\n/|•·]+|\s-\s")


class GradingError(SreflashError):
    """An answer cannot be scored, such as against a card without key points."""

    title = "Scoring"


@dataclass(frozen=True, slots=True)
class PointResult:
    """How an answer fared on one key point."""

    point: KeyPoint
    covered: bool
    contradicted: bool = False
    evidence: str | None = None
    """The phrasing that covered or contradicted the point."""


@dataclass(frozen=True, slots=True)
class Grade:
    """The comparison of one answer with one card."""

    card_id: str
    points: tuple[PointResult, ...]
    score: float
    keyword_list: bool = False
    """Whether the answer read as a bare list of keywords."""

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
        """Texts of the points missed (contradicted ones included)."""
        return [r.point.text for r in self.points if not r.covered]

    @property
    def contradicted(self) -> list[str]:
        """Texts of the points the answer stated the opposite of."""
        return [r.point.text for r in self.points if r.contradicted]

    def to_dict(self) -> dict[str, object]:
        """The grade as plain data, for JSON."""
        return {
            "card_id": self.card_id,
            "score": round(self.score, 3),
            "verdict": self.verdict,
            "suggested": self.suggested.name,
            "keyword_list": self.keyword_list,
            "covered": self.covered,
            "missed": self.missed,
            "contradicted": self.contradicted,
        }


def grade(card: Card, answer: str) -> Grade:
    """Compare ``answer`` with the key points of ``card``."""
    points, vocabulary = _compile(card)
    if not points or not answer.strip():
        results = tuple(PointResult(p.point, False) for p in points)
        return Grade(card.id, results, 0.0)

    text = _Answer(answer, vocabulary)
    results = tuple(p.judge(text) for p in points)
    covered = sum(r.covered for r in results)
    wrong = sum(r.contradicted for r in results)
    score = max(0.0, covered - wrong) / len(results)

    listed = is_keyword_list(answer, text.words)
    if listed:
        score *= KEYWORD_FACTOR
    return Grade(card.id, results, score, listed)


# Words


@lru_cache(maxsize=8192)
def stem(word: str) -> str:
    """A crude stem: plural and verb endings off, then a few synonyms folded."""
    word = _strip_endings(word)
    return _SYNONYMS.get(word, word)


def _strip_endings(word: str) -> str:
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if len(word) > 3 and word.isalpha():
        if word.endswith("ies") and len(word) > 4:
            word = word[:-3] + "y"
        elif word.endswith("sses"):
            word = word[:-2]
        elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
            word = word[:-1]
        if word.endswith("ing") and len(word) > 5:
            word = _undouble(word[:-3])
        elif word.endswith("ied") and len(word) > 4:
            word = word[:-3] + "y"
        elif word.endswith("ed") and len(word) > 4:
            word = _undouble(word[:-2])
        if word.endswith("e") and len(word) > 3:
            word = word[:-1]
    return word


def _undouble(word: str) -> str:
    # running -> runn -> run; but keep "ll" and "ss" (install, pass).
    if len(word) > 2 and word[-1] == word[-2] and word[-1] not in "lsz":
        return word[:-1]
    return word


_SYNONYMS = {_strip_endings(k): _strip_endings(v) for k, v in _SYNONYM_WORDS.items()}
_BEFORE, _AFTER = stem("before"), stem("after")
_ORDER_KEYS = frozenset(stem(word) for word in _ORDER_WORDS)


def _fold(word: str) -> str:
    """A raw word with its punctuation folded: ``--no-cache`` is ``nocache``."""
    word = word.strip(".:*'+/-_")
    word = _FILE_SUFFIX.sub("", word) if "." in word else word
    return word.replace("-", "").replace("_", "").replace("'", "")


def words(text: str) -> Iterator[tuple[str, bool]]:
    """Folded words of ``text``, each with whether a clause ends after it."""
    text = text.lower().replace("’", "'").replace("n't", " not")
    for match in _WORD.finditer(text):
        chunk = match.group()
        end = match.end()
        ends = chunk.endswith((".", ",", ":")) or (
            end < len(text) and text[end] in ',;:()[]{}"!?'
        )
        pieces = re.split(r"[:/]", chunk) if ":" in chunk or "/" in chunk else [chunk]
        parts = [p for p in pieces if p.strip(".*-_+'")]
        for i, part in enumerate(parts):
            folded = _fold(part)
            if folded:
                yield folded, ends and i == len(parts) - 1


class _Token(NamedTuple):
    raw: str
    key: str


def _token(raw: str) -> _Token:
    return _Token(raw, _NOT if raw in _NEGATIONS else stem(raw))


# The answer, indexed


class _Answer:
    """An answer's meaningful words, where they stand, and what they may match."""

    def __init__(self, text: str, vocabulary: frozenset[str] = frozenset()) -> None:
        self.words: list[str] = []
        self.tokens: list[_Token] = []
        self.sentence: list[int] = []
        self.clause: list[int] = []
        self.negated: list[bool] = []
        self.posed: list[bool] = []
        self.universal: set[int] = set()  # clauses that speak of all
        self.by_key: dict[str, list[int]] = {}
        self.joined: dict[str, list[int]] = {}
        self._found: dict[_Token, list[tuple[int, int]]] = {}

        for number, sentence in enumerate(_SENTENCE.split(text)):
            self._add_sentence(number, sentence)
        for i, token in enumerate(self.tokens):
            self.by_key.setdefault(token.key, []).append(i)
            if i + 1 < len(self.tokens) and self.sentence[i + 1] == self.sentence[i]:
                pair = token.raw + self.tokens[i + 1].raw
                self.joined.setdefault(pair, []).append(i)
        # A word the card itself uses is no typo of another: "layers" is not a
        # misspelt "later" when the card speaks of layers.
        self._raws = sorted(
            {t.raw for t in self.tokens if len(t.raw) >= 5 and t.key not in vocabulary}
        )

    def _add_sentence(self, number: int, sentence: str) -> None:
        reach = 0
        posed = False
        clause = len(self.clause) and self.clause[-1] + 1
        for raw, clause_ends in words(sentence):
            self.words.append(raw)
            if raw in _CLAUSE_WORDS or raw in _CONDITIONS:
                reach = 0
                clause += 1
                posed = raw in _CONDITIONS
            if raw in _UNIVERSAL:
                self.universal.add(clause)
            if raw in _SKIP:
                # A skipped word still ends its clause: in "neither of them, all
                # excluded" the negation stops at the comma after "them".
                if clause_ends:
                    reach = 0
                    posed = False
                    clause += 1
                continue
            token = _token(raw)
            self.tokens.append(token)
            self.sentence.append(number)
            self.clause.append(clause)
            self.negated.append(reach > 0 and token.key != _NOT)
            self.posed.append(posed)
            light = reach and token.key in _LIGHT_VERBS
            reach = 1 if token.key == _NOT or light else 0
            if clause_ends:
                reach = 0
                posed = False
                clause += 1

    def spans(self, token: _Token) -> list[tuple[int, int]]:
        """Where ``token`` occurs: (first, last) positions, sorted."""
        found = self._found.get(token)
        if found is not None:
            return found
        hits = {(i, i) for i in self.by_key.get(token.key, ())}
        hits.update((i, i + 1) for i in self.joined.get(token.raw, ()))
        if token.key != _NOT and token.raw.isalpha() and len(token.raw) >= 5:
            limit = 1 if len(token.raw) < 8 else 2
            for raw, _, _ in process.extract(
                token.raw, self._raws, scorer=OSA.distance, score_cutoff=limit,
                limit=None,
            ):  # fmt: skip
                hits.update((i, i) for i in self.by_key.get(_token(raw).key, ()))
        found = sorted(hits)
        self._found[token] = found
        return found


# Phrasings


@dataclass(frozen=True, slots=True)
class _Phrase:
    """One phrasing, as the meaningful tokens to look for."""

    text: str
    variants: tuple[tuple[_Token, ...], ...]
    ordered: bool
    negative: bool
    reject: bool = False
    universal: bool = False

    @property
    def size(self) -> int:
        return len(self.variants[0]) if self.variants else 0


def _phrase(text: str, *, reject: bool = False) -> _Phrase:
    tokens = tuple(_token(raw) for raw, _ in words(text) if raw not in _SKIP)
    # "multi stage build" should also find "multistage build".
    variants = [tokens]
    for i in range(len(tokens) - 1):
        joined = _token(tokens[i].raw + tokens[i + 1].raw)
        variants.append((*tokens[:i], joined, *tokens[i + 2 :]))
    ordered = (
        reject
        or len(tokens) != 2
        or any(t.raw in ("before", "after", "than") for t in tokens)
    )
    negative = any(t.key == _NOT for t in tokens)
    universal = reject and any(raw in _UNIVERSAL for raw, _ in words(text))
    return _Phrase(text, tuple(variants), ordered, negative, reject, universal)


def opposites(phrase: str) -> list[str]:
    """Phrasings that state the reverse of an order ``phrase`` gives.

    "install dependencies before the code" gives "code before install
    dependencies", "install dependencies after code" and "install dependencies
    last"; "copy the code last" gives "copy the code first".
    """
    raw = [w for w, _ in words(phrase) if w not in _STOP]
    found: list[str] = []
    for i, word in enumerate(raw):
        if word in ("before", "after") and 0 < i < len(raw) - 1:
            left, right = raw[:i], raw[i + 1 :]
            early, late = (left, right) if word == "before" else (right, left)
            found.append(" ".join([*right, word, *left]))
            found.append(" ".join([*left, _ORDER_WORDS[word], *right]))
            # A lone word says too little: "pip install before copying" must not
            # make "copy requirements.txt first" an opposite.
            found += [" ".join([*late, "first"])] * (len(late) > 1)
            found += [" ".join([*early, "last"])] * (len(early) > 1)
            break
    if not found and any(w in ("first", "last") for w in raw) and len(raw) > 1:
        found.append(" ".join(_ORDER_WORDS.get(w, w) for w in raw))
    return found


@dataclass(frozen=True, slots=True)
class _Point:
    """A key point ready to judge answers."""

    point: KeyPoint
    text: _Phrase
    accept: tuple[_Phrase, ...]
    reject: tuple[_Phrase, ...] = field(default=())

    def judge(self, answer: _Answer) -> PointResult:
        # An opposite only counts when asserted: "if you copy the code first, every
        # edit reinstalls" explains the point rather than denying it.
        for phrase in self.reject:
            hit = _find(phrase, answer)
            if hit is None or answer.posed[hit] or _negated(phrase, answer, hit):
                continue
            if phrase.universal and answer.clause[hit] not in answer.universal:
                continue
            return PointResult(self.point, False, True, phrase.text)

        negated: _Phrase | None = None
        for phrase in (self.text, *self.accept):
            hit = _find(phrase, answer)
            if hit is None and phrase is self.text:
                hit = _find_spread(phrase, answer)
            if hit is None:
                continue
            if not _negated(phrase, answer, hit):
                return PointResult(self.point, True, False, phrase.text)
            if not answer.posed[hit]:
                negated = negated or phrase
        if negated is not None:
            return PointResult(self.point, False, True, f"not {negated.text}")
        return PointResult(self.point, False)


@lru_cache(maxsize=1024)
def _compile(card: Card) -> tuple[tuple[_Point, ...], frozenset[str]]:
    points = []
    for point in card.key_points:
        accept = tuple(_phrase(p) for p in point.accept)
        implied = [o for p in point.phrasings for o in opposites(p)]
        reject = tuple(
            p
            for p in (_phrase(r, reject=True) for r in (*point.reject, *implied))
            if p.size
        )
        points.append(_Point(point, _phrase(point.text), accept, reject))
    vocabulary = frozenset(
        token.key
        for point in points
        for phrase in (point.text, *point.accept, *point.reject)
        for token in phrase.variants[0]
    )
    return tuple(points), vocabulary


def _find(phrase: _Phrase, answer: _Answer) -> int | None:
    """The position where ``phrase`` starts in ``answer``, if it is there."""
    for variant in phrase.variants:
        if not variant:
            continue
        start = _find_run(variant, answer, phrase.reject)
        if start is None and not phrase.ordered:
            start = _find_run(variant[::-1], answer, phrase.reject)
        if start is not None:
            return start
    return None


def _find_run(
    tokens: Sequence[_Token], answer: _Answer, one_clause: bool
) -> int | None:
    """Where ``tokens`` occur in order, close together, in one sentence.

    An opposite must also sit in one clause, with no order word between its
    words: neither "deps first and code last" nor "deps first, code last" says
    "deps last".
    """
    spans = [answer.spans(t) for t in tokens]
    if any(not s for s in spans):
        return None
    within = answer.clause if one_clause else answer.sentence

    def extend(j: int, after: int, group: int) -> bool:
        if j == len(spans):
            return True
        options = spans[j]
        k = bisect_left(options, (after + 1, -1))
        while k < len(options) and options[k][0] <= after + 1 + MAX_GAP:
            first, last = options[k]
            if (
                within[first] == group
                and not (one_clause and _order_between(answer, after, first))
                and extend(j + 1, last, group)
            ):
                return True
            k += 1
        return False

    for first, last in spans[0]:
        if extend(1, last, within[first]):
            return first
    return None


def _order_between(answer: _Answer, after: int, before: int) -> bool:
    return any(t.key in _ORDER_KEYS for t in answer.tokens[after + 1 : before])


def _find_spread(phrase: _Phrase, answer: _Answer) -> int | None:
    """A sentence holding most of a long phrasing's words, in any order.

    Only the order a point states itself is kept: for "install dependencies before
    copying the code", the last word found from before "before" must come earlier
    than the last one found from after it.
    """
    tokens = phrase.variants[0]
    if len(tokens) < 3:
        return None
    need = max(3, math.ceil(TEXT_SHARE * len(tokens)))
    pivot = next((j for j, t in enumerate(tokens) if t.key in (_BEFORE, _AFTER)), None)
    # sentence -> token index -> last position of that token in the sentence
    found: dict[int, dict[int, int]] = {}
    for j, token in enumerate(tokens):
        for first, _ in answer.spans(token):
            where = found.setdefault(answer.sentence[first], {})
            where[j] = max(where.get(j, first), first)

    for _, where in sorted(found.items()):
        if len(where) < need:
            continue
        if phrase.negative and not any(tokens[j].key == _NOT for j in where):
            continue  # a point worded as "do not X" needs its "not"
        if pivot is not None and not _keeps_order(tokens[pivot].key, pivot, where):
            continue
        return min(where.values())
    return None


def _keeps_order(word: str, pivot: int, where: dict[int, int]) -> bool:
    left = [at for j, at in where.items() if j < pivot]
    right = [at for j, at in where.items() if j > pivot]
    if not left or not right:
        return False
    return (max(left) < max(right)) == (word == _BEFORE)


def _negated(phrase: _Phrase, answer: _Answer, start: int) -> bool:
    return not phrase.negative and answer.negated[start]


# Keyword lists


def is_keyword_list(text: str, all_words: list[str] | None = None) -> bool:
    """Whether ``text`` reads as a bare list of terms rather than an answer.

    A list has almost no function words and no explaining words, and its pieces,
    split at commas, semicolons, slashes and line breaks, are a word or two long.
    ``all_words`` may pass the words of ``text`` when they are already known.
    """
    if all_words is None:
        all_words = [w for w, _ in words(text)]
    if not all_words:
        return False
    if len(all_words) <= 3:
        return True
    glue = sum(w in _STOP or w in _CLAUSE_WORDS or w in _NEGATIONS for w in all_words)
    explains = any(w in _EXPLAINING for w in all_words)
    share = glue / len(all_words)
    pieces = [p for p in _LIST_SPLIT.split(text) if p.strip(" -*.\t")]
    per_piece = len(all_words) / max(1, len(pieces))
    if len(pieces) >= 2 and per_piece <= 3.5 and share < 0.2 and not explains:
        return True
    return len(all_words) <= 12 and share < 0.1 and not explains


# Checking a deck's labelled examples


@dataclass(frozen=True, slots=True)
class ExampleCheck:
    """One labelled example answer run through the scorer."""

    card: Card
    number: int
    example: Example
    grade: Grade

    @property
    def agrees(self) -> bool:
        """Whether the scorer's verdict is the label's."""
        return self.grade.verdict == self.example.verdict

    def describe(self) -> str:
        """One line for a deck author: where, what was expected, what was found."""
        label = f" ({self.example.label})" if self.example.label else ""
        covered = len(self.grade.covered)
        found = (
            f"scored {self.grade.verdict} at {self.grade.score:.2f}, "
            f"covering {covered} of {count_of(len(self.grade.points), 'point')}"
        )
        if self.grade.keyword_list:
            found += ", read as a keyword list"
        if self.grade.missed and self.example.verdict == "pass":
            found += "; missed: " + "; ".join(self.grade.missed)
        elif self.grade.covered and self.example.verdict == "fail":
            found += "; covered: " + "; ".join(self.grade.covered)
        return (
            f"{self.card.path}, line {self.card.line} (card {self.card.id!r}): "
            f"example {self.number}{label} is labelled {self.example.verdict} "
            f"but {found}"
        )


def check_examples(cards: Iterable[Card]) -> list[ExampleCheck]:
    """Score every labelled example of ``cards`` that has key points."""
    return [
        ExampleCheck(card, number, example, grade(card, example.answer))
        for card in cards
        if card.key_points
        for number, example in enumerate(card.examples, start=1)
    ]
