"""Lab checks against a real Docker engine: the guided run, the challenge, the
ways a learner's image can go wrong, and cleanup."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import docker
import pytest
from filelock import FileLock

from sreflash.errors import LabCancelledError
from sreflash.labs.checks import Subject, evaluate
from sreflash.labs.engine import BUILD_LOCK, RUN_LABEL, Engine, clean_all
from sreflash.labs.model import CheckSpec, Lab, find_lab, load_lab
from sreflash.labs.results import (
    BuildLine,
    CheckDone,
    Event,
    LabReport,
    Notice,
    Question,
    Status,
    StepStarted,
)
from sreflash.labs.runner import (
    check_image,
    check_workspace,
    run_guided,
    write_challenge,
)
from tests.labs.labhelpers import SERVER, write_context, write_mini_lab

pytestmark = pytest.mark.docker

# A lab's image whose command serves on every address.
SERVING = {
    "Dockerfile": """
        FROM python:3.11-slim
        COPY server.py /server.py
        CMD ["python", "/server.py"]
    """,
    "server.py": SERVER,
}

NON_ROOT = {
    "id": "non-root-user",
    "kind": "command",
    "argv": ["id", "-u"],
    "expect": "output-not",
    "value": "0",
    "title": "Not root",
    "hint": "Create the user before USER.",
}
FIXED_DOCKERFILE = """
    FROM python:3.11-slim
    ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 APP_ENV=staging
    WORKDIR /srv/app
    COPY requirements.txt ./
    RUN pip install --no-cache-dir -r requirements.txt
    RUN useradd --no-log-init --uid 20000 web
    COPY --chown=web:web . .
    USER web
    EXPOSE 5000
    CMD ["python", "app.py"]
"""
FIXED_IGNORE = """
    .git
    .env
    .venv
    __pycache__
    **/__pycache__
    **/*.pyc
"""


@pytest.fixture(scope="module")
def lab() -> Lab:
    return find_lab("phase2-image-design")


def run_mini(
    tmp_path: Path,
    files: dict[str, str],
    *,
    build_checks: list[dict[str, Any]] | None = None,
    host_port: int | None = None,
) -> LabReport:
    """Check a small context with a small lab; the report."""
    folder = tmp_path / "mini"
    write_context(folder / "app", files)
    mini = load_lab(write_mini_lab(folder, build_checks))
    return check_workspace(
        mini, folder / "app", on_event=lambda e: None, host_port=host_port
    )


def test_the_guided_run_passes_every_check(lab: Lab) -> None:
    asked: list[Question] = []
    events: list[Event] = []

    def predict(question: Question) -> str:
        asked.append(question)
        return "appuser" if question.check_id == "runtime-identity" else "skip"

    report = run_guided(lab, predict=predict, on_event=events.append)

    failing = [
        (r.check_id, r.status.value, r.seen)
        for r in report.results
        if r.status is not Status.PASS
    ]
    assert failing == []
    assert [r.check_id for r in report.results] == [c.id for c in lab.checks()]
    assert report.result("runtime-identity").prediction == "appuser"
    assert report.result("runtime-identity").seen.startswith("whoami -> appuser")
    assert report.result("non-root-user").seen == "id -u -> 10001"
    assert "same image id" in report.result("rebuild-all-cached").seen
    assert "'pip install" in report.result("code-edit-reuses-deps").seen
    assert {q.check_id for q in asked} >= {"runtime-identity", "code-edit-reuses-deps"}

    steps = [e.index for e in events if isinstance(e, StepStarted)]
    assert steps == list(range(1, len(lab.steps) + 1))
    log = [e.line for e in events if isinstance(e, BuildLine)]
    assert any(line.startswith("Step 1/") for line in log)
    assert " ---> Using cache" in log
    done = [e.result.check_id for e in events if isinstance(e, CheckDone)]
    assert done == [r.check_id for r in report.results]


def test_two_runs_at_once_take_turns_and_both_pass(lab: Lab) -> None:
    # Each run's cleanup removes the intermediate images its builds made; a run
    # building beside it took those as its cache, so its rebuild used to miss.
    cache_checks = {"rebuild-all-cached", "code-edit-reuses-deps"}
    events: list[list[Event]] = [[], []]
    reports: list[LabReport] = []

    def one_run(seen: list[Event]) -> None:
        report = run_guided(
            lab, predict=lambda q: "skip", on_event=seen.append, only=cache_checks
        )
        reports.append(report)

    threads = [threading.Thread(target=one_run, args=(seen,)) for seen in events]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)

    assert len(reports) == 2
    for report in reports:
        statuses = {r.check_id: r.status for r in report.results}
        assert statuses == dict.fromkeys(cache_checks, Status.PASS)
    waited = [
        any(isinstance(e, Notice) and "waiting for it" in e.message for e in seen)
        for seen in events
    ]
    assert sorted(waited) == [False, True]


def test_a_run_waiting_for_its_turn_can_be_cancelled(lab: Lab) -> None:
    events: list[Event] = []
    with (
        FileLock(BUILD_LOCK),
        pytest.raises(LabCancelledError, match="while it waited"),
    ):
        run_guided(
            lab,
            predict=lambda q: "skip",
            on_event=events.append,
            only={"rebuild-all-cached"},
            cancelled=lambda: bool(events),
        )

    assert [type(e) for e in events] == [Notice]
    assert "Another lab run is building" in cast(Notice, events[0]).message


def test_the_challenge_as_written_fails_statically_and_names_the_missing_base(
    lab: Lab, tmp_path: Path, docker_client: docker.DockerClient
) -> None:
    write_challenge(lab, tmp_path / "fix-me")
    report = check_workspace(lab, tmp_path / "fix-me", on_event=lambda e: None)

    failed = {r.check_id for r in report.results if r.status is Status.FAIL}
    assert failed == {
        "base-pinned-slim",
        "deps-before-code",
        "pip-no-cache",
        "user-set",
        "dockerignore-static",
    }
    for check_id in failed:
        result = report.result(check_id)
        assert result.hint and result.seen
    assert "'latest'" in report.result("base-pinned-slim").seen
    assert (
        report.result("user-set").seen
        == "no USER instruction, so the container runs as root"
    )
    try:
        docker_client.images.get("python:latest")
    except docker.errors.ImageNotFound:
        build = report.result("image-builds")
        assert build.status is Status.CANNOT
        assert build.seen.startswith(
            "base image python:latest is not available locally"
        )


def test_the_challenge_with_only_its_base_fixed_fails_the_engine_checks(
    lab: Lab, tmp_path: Path
) -> None:
    workspace = tmp_path / "fix-me"
    write_challenge(lab, workspace)
    dockerfile = workspace / "Dockerfile"
    dockerfile.write_text(
        dockerfile.read_text().replace("python:latest", "python:3.11-slim")
    )

    report = check_workspace(lab, workspace, on_event=lambda e: None)

    assert report.result("image-builds").status is Status.PASS
    failed = {r.check_id for r in report.results if r.status is Status.FAIL}
    assert {
        "env-in-config",
        "non-root-user",
        "runtime-identity",
        "code-edit-reuses-deps",
        "dockerignore-keeps-out",
    } <= failed
    assert report.result("non-root-user").seen == "id -u -> 0"
    assert report.result("runtime-identity").seen.startswith("whoami -> root")
    edit = report.result("code-edit-reuses-deps").seen
    assert "the edit re-ran 'pip install -r requirements.txt'" in edit
    leaked = report.result("dockerignore-keeps-out").seen
    for name in (".git", ".env", ".venv", "pkg/__pycache__"):
        assert name in leaked
    # The pip cache rule needs the Dockerfile: the image alone may show no cache.
    assert report.result("pip-no-cache").status is Status.FAIL
    assert report.result("answers-on-port").status is Status.PASS


def test_a_fixed_challenge_passes_every_check(lab: Lab, tmp_path: Path) -> None:
    workspace = tmp_path / "fix-me"
    write_challenge(lab, workspace)
    write_context(
        workspace, {"Dockerfile": FIXED_DOCKERFILE, ".dockerignore": FIXED_IGNORE}
    )

    report = check_workspace(lab, workspace, on_event=lambda e: None)

    failing = [
        (r.check_id, r.seen) for r in report.results if r.status is not Status.PASS
    ]
    assert failing == []
    assert report.result("non-root-user").seen == "id -u -> 20000"
    assert "web:web" in report.result("app-files-owned").seen


def test_a_container_that_exits_at_once_fails_with_its_exit_code(
    tmp_path: Path,
) -> None:
    files = {
        "Dockerfile": """
            FROM python:3.11-slim
            CMD ["python", "-c", "import sys; print('bad config'); sys.exit(3)"]
        """,
        "server.py": "",
    }
    report = run_mini(tmp_path, files)
    result = report.result("answers-on-port")
    assert result.status is Status.FAIL
    assert result.seen == "the container exited with code 3 at once (bad config)"
    assert result.hint == "Listen on 0.0.0.0."


def test_a_server_bound_to_localhost_inside_is_recognised(tmp_path: Path) -> None:
    files = {
        "Dockerfile": """
            FROM python:3.11-slim
            COPY server.py /server.py
            CMD ["python", "/server.py", "127.0.0.1"]
        """,
        "server.py": SERVER,
    }
    result = run_mini(tmp_path, files).result("answers-on-port")
    assert result.status is Status.FAIL
    assert result.seen.startswith("the server listens on 127.0.0.1:5000 inside")


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_a_host_port_already_in_use_cannot_be_checked(
    tmp_path: Path, busy_port: int
) -> None:
    result = run_mini(tmp_path, SERVING, host_port=busy_port).result("answers-on-port")
    assert result.status is Status.CANNOT
    assert result.seen.startswith(f"host port {busy_port} is already in use")


def test_a_server_on_all_addresses_answers(tmp_path: Path) -> None:
    result = run_mini(tmp_path, SERVING).result("answers-on-port")
    assert result.status is Status.PASS
    assert '{"status": "ok"}' in result.seen


def test_a_failing_build_step_fails_and_leaves_no_image(
    tmp_path: Path, docker_client: docker.DockerClient
) -> None:
    before = {image.id for image in docker_client.images.list(all=True)}
    files = {
        "Dockerfile": """
            FROM python:3.11-slim
            ENV STAGE=one
            RUN echo building > /built.txt
            RUN exit 3
        """,
        "server.py": "",
    }
    report = run_mini(tmp_path, files, build_checks=[NON_ROOT])

    build = report.result("image-builds")
    assert build.status is Status.FAIL
    assert "'RUN exit 3'" in build.seen and "non-zero code: 3" in build.seen
    assert report.result("non-root-user").status is Status.CANNOT
    assert report.result("answers-on-port").status is Status.CANNOT
    # The steps that worked left intermediate images with no label; they are gone too.
    assert {image.id for image in docker_client.images.list(all=True)} == before


def test_ctrl_c_in_the_middle_of_a_build_leaves_nothing_behind(
    tmp_path: Path, docker_client: docker.DockerClient
) -> None:
    before = {image.id for image in docker_client.images.list(all=True)}
    folder = tmp_path / "mini"
    write_context(
        folder / "app",
        {
            # A step no cache can answer, slow enough to be interrupted inside.
            "Dockerfile": f"""
                FROM python:3.11-slim
                RUN echo {uuid.uuid4()} > /first.txt
                RUN sleep 5
            """,
            "server.py": "",
        },
    )
    mini = load_lab(write_mini_lab(folder, [NON_ROOT]))
    steps_seen: list[str] = []

    def interrupt_in_the_sleep(event: Event) -> None:
        if isinstance(event, BuildLine) and "Running in" in event.line:
            steps_seen.append(event.line)
            if len(steps_seen) == 2:  # the RUN sleep step's container has started
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        check_workspace(mini, folder / "app", on_event=interrupt_in_the_sleep)

    running = [line.split()[-1] for line in steps_seen]
    left = {c.id[:12] for c in docker_client.containers.list(all=True)}
    assert not left & {cid[:12] for cid in running}
    assert {image.id for image in docker_client.images.list(all=True)} == before


def test_a_dockerfile_the_builder_cannot_parse_fails_the_build(tmp_path: Path) -> None:
    files = {"Dockerfile": "FROM python:3.11-slim\nCOPPY . .\n", "server.py": ""}
    build = run_mini(tmp_path, files).result("image-builds")
    assert build.status is Status.FAIL
    assert "coppy" in build.seen.lower()


def test_user_named_but_never_created_fails_at_run_time(tmp_path: Path) -> None:
    files = {
        "Dockerfile": """
            FROM python:3.11-slim
            COPY server.py /server.py
            USER appuser
            CMD ["python", "/server.py"]
        """,
        "server.py": SERVER,
    }
    report = run_mini(tmp_path, files, build_checks=[NON_ROOT])
    assert report.result("image-builds").status is Status.PASS
    user = report.result("non-root-user")
    assert user.status is Status.FAIL
    assert "unable to find user appuser" in user.seen
    assert report.result("answers-on-port").status is Status.FAIL


def test_touch_reuses_every_layer_and_a_content_change_does_not(
    engine: Engine, tmp_path: Path
) -> None:
    context = write_context(
        tmp_path / "ctx",
        {
            "Dockerfile": "FROM python:3.11-slim\nCOPY app.py /app.py\n",
            "app.py": "x = 1\n",
        },
    )
    first = engine.build(context, f"sreflash-test-{engine.token}:a")
    os.utime(context / "app.py", (1, 1))
    touched = engine.build(context, f"sreflash-test-{engine.token}:a")
    (context / "app.py").write_text("x = 2\n")
    edited = engine.build(context, f"sreflash-test-{engine.token}:a")

    assert first.ok and touched.ok and edited.ok
    assert touched.image_id == first.image_id
    assert "COPY app.py /app.py" in touched.cached_steps
    assert edited.image_id != first.image_id
    assert "COPY app.py /app.py" not in edited.cached_steps


def test_a_top_level_only_pycache_pattern_lets_nested_caches_into_the_image(
    engine: Engine, tmp_path: Path, lab: Lab
) -> None:
    context = write_context(
        tmp_path / "ctx",
        {
            "Dockerfile": "FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\n",
            ".dockerignore": "__pycache__\n",
            "app.py": "",
            "__pycache__/app.cpython-311.pyc": "x",
            "pkg/__pycache__/mod.cpython-311.pyc": "x",
        },
    )
    built = engine.build(context, f"sreflash-test-{engine.token}:ignore")
    assert built.ok
    subject = Subject(lab, engine=engine, image=engine.image(built.image_id))
    spec = CheckSpec(
        id="dockerignore-keeps-out",
        kind="files",
        title="t",
        hint="h",
        expect="absent-names",
        names=("__pycache__",),
    )
    outcome = evaluate(spec, subject)
    assert outcome.status is Status.FAIL
    assert outcome.seen == "/app in the image holds app/pkg/__pycache__"


def test_lab_clean_removes_leftovers_of_dead_runs_and_spares_live_ones(
    docker_client: docker.DockerClient, tmp_path: Path
) -> None:
    # A run whose process died before its cleanup, as after kill -9.
    owner = f"{socket.gethostname()}:{_dead_pid()}"
    abandoned = Engine(docker_client, "test", owner=owner)
    live = Engine(docker_client, "test")
    # A run of another machine on a shared engine: nobody here can tell if it runs.
    elsewhere = Engine(docker_client, "test", owner="another-machine:4242")
    try:
        for engine in (abandoned, live, elsewhere):
            # A step of its own, so each build leaves an unlabelled intermediate
            # image that no other build takes as its cache.
            dockerfile = f"FROM python:3.11-slim\nRUN echo {uuid.uuid4()} > /r.txt\n"
            context = write_context(tmp_path / engine.token, {"Dockerfile": dockerfile})
            built = engine.build(context, f"sreflash-test-{engine.token}:left")
            image = engine.image(built.image_id)
            assert image is not None
            engine.start(image, 5000, 0)
        # Only the journal remembers the dead run's unlabelled build images.
        intermediate = list(abandoned._produced)
        assert intermediate and abandoned._journal.is_file()

        cleaned = clean_all(docker_client)
        assert cleaned.removed >= 2 and cleaned.spared >= 2
        assert not any(abandoned.image(i) for i in intermediate)
        assert not abandoned._journal.exists()

        def left(engine: Engine) -> bool:
            mine = {"label": f"{RUN_LABEL}={engine.token}"}
            return bool(docker_client.containers.list(all=True, filters=mine))

        gone = {"label": f"{RUN_LABEL}={abandoned.token}"}
        assert not left(abandoned)
        assert not docker_client.images.list(all=True, filters=gone)
        assert left(live) and left(elsewhere)
        assert clean_all(docker_client, other_hosts=True).removed >= 2
        assert left(live) and not left(elsewhere)
    finally:
        for engine in (live, abandoned, elsewhere):
            engine.cleanup()


def _dead_pid() -> int:
    """The pid of a process that has already exited."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_a_copied_workspace_leaves_the_learners_files_untouched(
    lab: Lab, tmp_path: Path
) -> None:
    workspace = tmp_path / "fix-me"
    write_challenge(lab, workspace)
    before = {p: p.read_bytes() for p in workspace.rglob("*") if p.is_file()}
    check_workspace(lab, workspace, on_event=lambda e: None)
    after = {p: p.read_bytes() for p in workspace.rglob("*") if p.is_file()}
    assert after == before
    shutil.rmtree(workspace)


def test_check_reads_the_learners_own_image_and_running_container(
    lab: Lab, engine: Engine
) -> None:
    # What the learner did by hand: build, tag, run with -p HOST:5000.
    name = f"sreflash-test-{engine.token}"
    built = engine.build(lab.context_dir, f"{name}:optimized")
    image = engine.image(built.image_id)
    assert image is not None
    for reference in (
        f"{name}:1.0.0",
        f"{name}:staging",
        f"docker.io/team/{name}:1.0.0",
    ):
        engine.tag(image, reference)
    container = engine.start(image, lab.port, 0)

    report = check_image(
        lab,
        image=f"{name}:optimized",
        container=container.name,
        on_event=lambda e: None,
    )

    statuses = {r.check_id: r.status for r in report.results}
    for check_id in (
        "image-builds",
        "env-in-config",
        "non-root-user",
        "app-files-owned",
        "answers-on-port",
        "runtime-identity",
        "tags-one-image",
        "push-reference",
        "size-vs-phase1",
    ):
        assert statuses[check_id] is Status.PASS, report.result(check_id).seen
    # Nothing was planted in a context sreflash never saw: no proof either way.
    ignored = report.result("dockerignore-keeps-out")
    assert ignored.status is Status.CANNOT and "--workspace" in ignored.seen
    static = report.result("base-pinned-slim")
    assert static.status is Status.CANNOT and "--workspace" in static.seen
    cache = report.result("rebuild-all-cached")
    assert cache.status is Status.CANNOT and "--workspace" in cache.seen
    # The learner's container is read, never stopped or removed.
    container.reload()
    assert container.status == "running"


def test_check_of_a_missing_image_cannot_check_and_says_how_to_fix(lab: Lab) -> None:
    report = check_image(lab, image="sreflash-no-such-image:1", on_event=lambda e: None)
    assert report.failed == 0
    build = report.result("image-builds")
    assert build.status is Status.CANNOT
    assert build.seen.startswith("there is no image sreflash-no-such-image:1")
