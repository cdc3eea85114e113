"""The lab file format, results storage and everything else that needs no engine."""

from __future__ import annotations

import compileall
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from sreflash.cli_lab import lab as lab_group
from sreflash.errors import DockerUnavailableError, LabError
from sreflash.labs.checks import push_reference
from sreflash.labs.engine import connect
from sreflash.labs.history import lab_checks, lab_runs, save_lab_run
from sreflash.labs.model import LAB_FILE, find_lab, load_lab
from sreflash.labs.probe import parse_proc_net_tcp
from sreflash.labs.results import CheckResult, LabReport, Status
from sreflash.labs.runner import _copy_of, run_guided, write_challenge
from sreflash.store import Store

REQUIRED_IDS = {
    "non-root-user",
    "rebuild-all-cached",
    "code-edit-reuses-deps",
    "dockerignore-keeps-out",
    "size-vs-phase1",
    "tags-one-image",
    "base-pinned-slim",
    "env-in-config",
    "no-secret-env",
    "absolute-workdir",
    "deps-before-code",
    "pip-no-cache",
    "no-pip-cache-in-image",
    "app-files-owned",
    "exec-form-cmd",
    "port-exposed",
    "answers-on-port",
    "runtime-identity",
    "push-reference",
}


@pytest.fixture
def lab_yaml() -> dict[str, object]:
    """The bundled lab file, parsed, to break one piece at a time."""
    path = find_lab("phase2-image-design").folder / LAB_FILE
    data: dict[str, object] = yaml.safe_load(path.read_text())
    return data


def load_broken(tmp_path: Path, data: object) -> LabError:
    path = tmp_path / LAB_FILE
    path.write_text(yaml.safe_dump(data) if not isinstance(data, str) else data)
    with pytest.raises(LabError) as caught:
        load_lab(path)
    message = str(caught.value)
    assert message.startswith(str(path)) and message.endswith(".")
    assert "\n" not in message
    return caught.value


def test_the_bundled_lab_has_every_check_the_deck_refers_to() -> None:
    lab = find_lab("phase2-image-design")
    ids = [check.id for check in lab.checks()]
    assert set(ids) >= REQUIRED_IDS
    assert len(ids) == len(set(ids))
    assert lab.context_dir.joinpath("Dockerfile").is_file()


def test_the_questions_the_issue_names_are_asked() -> None:
    questions = {c.id: c.question for c in find_lab("phase2-image-design").checks()}
    assert "whoami" in questions["runtime-identity"]
    assert "first step that is rebuilt" in questions["code-edit-reuses-deps"]
    assert "Phase 1" in questions["size-vs-phase1"]


def test_an_unknown_lab_id_names_the_known_ones() -> None:
    with pytest.raises(LabError, match="phase2-image-design"):
        find_lab("phase9")


def test_a_check_of_an_unknown_kind_is_refused(
    tmp_path: Path, lab_yaml: dict[str, object]
) -> None:
    steps: list[dict[str, object]] = lab_yaml["steps"]  # type: ignore[assignment]
    steps[0]["checks"] = [{"id": "x", "kind": "shell", "title": "t", "argv": ["ls"]}]
    error = load_broken(tmp_path, lab_yaml)
    assert "kind 'shell', which is not one of" in str(error)


@pytest.mark.parametrize("option", ["privileged", "volumes", "network_mode", "mounts"])
def test_container_options_cannot_be_smuggled_into_a_check(
    tmp_path: Path, lab_yaml: dict[str, object], option: str
) -> None:
    steps: list[dict[str, Any]] = lab_yaml["steps"]  # type: ignore[assignment]
    command = next(
        c for s in steps for c in s.get("checks", []) if c["kind"] == "command"
    )
    command[option] = True
    assert f"unknown key {option!r}" in str(load_broken(tmp_path, lab_yaml))


@pytest.mark.parametrize("name", ["/etc/passwd", "../outside", "a/../../b"])
def test_a_planted_path_outside_the_context_is_refused(
    tmp_path: Path, lab_yaml: dict[str, object], name: str
) -> None:
    steps: list[dict[str, Any]] = lab_yaml["steps"]  # type: ignore[assignment]
    static = next(
        c
        for s in steps
        for c in s.get("checks", [])
        if c["kind"] == "static" and c["rule"] == "dockerignore-excludes"
    )
    static["names"] = [".env", name]
    message = str(load_broken(tmp_path, lab_yaml))
    assert f"names {name!r}: must be a path inside the context" in message


def test_an_action_before_its_build_is_refused(
    tmp_path: Path, lab_yaml: dict[str, object]
) -> None:
    lab_yaml["steps"] = [{"id": "r", "title": "t", "do": "rebuild"}]
    assert "does 'rebuild' before any 'build' step" in str(
        load_broken(tmp_path, lab_yaml)
    )


def test_a_check_before_the_step_it_needs_is_refused(
    tmp_path: Path, lab_yaml: dict[str, object]
) -> None:
    probe = {"id": "p", "kind": "probe", "title": "t", "path": "/"}
    lab_yaml["steps"] = [{"id": "b", "title": "t", "do": "build", "checks": [probe]}]
    assert "needs a 'run' step before it" in str(load_broken(tmp_path, lab_yaml))


def test_an_edit_that_changes_no_content_is_refused(
    tmp_path: Path, lab_yaml: dict[str, object]
) -> None:
    lab_yaml["edit"] = {"file": "app.py", "append": "   "}
    assert "a touch busts no cache" in str(load_broken(tmp_path, lab_yaml))


@pytest.mark.parametrize(
    ("key", "value"), [("version", "1.0.0+sha.5114f85"), ("repository", "Phase2-Flask")]
)
def test_invalid_tags_are_refused(
    tmp_path: Path, lab_yaml: dict[str, Any], key: str, value: str
) -> None:
    lab_yaml["tags"][key] = value
    assert f"'tags.{key}'" in str(load_broken(tmp_path, lab_yaml))


def test_paths_outside_the_lab_folder_are_refused(
    tmp_path: Path, lab_yaml: dict[str, object]
) -> None:
    lab_yaml["context"] = "../../etc"
    assert "inside the lab folder" in str(load_broken(tmp_path, lab_yaml))


def test_yaml_is_loaded_safely(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = f"!!python/object/apply:os.system ['touch {marker}']\n"
    error = load_broken(tmp_path, text)
    assert "not valid YAML" in str(error)
    assert not marker.exists()


def test_parse_proc_net_tcp_reads_ipv4_and_ipv6_listeners() -> None:
    text = (
        "  sl  local_address rem_address   st tx_queue rx_queue\n"
        "   0: 0100007F:1388 00000000:0000 0A 00000000:00000000\n"
        "   1: 00000000:1F90 00000000:0000 0A 00000000:00000000\n"
        "   2: 0100007F:1388 0100007F:D2F0 01 00000000:00000000\n"
        "   0: 00000000000000000000000001000000:1388 "
        "00000000000000000000000000000000:0000 0A 0\n"
    )
    assert parse_proc_net_tcp(text, 5000) == {"127.0.0.1", "::1"}
    assert parse_proc_net_tcp(text, 8080) == {"0.0.0.0"}


@pytest.mark.parametrize(
    ("reference", "status", "seen"),
    [
        (
            "registry.example.com/team/app:1.0.0",
            Status.PASS,
            "registry registry.example.com",
        ),
        ("localhost:5000/team/app:1.0.0", Status.PASS, "namespace team"),
        ("your-user/app:1.0.0", Status.PASS, "docker.io (implied)"),
        ("app:1.0.0", Status.FAIL, "docker.io/library"),
        ("registry.example.com/app:1.0.0", Status.FAIL, "no registry and namespace"),
    ],
)
def test_push_reference_needs_a_registry_and_a_namespace(
    reference: str, status: Status, seen: str
) -> None:
    outcome = push_reference([reference])
    assert outcome.status is status
    assert seen in outcome.seen


def test_lab_runs_are_stored_with_each_check() -> None:
    store = Store.memory()
    report = LabReport("phase2-image-design", "guided")
    report.results += [
        CheckResult("non-root-user", "t", Status.PASS, "id -u -> 10001", "", "10001"),
        CheckResult("base-pinned-slim", "t", Status.FAIL, "FROM x", "pin it", "skip"),
        CheckResult("answers-on-port", "t", Status.CANNOT, "no engine"),
    ]
    run_id = save_lab_run(store.db, report)

    [row] = lab_runs(store.db)
    assert (row.id, row.lab_id, row.mode, row.passed, row.failed, row.cannot) == (
        run_id,
        "phase2-image-design",
        "guided",
        1,
        1,
        1,
    )
    assert row.started_at == report.started_at.isoformat()
    assert row.started_at.endswith("+00:00")
    checks = lab_checks(store.db, run_id)
    assert [(c.check_id, c.status, c.prediction, c.hint) for c in checks] == [
        ("non-root-user", "pass", "10001", ""),
        ("base-pinned-slim", "fail", "skip", "pin it"),
        ("answers-on-port", "cannot-check", "", ""),
    ]


def test_a_stopped_engine_is_one_sentence_and_never_a_wrong_answer(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-docker.sock")
    with pytest.raises(DockerUnavailableError) as caught:
        connect()
    assert "No Docker engine answers at unix://" in str(caught.value)

    report = run_guided(
        find_lab("phase2-image-design"),
        predict=lambda q: "skip",
        on_event=lambda e: None,
    )
    static = {r.check_id for r in report.results if r.status is Status.PASS}
    assert "base-pinned-slim" in static
    assert report.failed == 0
    cannot = [r for r in report.results if r.status is Status.CANNOT]
    assert cannot and all("No Docker engine answers" in r.seen for r in cannot)


def test_cli_names_a_bad_image_and_an_unwritable_challenge_folder(
    tmp_path: Path,
) -> None:
    bad_image = CliRunner().invoke(
        lab_group, ["check", "phase2-image-design", "--image", "Bad Name!!"]
    )
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    unwritable = CliRunner().invoke(
        lab_group, ["challenge", "phase2-image-design", str(blocker / "sub")]
    )

    assert bad_image.exit_code == 2
    assert "'Bad Name!!' is not an image reference Docker accepts" in bad_image.stderr
    assert unwritable.exit_code == 1
    assert unwritable.stderr == (
        f"Error: cannot write the challenge into {blocker / 'sub'} (Not a directory);"
        " name a folder you can write to.\n"
    )


def test_cli_errors_are_one_line_on_stderr(tmp_path: Path) -> None:
    result = CliRunner().invoke(lab_group, ["run", "no-such-lab", "--yes"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: No lab is called 'no-such-lab'")
    assert "Traceback" not in result.output


def test_installed_byte_code_never_reaches_a_workspace(tmp_path: Path) -> None:
    # pip compiles every .py file it installs, lab material included: an installed
    # sreflash has __pycache__ folders its source tree never had.
    shipped = tmp_path / "lab"
    shutil.copytree(find_lab("phase2-image-design").folder, shipped)
    assert compileall.compile_dir(shipped, quiet=1)
    assert list(shipped.rglob("*.pyc"))
    lab = load_lab(shipped / LAB_FILE)

    written = write_challenge(lab, tmp_path / "fix-me")
    with _copy_of(lab.context_dir, shipped=True) as work:
        copied = [p.name for p in work.rglob("*")]

    assert sorted(p.name for p in written) == [
        "Dockerfile",
        "app.py",
        "requirements.txt",
    ]
    assert "__pycache__" not in copied and "app.py" in copied


def test_challenge_writes_into_an_empty_folder_only(tmp_path: Path) -> None:
    lab = find_lab("phase2-image-design")
    target = tmp_path / "fix-me"
    written = write_challenge(lab, target)
    assert sorted(p.name for p in written) == [
        "Dockerfile",
        "app.py",
        "requirements.txt",
    ]
    assert "FROM python:latest" in (target / "Dockerfile").read_text()
    assert not (target / ".dockerignore").exists()

    result = CliRunner().invoke(lab_group, ["challenge", lab.id, str(target)])
    assert result.exit_code == 1
    assert "is not an empty folder" in result.stderr
    assert sorted(p.name for p in target.iterdir()) == [
        "Dockerfile",
        "app.py",
        "requirements.txt",
    ]
