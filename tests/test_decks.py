"""Deck loading: the bundled deck, and every kind of bad input a user can write."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from sreflash.cli import cli
from sreflash.decks import Library, load_library, parse_deck
from sreflash.errors import DeckError
from sreflash.paths import bundled_decks_dir
from tests.conftest import run_cli

GOOD = """\
format: 1
deck:
  id: good
  title: A good deck
cards:
  - id: good-one
    kind: concept
    topic: basics
    prompt: What is a layer?
    answer: A filesystem diff.
    key_points: [a filesystem diff]
  - id: good-two
    kind: question
    topic: basics
    prompt: Why order instructions?
    answer: For the cache.
    key_points:
      - text: Put rarely changing steps first
        accept: [dependencies first]
        reject: [copy the code first]
      - the cache is reused
      - builds get faster
    follow_ups: [good-one]
    examples:
      - label: strong
        verdict: pass
        answer: Install dependencies first so the cache is reused.
"""


def errors_of(text: str | bytes, name: str = "deck.yaml") -> list[str]:
    raw = text.encode() if isinstance(text, str) else text
    try:
        parse_deck(raw, name)
    except DeckError as error:
        return [str(e) for e in getattr(error, "errors", [error])]
    return []


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


# The bundled deck


@pytest.fixture(scope="module")
def bundled() -> Library:
    return load_library([bundled_decks_dir()])


def test_bundled_decks_load_without_errors(bundled: Library) -> None:
    assert bundled.errors == []
    assert [d.id for d in bundled.decks] == ["docker-image-design"]


def test_bundled_deck_covers_every_part_of_the_source(bundled: Library) -> None:
    kinds = Counter(card.kind for card in bundled.iter_cards())

    assert sum(kinds.values()) >= 27
    assert kinds["question"] == 8
    assert kinds["scenario"] == 3
    assert kinds["checklist"] == 4
    assert kinds["concept"] + kinds["command"] >= 12
    assert kinds["lab"] >= 4


def test_bundled_question_cards_carry_key_points_and_examples(bundled: Library) -> None:
    for card in bundled.iter_cards():
        if card.kind in ("question", "scenario"):
            assert 3 <= len(card.key_points) <= 6, card.id
            labels = {e.label for e in card.examples}
            assert {"strong", "partial", "wrong", "off-topic"} <= labels, card.id
        if card.kind == "lab":
            assert card.lab is not None and card.lab.lab == "phase2-image-design"


# Good input


def test_a_valid_deck_is_read_with_every_field() -> None:
    deck = parse_deck(GOOD.encode(), "good.yaml")

    assert deck.id == "good"
    assert [c.id for c in deck.cards] == ["good-one", "good-two"]
    two = deck.cards[1]
    assert two.line == 12
    assert two.key_points[0].accept == ("dependencies first",)
    assert two.key_points[0].reject == ("copy the code first",)
    assert two.key_points[1].text == "the cache is reused"
    assert two.follow_ups == ("good-one",)
    assert two.examples[0].verdict == "pass"


# Bad input: each error is one line naming the file, the line and the card.


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "deck.yaml: is empty"),
        ("   \n\n", "deck.yaml: is empty"),
        ("format: 1\ndeck: [\n", "deck.yaml, line 3: YAML syntax error"),
        ("format: 1\ndeck:\n  id: x\n title: y\n", "deck.yaml, line 4: YAML syntax"),
        ("- just\n- a list\n", "deck.yaml, line 1: the file must be a mapping"),
        ("format: 2\ndeck: {id: x, title: X}\ncards: []\n", "line 1: format 2 is not"),
        ("format: one\n", "line 1: 'format' must be a whole number"),
        ("format: 1\ncards: []\n", "missing required field 'deck'"),
        ("format: 1\ndeck: {id: X Y, title: t}\ncards: []\n", "id 'X Y' must be"),
        ("format: 1\ndeck: {id: x, title: t}\ncards: []\n", "at least one card"),
        ("format: 1\ndeck: {id: x, title: t, colour: red}\n", "unknown field 'colour'"),
    ],
)
def test_bad_deck_files_get_one_clear_error(text: str, expected: str) -> None:
    errors = errors_of(text)

    assert len(errors) == 1
    assert expected in errors[0]


def card_error(card_yaml: str) -> list[str]:
    head = "format: 1\ndeck: {id: x, title: X}\ncards:\n"
    return errors_of(head + card_yaml)


@pytest.mark.parametrize(
    ("card_yaml", "expected"),
    [
        (
            "  - id: c1\n    kind: concept\n    topic: t\n    promt: p\n",
            "deck.yaml, line 7 (card 'c1'): unknown field 'promt'",
        ),
        (
            "  - id: c1\n    kind: concept\n    topic: t\n    answer: a\n"
            "    key_points: [k]\n",
            "deck.yaml, line 4 (card 'c1'): missing required field 'prompt'",
        ),
        (
            "  - id: c1\n    kind: quiz\n    topic: t\n    prompt: p\n    answer: a\n",
            "line 5 (card 'c1'): kind 'quiz' is not one of",
        ),
        (
            "  - id: c1\n    kind: question\n    topic: t\n    prompt: p\n"
            "    answer: a\n    key_points: [one, two]\n",
            "(card 'c1'): a question card needs 3 to 6 key points, not 2",
        ),
        (
            "  - id: c1\n    kind: concept\n    topic: t\n    prompt: [a, b]\n"
            "    answer: a\n    key_points: [k]\n",
            "line 7 (card 'c1'): 'prompt' must be a single value",
        ),
        (
            "  - id: c1\n    kind: concept\n    topic: t\n    prompt: yes\n"
            "    answer: a\n    key_points: [k]\n",
            "line 7 (card 'c1'): 'prompt' must be text, not 'yes'",
        ),
        (
            "  - id: c1\n    kind: concept\n    topic: t\n    prompt: ''\n"
            "    answer: a\n    key_points: [k]\n",
            "'prompt' must not be empty",
        ),
        (
            "  - id: c1\n    kind: scenario\n    topic: t\n    prompt: p\n"
            "    answer: a\n    key_points: [a, b, c]\n",
            "a scenario card takes 'talking_points', not 'key_points'",
        ),
        (
            "  - id: c1\n    kind: lab\n    topic: t\n    prompt: p\n    answer: a\n",
            "(card 'c1'): missing required field 'lab'",
        ),
        (
            "  - id: c1\n    kind: concept\n    topic: t\n    prompt: p\n"
            "    answer: a\n    key_points: [k]\n    follow_ups: [nowhere]\n",
            "(card 'c1'): follow-up 'nowhere' names no card in this deck",
        ),
        (
            "  - id: c1\n    kind: concept\n    topic: t\n    prompt: p\n"
            "    answer: a\n    key_points: [k]\n"
            "    examples: [{answer: x, verdict: maybe}]\n",
            "verdict 'maybe' must be 'pass' or 'fail'",
        ),
    ],
)
def test_bad_cards_are_named_with_their_line(card_yaml: str, expected: str) -> None:
    errors = card_error(card_yaml)

    assert len(errors) == 1, errors
    assert expected in errors[0]


def test_duplicate_card_ids_in_one_deck_name_both_lines() -> None:
    card = (
        "  - {id: same, kind: concept, topic: t, prompt: p, answer: a,"
        " key_points: [k]}\n"
    )

    errors = card_error(card + card)

    assert errors == [
        "deck.yaml, line 5 (card 'same'): duplicate card id (first used on line 4)"
    ]


def test_every_bad_card_of_a_deck_is_reported_at_once() -> None:
    errors = card_error(
        "  - {id: a1, kind: concept, topic: t, prompt: p}\n"
        "  - {id: a2, kind: nope, topic: t, prompt: p, answer: a}\n"
    )

    assert len(errors) == 2
    assert "(card 'a1')" in errors[0] and "(card 'a2')" in errors[1]


def test_a_decks_errors_come_in_file_order() -> None:
    # The follow-up is checked once every card is read, after the later card.
    errors = card_error(
        "  - {id: a1, kind: concept, topic: t, prompt: p, answer: a,\n"
        "     key_points: [k], follow_ups: [nope]}\n"
        "  - {id: a2, kind: concept, topic: t, promt: p, answer: a}\n"
    )

    assert ["(card 'a1')" in errors[0], "(card 'a2')" in errors[1]] == [True, True]
    assert "follow-up 'nope'" in errors[0]


def test_non_utf8_bytes_are_reported_with_their_line() -> None:
    errors = errors_of(b"format: 1\ndeck:\n  title: caf\xe9\n")

    assert errors == ["deck.yaml, line 3: is not UTF-8 text (byte 28)"]


@pytest.mark.parametrize("escape", ["\\a", "\\e[2J", "\\r", "\\x9b"])
def test_control_characters_written_as_escapes_are_refused(escape: str) -> None:
    errors = card_error(
        "  - id: c1\n    kind: concept\n    topic: t\n"
        f'    prompt: "ring {escape} here"\n    answer: a\n    key_points: [k]\n'
    )

    assert len(errors) == 1
    assert errors[0].startswith("deck.yaml, line 7 (card 'c1'): 'prompt' holds a ")
    assert "control character (U+00" in errors[0]


def test_tabs_and_line_breaks_are_kept_in_card_text() -> None:
    text = GOOD.replace("What is a layer?", '"What\\tis a\\nlayer?"')

    deck = parse_deck(text.encode(), "deck.yaml")

    assert deck.cards[0].prompt == "What\tis a\nlayer?"


def test_yaml_object_tags_are_refused_without_running_anything() -> None:
    text = "format: 1\ndeck: !!python/object/apply:os.system ['echo pwned']\n"

    errors = errors_of(text)

    assert errors == [
        "deck.yaml, line 2: the YAML tag '!!python/object/apply:os.system' "
        "is not allowed in decks"
    ]


def test_an_alias_bomb_is_refused_quickly() -> None:
    lines = ["format: 1", "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for n in range(1, 12):
        refs = ", ".join([f"*a{n - 1}"] * 9)
        lines.append(f"a{n}: &a{n} [{refs}]")

    errors = errors_of("\n".join(lines) + "\n")

    assert len(errors) == 1
    assert "unknown field 'a0'" in errors[0] or "aliases are not allowed" in errors[0]


def test_aliases_inside_cards_are_refused() -> None:
    errors = card_error(
        "  - id: c1\n    kind: concept\n    topic: t\n    prompt: &p shared\n"
        "    answer: *p\n    key_points: [k]\n"
    )

    assert errors == [
        "deck.yaml, line 7 (card 'c1'): YAML anchors and aliases are not allowed "
        "in decks"
    ]


# Libraries: a broken deck never stops the good ones.


def test_a_broken_deck_is_skipped_and_the_good_ones_load(tmp_path: Path) -> None:
    write(tmp_path, "a-good.yaml", GOOD)
    write(tmp_path, "b-broken.yaml", "format: 1\ndeck: [\n")
    write(tmp_path, "c-empty.yml", "")
    write(tmp_path, "notes.txt", "not a deck")

    library = load_library([tmp_path])

    assert [d.id for d in library.decks] == ["good"]
    assert len(library.errors) == 2
    assert "b-broken.yaml, line 3" in str(library.errors[0])
    assert "c-empty.yml: is empty" in str(library.errors[1])


@pytest.mark.parametrize("loads", [1, 2])
def test_a_card_id_used_by_another_deck_skips_the_later_deck(
    tmp_path: Path, loads: int
) -> None:
    decks = tmp_path / "decks"
    decks.mkdir()
    write(decks, "a.yaml", GOOD)
    write(decks, "b.yaml", GOOD.replace("id: good\n", "id: other\n"))

    # The second load reads both decks back from the cache.
    for _ in range(loads):
        library = load_library([decks], tmp_path / "cache")

    assert [d.id for d in library.decks] == ["good"]
    assert len(library.errors) == 1
    message = str(library.errors[0])
    assert "b.yaml, line 6 (card 'good-one')" in message
    assert "already used in" in message and "a.yaml" in message


def test_a_deck_id_used_twice_skips_the_second(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", GOOD)
    renamed = GOOD.replace("good-one", "g1").replace("good-two", "g2")
    write(tmp_path, "b.yaml", renamed)

    library = load_library([tmp_path])

    assert len(library.decks) == 1
    message = str(library.errors[0])
    assert message.startswith(str(tmp_path / "b.yaml"))
    assert f"deck id 'good' is already used by {tmp_path / 'a.yaml'}" in message


def test_an_unreadable_path_is_an_error_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "deck.yaml").mkdir()
    write(tmp_path, "good.yaml", GOOD)

    library = load_library([tmp_path])

    assert [d.id for d in library.decks] == ["good"]
    assert [str(e) for e in library.errors] == [
        f"{tmp_path / 'deck.yaml'}: cannot be read (Is a directory)"
    ]


# The CLI


def test_decks_check_exits_zero_on_good_decks(tmp_path: Path) -> None:
    deck = write(tmp_path, "good.yaml", GOOD)

    result = CliRunner().invoke(cli, ["decks", "check", str(deck)])

    assert result.exit_code == 0, result.output
    assert "1 deck, 2 cards, 0 errors" in result.output


def test_decks_check_exits_one_and_names_the_fault(tmp_path: Path) -> None:
    write(tmp_path, "good.yaml", GOOD)
    write(tmp_path, "bad.yaml", GOOD.replace("prompt: What", "promt: What"))

    result = CliRunner().invoke(cli, ["decks", "check", str(tmp_path)])

    assert result.exit_code == 1
    assert "bad.yaml, line 9 (card 'good-one'): unknown field 'promt'" in result.output
    assert "Traceback" not in result.output


LAB_CARDS = """\
format: 1
deck: {id: mine, title: Mine}
cards:
  - {id: mine-1, kind: lab, topic: t, prompt: P?, answer: A., key_points: [a],
     lab: {lab: nolab, check: x}}
  - {id: mine-2, kind: lab, topic: t, prompt: P?, answer: A., key_points: [a],
     lab: {lab: phase2-image-design, check: nocheck}}
"""


def test_decks_check_finds_what_would_skip_or_break_a_deck_at_load(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    clash = write(tmp_path, "clash.yaml", GOOD.replace("good-one", "q-reduce-size"))
    labs = write(tmp_path, "labs.yaml", LAB_CARDS)
    empty = tmp_path / "dir.yaml"
    empty.mkdir()

    result = CliRunner().invoke(cli, ["decks", "check", str(clash), str(labs)])

    assert result.exit_code == 1
    bundled = bundled_decks_dir() / "docker-image-design.yaml"
    assert (
        f"error: {clash}, line 6 (card 'q-reduce-size'): card id 'q-reduce-size' is "
        f"already used in {bundled}; this deck was skipped"
    ) in result.output
    assert f"{labs}, line 4 (card 'mine-1'): no lab is called 'nolab'" in result.output
    assert (
        f"{labs}, line 6 (card 'mine-2'): the lab 'phase2-image-design' has no "
        "check 'nocheck'"
    ) in result.output
    # Only the files named are counted, not the bundled deck they were checked with.
    assert "1 deck, 2 cards, 3 errors" in result.output

    code, _, err = run_cli(["decks", "check", str(empty)], capsys, monkeypatch)
    assert code == 1
    assert err == f"Error: {empty}: holds no deck files (*.yaml, *.yml)\n"


def test_decks_check_of_a_missing_path_is_one_sentence(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"

    result = subprocess.run(
        [sys.executable, "-m", "sreflash", "decks", "check", str(missing)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 1
    assert result.stderr == f"Error: {missing}: no such file or folder\n"


def test_decks_list_json_gives_each_deck_with_its_cards(tmp_path: Path) -> None:
    write(tmp_path, "good.yaml", GOOD)

    result = CliRunner().invoke(
        cli, ["--decks", str(tmp_path), "decks", "list", "--json"]
    )

    assert result.exit_code == 0
    decks = {d["id"]: d for d in json.loads(result.stdout)}
    assert decks["good"]["count"] == 2
    assert decks["good"]["cards"][0] == {
        "id": "good-one",
        "kind": "concept",
        "topic": "basics",
        "prompt": "What is a layer?",
    }
    assert decks["docker-image-design"]["count"] >= 27


def test_decks_list_counts_in_words(tmp_path: Path) -> None:
    one = GOOD.replace("id: good\n", "id: single\n").split("  - id: good-two")[0]
    write(tmp_path, "single.yaml", one.replace("good-one", "single-one"))

    result = CliRunner().invoke(cli, ["--decks", str(tmp_path), "decks", "list"])

    assert result.exit_code == 0
    line = next(x for x in result.stdout.splitlines() if x.startswith("single "))
    assert line.split()[1:3] == ["1", "card"]


def test_decks_list_counts_each_kind_and_lists_cards_when_asked(
    tmp_path: Path,
) -> None:
    write(tmp_path, "good.yaml", GOOD)

    plain = CliRunner().invoke(cli, ["--decks", str(tmp_path), "decks", "list"])
    listed = CliRunner().invoke(
        cli, ["--decks", str(tmp_path), "decks", "list", "--cards"]
    )

    assert plain.exit_code == listed.exit_code == 0
    lines = plain.stdout.splitlines()
    at = next(i for i, x in enumerate(lines) if x.startswith("good "))
    assert lines[at + 1] == "    concept 1, question 1"
    assert "good-one" not in plain.stdout
    lines = listed.stdout.splitlines()
    at = lines.index("    concept 1, question 1")
    assert lines[at + 1 : at + 3] == [
        "    good-one  [concept, basics]  What is a layer?",
        "    good-two  [question, basics]  Why order instructions?",
    ]


# The parsed-deck cache


def test_a_cached_deck_equals_the_parsed_one(tmp_path: Path) -> None:
    deck = write(tmp_path, "good.yaml", GOOD)
    cache = tmp_path / "cache"

    parsed = load_library([deck], cache)
    cached = load_library([deck], cache)

    assert len(list(cache.glob("*.json"))) == 1
    assert cached.decks == parsed.decks
    bundled = load_library([bundled_decks_dir()], cache)
    assert load_library([bundled_decks_dir()], cache).decks == bundled.decks


def test_an_edited_deck_is_parsed_again(tmp_path: Path) -> None:
    deck = write(tmp_path, "good.yaml", GOOD)
    cache = tmp_path / "cache"
    load_library([deck], cache)

    write(tmp_path, "good.yaml", GOOD.replace("What is a layer?", "Edited?"))
    edited = load_library([deck], cache)

    assert edited.cards["good-one"].prompt == "Edited?"
    write(tmp_path, "good.yaml", GOOD.replace("prompt: What", "promt: What"))
    assert "unknown field 'promt'" in str(load_library([deck], cache).errors[0])


def test_a_damaged_cache_entry_is_ignored(tmp_path: Path) -> None:
    deck = write(tmp_path, "good.yaml", GOOD)
    cache = tmp_path / "cache"
    load_library([deck], cache)
    for entry in cache.glob("*.json"):
        entry.write_text('{"id": "good", "cards": [[1, 2]]')

    library = load_library([deck], cache)

    assert library.errors == []
    assert library.cards["good-one"].prompt == "What is a layer?"


@pytest.mark.parametrize(
    "change",
    [
        lambda row: row.__setitem__(5, 5),  # key points: a number
        lambda row: row.__setitem__(8, [[1, 2, 3, 4, 5]]),  # a bad example
        lambda row: row.__setitem__(9, [1]),  # a lab reference cut short
        lambda row: row.__setitem__(3, "An edited prompt?"),
        lambda row: row.__delitem__(10),
    ],
    ids=["points", "example", "lab", "prompt", "short-row"],
)
def test_a_cache_entry_edited_by_hand_is_ignored(
    tmp_path: Path, change: Callable[[list[Any]], None]
) -> None:
    # Cards are built from the cache only when used: an entry that is not exactly
    # what sreflash wrote must be refused on reading, not fail in a drill.
    deck = write(tmp_path, "good.yaml", GOOD)
    cache = tmp_path / "cache"
    parsed = load_library([deck], cache)
    (entry,) = cache.glob("*.json")
    head, body = entry.read_text().split("\n", 1)
    data = json.loads(body)
    change(data["cards"][0])
    entry.write_text(head + "\n" + json.dumps(data))

    library = load_library([deck], cache)

    assert library.errors == []
    assert library.decks == parsed.decks
    assert library.cards["good-one"].prompt == "What is a layer?"
    # The deck was parsed again and its entry rewritten whole.
    assert load_library([deck], cache).decks == parsed.decks
    assert json.loads(entry.read_text().split("\n", 1)[1])["cards"][0][3] == (
        "What is a layer?"
    )


def test_an_edited_deck_leaves_one_cache_entry(tmp_path: Path) -> None:
    deck = write(tmp_path, "good.yaml", GOOD)
    other = write(tmp_path, "other.yaml", GOOD.replace("good", "other"))
    cache = tmp_path / "cache"
    for n in range(3):
        deck.write_text(GOOD.replace("What is a layer?", f"What is layer {n}?"))
        library = load_library([deck, other], cache)
        assert library.cards["good-one"].prompt == f"What is layer {n}?"

    assert len(list(cache.glob("*.json"))) == 2  # one per deck file
    assert load_library([deck, other], cache).decks == library.decks


def test_another_decks_cache_entry_in_this_ones_place_is_refused(
    tmp_path: Path,
) -> None:
    mine = write(tmp_path, "mine.yaml", GOOD)
    other = write(tmp_path, "other.yaml", GOOD.replace("good", "other"))
    cache = tmp_path / "cache"
    load_library([mine, other], cache)
    by_deck = {
        json.loads(p.read_text().split("\n", 1)[1])["id"]: p for p in cache.iterdir()
    }
    by_deck["good"].write_bytes(by_deck["other"].read_bytes())

    library = load_library([mine, other], cache)

    assert [d.id for d in library.decks] == ["good", "other"]
    assert library.errors == []


def test_a_cache_entry_that_cannot_be_written_leaves_nothing_behind(
    tmp_path: Path,
) -> None:
    deck = write(tmp_path, "good.yaml", GOOD)
    cache = tmp_path / "cache"
    load_library([deck], cache)
    (entry,) = cache.iterdir()
    entry.unlink()
    entry.mkdir()  # the entry's name is taken by a folder

    for _ in range(3):
        library = load_library([deck], cache)
        assert library.errors == [] and len(library.cards) == 2

    assert [p.name for p in cache.iterdir()] == [entry.name]


def test_ids_and_kinds_come_from_the_cache_in_deck_order(tmp_path: Path) -> None:
    deck = write(tmp_path, "good.yaml", GOOD)
    cache = tmp_path / "cache"
    parsed = load_library([deck], cache)
    cached = load_library([deck], cache)

    for library in (parsed, cached):
        assert list(library.iter_ids()) == ["good-one", "good-two"]
        assert list(library.iter_ids(kinds=frozenset({"question"}))) == ["good-two"]
        assert list(library.iter_ids("other")) == []
        assert len(library.cards) == 2 and "good-one" in library.cards
    assert cached.decks[0].cards[-1] == parsed.decks[0].cards[1]


@pytest.mark.parametrize("enabled", [True, False])
def test_loading_leaves_the_cycle_collector_as_it_found_it(
    tmp_path: Path, enabled: bool
) -> None:
    # Loading pauses the collector for speed; a bad deck must not leave it off.
    good = write(tmp_path, "good.yaml", GOOD)
    bad = write(tmp_path, "bad.yaml", "format: 1\ndeck: [\n")
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        library = load_library([good, bad], tmp_path / "cache")
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
    assert len(library.decks) == 1
    assert len(library.errors) == 1


def test_commands_warn_about_a_skipped_deck_and_carry_on(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bad = write(tmp_path, "bad.yaml", "format: 1\ndeck: [\n")

    code, out, err = run_cli(["--decks", str(bad), "stats"], capsys, monkeypatch)

    assert code == 0 and "Cards:" in out
    assert err.startswith(f"Warning: deck skipped: {bad}, line 3:")
