"""Running a lab: the guided run, checks of the learner's own work, the challenge.

All three front-end entry points take plain callbacks, so the CLI and the TUI drive
them the same way:

- :func:`run_guided` does every step in a temporary copy of the lab folder, asking
  the learner's prediction before each check;
- :func:`check_workspace` does the same steps on a copy of the learner's folder;
- :func:`check_image` checks an image (and container) the learner made by hand;
- :func:`write_challenge` writes the broken workspace for the learner to fix.

The learner's files are only ever read; everything the engine gets is labelled and
removed at the end, after a failure or Ctrl+C too.
"""

from __future__ import annotations

import logging
import random
import shutil
import tempfile
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import docker
import requests
from docker.errors import APIError, DockerException, NotFound
from docker.models.images import Image

from sreflash.errors import DockerUnavailableError, LabCancelledError, LabError
from sreflash.labs.checks import Subject, evaluate
from sreflash.labs.engine import (
    BuildResult,
    Engine,
    builds_in_turn,
    connect,
    free_port,
)
from sreflash.labs.model import ACTION_NEEDS, CheckSpec, Lab, Step
from sreflash.labs.results import (
    BuildLine,
    CheckDone,
    CheckResult,
    Event,
    LabReport,
    Notice,
    Outcome,
    Question,
    Status,
    StepStarted,
    utc_now,
)
from sreflash.labs.static import Dockerfile, parse_dockerfile

log = logging.getLogger(__name__)

Predict = Callable[[Question], str]
OnEvent = Callable[[Event], None]
Cancelled = Callable[[], bool]
Plan = list[tuple[Step, tuple[CheckSpec, ...]]]

_PORT_TAKEN = ("port is already allocated", "address already in use")


def run_guided(
    lab: Lab,
    *,
    predict: Predict,
    on_event: OnEvent,
    client: docker.DockerClient | None = None,
    only: Collection[str] | None = None,
    cancelled: Cancelled | None = None,
) -> LabReport:
    """Do every step of ``lab`` on a temporary copy of its material.

    Args:
        only: check ids to make; then only the steps those checks need run, and
            the report holds only their results.
        cancelled: asked between steps and checks; when it answers True the run
            stops, removes what it created and raises :class:`LabCancelledError`.

    Raises:
        LabError: ``only`` names a check the lab does not have.
    """
    steps = plan(lab, only)
    with _copy_of(lab.context_dir, shipped=True) as work:
        run = _Run(lab, "guided", work, client, predict, on_event, steps=steps)
        run.cancelled = cancelled or (lambda: False)
        return run.run()


def plan(lab: Lab, only: Collection[str] | None = None) -> Plan:
    """The steps to run and the checks to make after each.

    Every step and check when ``only`` is None; else the steps the named checks
    need (their own step's action and what it depends on) and those checks alone.

    Raises:
        LabError: ``only`` names a check the lab does not have.
    """
    if only is None:
        return [(step, step.checks) for step in lab.steps]
    unknown = sorted(set(only) - {check.id for check in lab.checks()})
    if unknown:
        raise LabError(f"The lab {lab.id!r} has no check {unknown[0]!r}.")

    needed: set[str] = set()
    for step in lab.steps:
        for check in step.checks:
            if check.id in only:
                needed |= _actions_needed(step.action, check)
    return [
        (step, tuple(check for check in step.checks if check.id in only))
        for step in lab.steps
        if step.action in needed
    ]


def _actions_needed(action: str, check: CheckSpec) -> set[str]:
    # A check may read what an earlier step made (a cache check names its step).
    wanted = {action}
    if check.kind == "cache":
        wanted.add(check.after)
    elif check.kind == "probe" or check.container == "running":
        wanted.add("run")
    elif check.kind == "tags":
        wanted.add("tag")
    elif check.expect == "size-not-above-phase1":
        wanted.add("build-phase1")
    if check.kind != "static":
        wanted.add("build")
    closed: set[str] = set()
    for name in wanted:
        while name:
            closed.add(name)
            name = ACTION_NEEDS.get(name, "")
    return closed


def check_workspace(
    lab: Lab,
    workspace: Path,
    *,
    on_event: OnEvent,
    predict: Predict | None = None,
    client: docker.DockerClient | None = None,
    host_port: int | None = None,
) -> LabReport:
    """Do the lab's steps on a copy of the learner's folder ``workspace``.

    Raises:
        LabError: the folder does not exist or holds no Dockerfile.
    """
    if not (workspace / lab.dockerfile).is_file():
        raise LabError(f"{workspace} holds no {lab.dockerfile} to check.")
    with _copy_of(workspace) as work:
        run = _Run(
            lab, "workspace", work, client, predict, on_event, host_port=host_port
        )
        return run.run()


def check_image(
    lab: Lab,
    *,
    on_event: OnEvent,
    image: str | None = None,
    container: str | None = None,
    client: docker.DockerClient | None = None,
) -> LabReport:
    """Check the image and container the learner built and ran by hand."""
    run = _Run(lab, "check", None, client, None, on_event)
    run.image_ref = image or lab.image
    run.container_name = container or lab.container
    run.subject.rebuild_missing = (
        "cache behaviour needs a rebuild: pass --workspace DIR to check it"
    )
    return run.run()


def write_challenge(lab: Lab, target: Path) -> list[Path]:
    """Copy the lab's broken workspace into ``target``; the files written.

    Raises:
        LabError: ``target`` exists and is not an empty folder.
    """
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise LabError(f"{target} is not an empty folder; name a new or empty one.")
    written = []
    try:
        target.mkdir(parents=True, exist_ok=True)
        for source in sorted(lab.challenge_dir.rglob("*")):
            if source.is_file() and not _is_bytecode(source):
                destination = target / source.relative_to(lab.challenge_dir)
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, destination)
                written.append(destination)
    except OSError as error:
        raise LabError(
            f"cannot write the challenge into {target} ({error.strerror}); "
            "name a folder you can write to."
        ) from None
    return written


def _is_bytecode(path: Path) -> bool:
    return path.suffix == ".pyc" or "__pycache__" in path.parts


@contextmanager
def _copy_of(folder: Path, *, shipped: bool = False) -> Iterator[Path]:
    """A temporary copy of ``folder`` to build from.

    ``shipped`` is for the lab material installed with sreflash: pip compiles every
    ``.py`` file it installs, so the installed copy holds ``__pycache__`` folders
    the lab never had; they are left behind. A learner's workspace is copied as it
    is, caches and all, since keeping them out is what its .dockerignore is for.
    """
    if not folder.is_dir():
        raise LabError(f"{folder} is not a folder.")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc") if shipped else None
    with tempfile.TemporaryDirectory(prefix="sreflash-lab-") as temp:
        work = Path(temp) / "context"
        # Symlinks stay links: a learner's link must not pull host files in.
        shutil.copytree(folder, work, symlinks=True, ignore=ignore)
        yield work


class _Run:
    """One run of a lab's steps, filling a :class:`Subject` and a report."""

    def __init__(
        self,
        lab: Lab,
        mode: str,
        work: Path | None,
        client: docker.DockerClient | None,
        predict: Predict | None,
        on_event: OnEvent,
        *,
        host_port: int | None = None,
        steps: Plan | None = None,
    ) -> None:
        self.lab = lab
        self.steps = steps if steps is not None else plan(lab)
        self.cancelled: Cancelled = lambda: False
        self.mode = mode
        self.work = work
        self.client = client
        self.predict = predict
        self.on_event = on_event
        self.host_port = host_port
        self.image_ref = ""
        self.container_name = ""
        self.report = LabReport(lab.id, mode)
        self.subject = Subject(lab)
        self.container_fault = False
        self._last_build = BuildResult()
        self.engine: Engine | None = None

    def run(self) -> LabReport:
        self._read_material()
        try:
            client = self.client or connect()
            self.engine = Engine(client, self.lab.id)
            self.subject.engine = self.engine
        except DockerUnavailableError as error:
            self.subject.engine_missing = str(error)
            self.subject.image_missing = str(error)
            self.on_event(Notice(str(error)))

        # Only runs that build need to take turns; checking an image by hand does not.
        with (
            builds_in_turn(self.cancelled, self._tell_waiting)
            if self.engine is not None and self.work is not None
            else nullcontext()
        ):
            return self._steps()

    def _tell_waiting(self) -> None:
        self.on_event(
            Notice("Another lab run is building on this machine; waiting for it.")
        )

    def _steps(self) -> LabReport:
        try:
            total = len(self.steps)
            for index, (step, checks) in enumerate(self.steps, 1):
                self._stop_if_cancelled()
                self.on_event(StepStarted(step.id, step.title, step.text, index, total))
                self._act(step)
                for spec in checks:
                    self._stop_if_cancelled()
                    prediction = self._ask(spec.id, spec.question, spec.choices)
                    outcome = self._evaluate(spec)
                    result = CheckResult(
                        check_id=spec.id,
                        title=spec.title,
                        status=outcome.status,
                        seen=outcome.seen,
                        hint=outcome.hint
                        or (spec.hint if outcome.status is Status.FAIL else ""),
                        prediction=prediction,
                    )
                    self.report.results.append(result)
                    self.on_event(CheckDone(result))
        finally:
            # Ctrl+C lands here too: nothing of this run may stay on the engine.
            if self.engine is not None:
                try:
                    removed = self.engine.cleanup()
                    log.info("removed %d containers and images", removed)
                except (DockerException, OSError) as error:
                    log.warning("cleanup failed: %s", error)
            self.report.finished_at = utc_now()
        return self.report

    def _stop_if_cancelled(self) -> None:
        # Only between steps: a build cut off mid-stream could leave images the
        # cleanup never learnt about.
        if self.cancelled():
            raise LabCancelledError(
                "The lab run was cancelled; what it had created was removed."
            )

    def _evaluate(self, spec: CheckSpec) -> Outcome:
        outcome = evaluate(spec, self.subject)
        # A container that could not start because of the image is the image's fault.
        if (
            outcome.status is Status.CANNOT
            and self.container_fault
            and (spec.kind == "probe" or spec.container == "running")
        ):
            return Outcome(Status.FAIL, outcome.seen)
        return outcome

    def _ask(self, check_id: str, text: str, choices: tuple[str, ...]) -> str:
        if not text or self.predict is None:
            return ""
        return self.predict(Question(check_id, text, choices)).strip()

    def _read_material(self) -> None:
        if self.work is None:
            self.subject.dockerfile_missing = (
                "no Dockerfile to read; pass --workspace DIR to check one"
            )
            return
        dockerfile = self.work / self.lab.dockerfile
        ignore = self.work / ".dockerignore"
        self.subject.dockerfile = parse_dockerfile(
            dockerfile.read_text(encoding="utf-8", errors="replace")
        )
        self.subject.dockerignore = (
            ignore.read_text(encoding="utf-8", errors="replace")
            if ignore.is_file()
            else None
        )

    # Actions

    def _act(self, step: Step) -> None:
        engine = self.subject.engine
        if engine is None or step.action == "inspect":
            return
        actions = {
            "build": self._build,
            "rebuild": self._rebuild,
            "edit-code": self._edit_code,
            "plant-junk": self._plant_junk,
            "build-phase1": self._build_phase1,
            "run": self._start,
            "tag": self._tag,
        }
        try:
            if self.mode == "check":
                self._act_on_existing(step, engine)
            else:
                actions[step.action](engine)
        except (DockerException, requests.exceptions.RequestException) as error:
            # The engine went away mid-run: what follows cannot be checked.
            log.warning("step %s: engine error %r", step.id, error)
            reason = f"the Docker engine stopped answering ({error})"
            self.subject.engine = None
            self.subject.engine_missing = reason
            self._no_image(Outcome(Status.CANNOT, reason))

    def _build(self, engine: Engine) -> None:
        assert self.work is not None and self.subject.dockerfile is not None
        dockerfile = self.subject.dockerfile
        if dockerfile.unsupported:
            self._no_image(Outcome(Status.CANNOT, dockerfile.unsupported))
            return
        bases = _base_images(dockerfile)
        missing = [base for base in bases if engine.image(base) is None]
        if missing:
            # Never pull: say what is missing and how to get it.
            self._no_image(
                Outcome(
                    Status.CANNOT,
                    f"base image {missing[0]} is not available locally; "
                    f"run `docker pull {missing[0]}` first",
                )
            )
            return
        self.subject.base = engine.image(bases[-1]) if bases else None

        started = time.monotonic()
        image = self._build_image(engine, self.work, self._tag_name("build"))
        if image is None:
            return
        self.subject.image = image
        self.subject.build_outcome = Outcome(
            Status.PASS,
            f"built {image.id[7:19]} in {time.monotonic() - started:.1f}s",
        )

    def _no_image(self, outcome: Outcome) -> None:
        self.subject.build_outcome = outcome
        self.subject.image_missing = f"no image: {outcome.seen}"
        self.subject.container_missing = self.subject.image_missing
        self.subject.phase1_missing = self.subject.image_missing
        self.subject.tags_missing = self.subject.image_missing

    def _build_image(
        self, engine: Engine, context: Path, tag: str, *, dockerfile: str | None = None
    ) -> Image | None:
        result = engine.build(
            context,
            tag,
            dockerfile=dockerfile or self.lab.dockerfile,
            on_line=lambda line: self.on_event(BuildLine(line)),
        )
        self._last_build = result
        if not result.ok:
            where = f" at {result.failed_step!r}" if result.failed_step else ""
            self._no_image(
                Outcome(Status.FAIL, f"the build failed{where}: {result.error}")
            )
            self.subject.image = None
            return None
        image = engine.image(result.image_id)
        if image is None:
            self._no_image(Outcome(Status.CANNOT, "the built image vanished"))
        return image

    def _rebuild_snapshots(self, engine: Engine, key: str) -> None:
        assert self.work is not None
        if self.subject.image is None:
            return
        before = engine.snapshot(self.subject.image)
        image = self._build_image(engine, self.work, self._tag_name("build"))
        if image is not None:
            self.subject.image = image
            self.subject.snapshots[key] = (before, engine.snapshot(image))
            # Our own build, always the classic builder: its log is a faithful
            # record of which steps came from the cache (FROM steps never do).
            built = self._last_build
            froms = sum(step.upper().startswith("FROM ") for step in built.steps)
            cacheable = len(built.steps) - froms
            self.subject.rebuild_steps[key] = (cacheable, len(built.cached_steps))

    def _rebuild(self, engine: Engine) -> None:
        self._rebuild_snapshots(engine, "rebuild")

    def _edit_code(self, engine: Engine) -> None:
        assert self.work is not None
        target = self.work / self.lab.edit_file
        if not target.is_file():
            self.on_event(Notice(f"{self.lab.edit_file} is missing: nothing to edit"))
            return
        # A real content change: touching the file would leave every cache key as is.
        with target.open("a", encoding="utf-8") as handle:
            handle.write(self.lab.edit_append)
        self.on_event(Notice(f"changed the content of {self.lab.edit_file}"))
        self._rebuild_snapshots(engine, "edit-code")

    def _plant_junk(self, engine: Engine) -> None:
        assert self.work is not None
        self._plant(self.work)
        self.subject.planted = True
        self.on_event(Notice(f"planted {', '.join(p.path for p in self.lab.plant)}"))
        self._rebuild_snapshots(engine, "plant-junk")

    def _plant(self, folder: Path) -> None:
        plant_files(self.lab, folder)

    def _build_phase1(self, engine: Engine) -> None:
        if self.subject.image is None:
            return
        phase1 = self.lab.folder / self.lab.phase1
        bases = _base_images(parse_dockerfile(phase1.read_text(encoding="utf-8")))
        base = engine.image(bases[-1]) if bases else None
        if base is None:
            self.subject.phase1_missing = (
                f"the Phase 1 base image {bases[-1] if bases else '(none)'} is not "
                "available locally"
            )
            return
        # Sizes are shown relative to the Phase 1 base: the lab's reference point.
        self.subject.base = base

        with _copy_of(self.lab.context_dir, shipped=True) as context:
            # Phase 1 had no .dockerignore, and a working folder full of junk.
            (context / ".dockerignore").unlink(missing_ok=True)
            self._plant(context)
            shutil.copyfile(phase1, context / "Dockerfile.phase1")
            result = engine.build(
                context,
                self._tag_name("phase1"),
                dockerfile="Dockerfile.phase1",
                on_line=lambda line: self.on_event(BuildLine(line)),
            )
        if result.ok:
            self.subject.phase1 = engine.image(result.image_id)
        else:
            self.subject.phase1_missing = (
                f"the Phase 1 image did not build: {result.error}"
            )

    def _start(self, engine: Engine) -> None:
        if self.subject.image is None:
            return
        port = self.host_port or free_port()
        for attempt in range(2):
            try:
                container = engine.start(self.subject.image, self.lab.port, port)
            except APIError as error:
                message = str(error.explanation or error)
                taken = any(text in message for text in _PORT_TAKEN)
                if taken and self.host_port is None and attempt == 0:
                    port = free_port()  # lost a race for the port: take another
                    continue
                if taken:
                    self.subject.container_missing = (
                        f"host port {port} is already in use; stop what uses it "
                        "or choose another port"
                    )
                else:
                    self.container_fault = True
                    self.subject.container_missing = (
                        f"the container cannot start: {message}"
                    )
                return
            self.subject.container = container
            self.subject.host_port = port
            self.on_event(
                Notice(f"started {container.name}, published on 127.0.0.1:{port}")
            )
            return

    def _tag(self, engine: Engine) -> None:
        image = self.subject.image
        if image is None:
            return
        tags = self.lab.tags
        wanted = [
            f"{tags.repository}:{tags.version}",
            f"{tags.repository}:{tags.environment}",
            tags.push,
        ]
        # Never move a tag the learner already has: use a run-specific name then.
        if any(engine.image(reference) is not None for reference in wanted):
            suffix = f"-sreflash-{engine.token}"
            wanted = [
                _with_repository_suffix(reference, suffix) for reference in wanted
            ]
        for reference in wanted:
            engine.tag(image, reference)
        self.subject.references = wanted
        self.on_event(Notice(f"tagged {image.id[7:19]} as {', '.join(wanted)}"))

    def _tag_name(self, kind: str) -> str:
        assert self.subject.engine is not None
        return f"sreflash-{self.lab.id}-{self.subject.engine.token}:{kind}"

    # The learner's own image and container

    def _act_on_existing(self, step: Step, engine: Engine) -> None:
        if step.action == "build":
            image = engine.image(self.image_ref)
            if image is None:
                self._no_image(
                    Outcome(
                        Status.CANNOT,
                        f"there is no image {self.image_ref}; build it as the lab "
                        "says or name yours with --image",
                    )
                )
                return
            self.subject.image = image
            self.subject.build_outcome = Outcome(
                Status.PASS, f"found {self.image_ref} ({image.id[7:19]})"
            )
            self.subject.tags_missing = f"{self.image_ref} has no tags"
            self.subject.dockerfile_missing = (
                "no Dockerfile to read; pass --workspace DIR to check one"
            )
        elif step.action == "build-phase1":
            self._build_phase1(engine)
        elif step.action == "run":
            self._find_container(engine)
        elif step.action in ("rebuild", "edit-code"):
            pass  # the cache checks say they need a workspace

    def _find_container(self, engine: Engine) -> None:
        try:
            container = engine.client.containers.get(self.container_name)
        except NotFound:
            self.on_event(Notice(f"no container {self.container_name}; starting one"))
            self._start(engine)
            return
        if container.status != "running":
            self.subject.container_missing = (
                f"container {self.container_name} is {container.status}; start it "
                "as the lab says"
            )
            return
        bindings = (container.attrs["NetworkSettings"].get("Ports") or {}).get(
            f"{self.lab.port}/tcp"
        ) or []
        self.subject.container = container
        if not bindings:
            self.subject.container_missing = (
                f"container {self.container_name} publishes no port for {self.lab.port}"
            )
            self.container_fault = True
            self.subject.container = None
            return
        self.subject.host_port = int(bindings[0]["HostPort"])


def plant_files(lab: Lab, folder: Path) -> None:
    """Plant the lab's junk files in ``folder``.

    The bytes are the same on every run (seeded by the path), so a context with junk
    keeps its build cache from one run to the next, yet does not compress away.
    """
    for planted in lab.plant:
        path = folder / planted.path
        path.parent.mkdir(parents=True, exist_ok=True)
        noise = random.Random(planted.path).randbytes(planted.size)
        path.write_bytes(b"planted by sreflash\n" + noise)


def _base_images(dockerfile: Dockerfile) -> list[str]:
    aliases = set(dockerfile.stage_bases())
    bases = []
    for ins in dockerfile.instructions:
        if ins.name != "FROM" or not ins.operands():
            continue
        image = ins.operands()[0]
        if image.lower() in aliases or image == "scratch" or "$" in image:
            continue
        if ":" not in image.split("/")[-1] and "@" not in image:
            image += ":latest"
        bases.append(image)
    return bases


def _with_repository_suffix(reference: str, suffix: str) -> str:
    name, sep, tag = reference.rpartition(":")
    if "/" in tag or not sep:
        return reference + suffix
    return f"{name}{suffix}:{tag}"
