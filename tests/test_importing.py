"""CSV and TSV files turned into validated YAML decks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from sreflash.cli import cli
from sreflash.decks import Library, load_deck_file, load_library
from sreflash.importing import ImportFileError, import_csv, key_points, slug


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding)
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "decks"


def test_a_csv_with_a_header_becomes_a_deck(tmp_path: Path, folder: Path) -> None:
    source = write(
        tmp_path / "k8s_basics.csv",
        "question,answer,tags\n"
        'What is a Pod?,"The smallest deployable unit. It holds containers.",'
        '"k8s, pods"\n'
        "\n"
        "What does a Service do?,Gives pods a stable address,k8s\n",
    )

    result = import_csv(source, Library(), folder)

    assert result.path == folder / "k8s-basics.yaml"
    assert (result.deck_id, result.title, result.cards) == (
        "k8s-basics",
        "K8S Basics",
        2,
    )
    deck = load_deck_file(result.path)
    first, second = deck.cards
    assert first.id == "k8s-basics-what-is-a-pod"
    assert first.prompt == "What is a Pod?"
    assert first.answer == "The smallest deployable unit. It holds containers."
    assert [p.text for p in first.key_points] == [
        "The smallest deployable unit.",
        "It holds containers.",
    ]
    assert (first.kind, first.topic, first.tags) == (
        "concept",
        "k8s-basics",
        ("k8s", "pods"),
    )
    assert second.tags == ("k8s",)
    assert second.key_points[0].text == "Gives pods a stable address"


def test_doubled_quotes_in_multi_line_fields_are_read_as_one_quote(
    tmp_path: Path, folder: Path
) -> None:
    source = write(
        tmp_path / "ml.csv",
        'question,answer\nWhat is X?,"Line one\nline two with ""quotes"""\n',
    )

    result = import_csv(source, Library(), folder)

    card = load_deck_file(result.path).cards[0]
    assert card.answer == 'Line one\nline two with "quotes"'


def test_semicolon_separated_files_are_read(tmp_path: Path, folder: Path) -> None:
    source = write(tmp_path / "semi.csv", "question;answer\nWhat is Y?;It is Y\n")

    result = import_csv(source, Library(), folder)

    assert load_deck_file(result.path).cards[0].answer == "It is Y"


def test_a_tsv_without_header_and_options(tmp_path: Path, folder: Path) -> None:
    source = write(
        tmp_path / "notes.tsv",
        "\ufeffWhat is SLO?\tA target for a service level indicator.\n"
        "Same?\tLine one\\nstill one\n"
        "Same?\tAnother answer, with a comma\n",
    )

    result = import_csv(
        source, Library(), folder, deck_id="sre", title="SRE terms", topic="slo"
    )

    deck = load_deck_file(result.path)
    assert (deck.id, deck.title) == ("sre", "SRE terms")
    assert [c.id for c in deck.cards] == ["sre-what-is-slo", "sre-same", "sre-same-2"]
    assert deck.cards[0].prompt == "What is SLO?"
    assert {c.topic for c in deck.cards} == {"slo"}
    assert load_library([folder]).errors == []


def test_multi_line_answers_give_one_point_per_line() -> None:
    answer = "- first\n- second\n* third\n1. fourth\n2) fifth\nsixth\nseventh"

    assert key_points(answer) == [
        "first",
        "second",
        "third",
        "fourth",
        "fifth",
        "sixth seventh",
    ]
    assert slug("What's a Pod, really?!") == "what-s-a-pod-really"


def test_an_existing_deck_file_is_never_overwritten_silently(
    tmp_path: Path, folder: Path
) -> None:
    source = write(tmp_path / "mine.csv", "Q one?,A one\n")
    first = import_csv(source, Library(), folder)
    before = first.path.read_text()

    write(source, "Q one?,A changed\nQ two?,A two\n")
    with pytest.raises(ImportFileError, match="already exists; pass --replace"):
        import_csv(source, load_library([folder]), folder)
    assert first.path.read_text() == before

    again = import_csv(source, load_library([folder]), folder, replace=True)
    assert again.replaced
    deck = load_deck_file(again.path)
    assert [c.id for c in deck.cards] == ["mine-q-one", "mine-q-two"]
    assert deck.cards[0].answer == "A changed"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("question,answer\nWhat?,\n", r"bad\.csv, line 2: the answer is empty"),
        ("What?,Yes\n,No\n", r"bad\.csv, line 2: the question is empty"),
        ("a,b,c,d\n", r"bad\.csv, line 1: 4 columns, but at most 3"),
        ("question,answer\n", r"bad\.csv: no questions found"),
        ('"open quote,x\n', r"bad\.csv, line \d+: "),
    ],
)
def test_bad_rows_are_named_by_file_and_line(
    tmp_path: Path, folder: Path, text: str, message: str
) -> None:
    source = write(tmp_path / "bad.csv", text)

    with pytest.raises(ImportFileError, match=message):
        import_csv(source, Library(), folder)
    assert not folder.exists() or not list(folder.iterdir())


def test_unreadable_files_get_one_clear_error(tmp_path: Path, folder: Path) -> None:
    with pytest.raises(ImportFileError, match=r"missing\.csv: no such file"):
        import_csv(tmp_path / "missing.csv", Library(), folder)

    latin = tmp_path / "latin.csv"
    latin.write_bytes("ok,fine\ncaf\xe9,x\n".encode("latin-1"))
    with pytest.raises(ImportFileError, match=r"latin\.csv, line 2: not UTF-8"):
        import_csv(latin, Library(), folder)


def test_ids_must_not_clash_with_loaded_decks(tmp_path: Path, folder: Path) -> None:
    other = tmp_path / "other"
    import_csv(write(tmp_path / "taken.csv", "Q?,A\n"), Library(), other)
    library = load_library([other])

    with pytest.raises(ImportFileError, match="deck id 'taken' is already used"):
        import_csv(write(tmp_path / "taken.csv", "Q?,A\n"), library, folder)
    with pytest.raises(ImportFileError, match="deck id 'Bad Id' must be lower case"):
        import_csv(tmp_path / "taken.csv", library, folder, deck_id="Bad Id")


def test_import_command_writes_to_the_users_deck_folder(
    tmp_path: Path, isolated_paths: Path
) -> None:
    source = write(
        tmp_path / "toil.csv", "question,answer\nWhat is toil?,Manual work\n"
    )
    runner = CliRunner()

    first = runner.invoke(cli, ["import", "csv", str(source), "--deck", "sre-toil"])
    second = runner.invoke(cli, ["import", "csv", str(source), "--deck", "sre-toil"])
    listed = runner.invoke(cli, ["decks", "list", "--json"])

    target = isolated_paths / "data" / "decks" / "sre-toil.yaml"
    assert first.exit_code == 0, first.output
    assert first.stdout == f"Wrote {target}: deck 'sre-toil', 1 card\n"
    assert isinstance(second.exception, ImportFileError)
    assert "already exists; pass --replace" in str(second.exception)
    assert "sre-toil" in {deck["id"] for deck in json.loads(listed.stdout)}
