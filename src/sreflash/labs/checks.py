"""The check kinds: each turns a check of the lab file into an :class:`Outcome`.

Checks read artifacts (the Dockerfile, the image config, its layers and files, a
container's answers), never build logs. Whatever the engine cannot tell, because it
stopped or because an earlier step did not happen, is ``CANNOT`` with the reason:
a learner is never marked wrong for the engine's sake.
"""

from __future__ import annotations

import json
import logging
import re
import stat
import tarfile
from collections.abc import Callable
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import PurePosixPath

import requests
from docker.errors import DockerException
from docker.models.containers import Container
from docker.models.images import Image

from sreflash.labs.engine import CommandResult, Engine, Snapshot
from sreflash.labs.model import CheckSpec, Lab
from sreflash.labs.results import Outcome, Status
from sreflash.labs.static import Dockerfile, check_rule

log = logging.getLogger(__name__)

SECRET_KEY = re.compile(
    r"(PASSW(OR)?D|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL|ACCESS_?KEY)",
    re.IGNORECASE,
)
SEMVER = re.compile(r"^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$")
ENVIRONMENTS = ("dev", "test", "qa", "staging", "stage", "prod", "production")
MB = 1_000_000


@dataclass
class Subject:
    """What a run has learnt so far: the material and the engine's objects.

    The runner fills this in as its steps run; checks only read it. An empty field
    with its ``*_missing`` reason set means the thing could not be had.
    """

    lab: Lab
    engine: Engine | None = None
    engine_missing: str = ""
    dockerfile: Dockerfile | None = None
    dockerfile_missing: str = "no Dockerfile to read"
    dockerignore: str | None = None
    image: Image | None = None
    image_missing: str = "no image was built"
    build_outcome: Outcome | None = None
    snapshots: dict[str, tuple[Snapshot, Snapshot]] = field(default_factory=dict)
    # Per rebuild: how many of its steps could come from the cache, and how many
    # did, as the builder's log says.
    rebuild_steps: dict[str, tuple[int, int]] = field(default_factory=dict)
    phase1: Image | None = None
    phase1_missing: str = "the Phase 1 image was not built"
    base: Image | None = None
    container: Container | None = None
    container_missing: str = "no container was started"
    host_port: int | None = None
    references: list[str] = field(default_factory=list)
    tags_missing: str = "the image was not tagged"
    runtime_uid: int | None = None
    rebuild_missing: str = ""
    planted: bool = False
    """Whether junk was planted in the build context before the last build."""


Check = Callable[[CheckSpec, Subject], Outcome]


def evaluate(spec: CheckSpec, subject: Subject) -> Outcome:
    """Make one check; engine failures become ``CANNOT``, never ``FAIL``."""
    if spec.kind == "static":
        if subject.dockerfile is None:
            return Outcome(Status.CANNOT, subject.dockerfile_missing)
        return check_rule(
            spec.rule, subject.dockerfile, subject.dockerignore, spec.names
        )
    if spec.kind == "build":
        return subject.build_outcome or Outcome(Status.CANNOT, subject.image_missing)
    if subject.engine is None:
        return Outcome(Status.CANNOT, subject.engine_missing)
    try:
        return _KINDS[spec.kind](spec, subject)
    except (DockerException, requests.exceptions.RequestException) as error:
        log.warning("check %s: engine error %r", spec.id, error)
        return Outcome(Status.CANNOT, f"the Docker engine stopped answering ({error})")


def _needs_image(subject: Subject) -> tuple[Engine, Image] | Outcome:
    if subject.engine is None:
        return Outcome(Status.CANNOT, subject.engine_missing)
    if subject.image is None:
        return Outcome(Status.CANNOT, subject.image_missing)
    return subject.engine, subject.image


# Image metadata


def metadata(spec: CheckSpec, subject: Subject) -> Outcome:
    """Read the image config: env, cmd, ports, size."""
    needed = _needs_image(subject)
    if isinstance(needed, Outcome):
        return needed
    _, image = needed
    config = image.attrs.get("Config") or {}
    env = dict(item.partition("=")[::2] for item in config.get("Env") or [])

    if spec.expect == "env-present":
        missing = [name for name in spec.names if name not in env]
        if missing:
            return Outcome(Status.FAIL, f"the image config has no {', '.join(missing)}")
        found = ", ".join(f"{name}={env[name]}" for name in spec.names)
        return Outcome(Status.PASS, f"the image config sets {found}")

    if spec.expect == "no-secret-env":
        secret = sorted(name for name in env if SECRET_KEY.search(name))
        if secret:
            return Outcome(
                Status.FAIL,
                f"the image config holds {', '.join(secret)}: anyone who pulls "
                "the image can read them with docker inspect",
            )
        return Outcome(Status.PASS, f"none of {len(env)} ENV keys looks like a secret")

    if spec.expect == "cmd-exec-form":
        cmd = list(config.get("Cmd") or [])
        entrypoint = list(config.get("Entrypoint") or [])
        command = entrypoint or cmd
        if not command:
            return Outcome(Status.FAIL, "the image has no CMD nor ENTRYPOINT")
        if command[:2] == ["/bin/sh", "-c"]:
            return Outcome(
                Status.FAIL,
                f"the command runs through a shell ({json.dumps(command)}), so the "
                "app is not PID 1 and never gets SIGTERM",
            )
        return Outcome(Status.PASS, f"the command is exec form: {json.dumps(command)}")

    if spec.expect == "port-exposed":
        ports = sorted((config.get("ExposedPorts") or {}).keys())
        wanted = f"{subject.lab.port}/tcp"
        if wanted not in ports:
            shown = ", ".join(ports) or "none"
            return Outcome(Status.FAIL, f"the image exposes {shown}, not {wanted}")
        return Outcome(Status.PASS, f"the image exposes {', '.join(ports)}")

    return size_not_above_phase1(image, subject)


def size_not_above_phase1(image: Image, subject: Subject) -> Outcome:
    """Compare what each image adds over its base, on this same engine."""
    if subject.phase1 is None:
        return Outcome(Status.CANNOT, subject.phase1_missing)
    if subject.base is None:
        return Outcome(Status.CANNOT, "the base image is not available locally")
    # Sizes are only comparable on one engine: newer ones count compressed data too.
    base = int(subject.base.attrs.get("Size", 0))
    ours = int(image.attrs.get("Size", 0)) - base
    theirs = int(subject.phase1.attrs.get("Size", 0)) - base
    seen = (
        f"this image adds {ours / MB:.1f} MB to its base, the Phase 1 image "
        f"adds {theirs / MB:.1f} MB"
    )
    # A few hundred kilobytes either way is noise (timestamps, pip metadata), not
    # a design difference worth failing the learner for.
    slack = max(theirs // 100, MB // 2)
    return Outcome(Status.PASS if ours <= theirs + slack else Status.FAIL, seen)


# Files inside the image


def files(spec: CheckSpec, subject: Subject) -> Outcome:
    """Read the image's files from a created, never started, container."""
    needed = _needs_image(subject)
    if isinstance(needed, Outcome):
        return needed
    engine, image = needed
    workdir = (image.attrs.get("Config") or {}).get("WorkingDir") or "/"
    root = workdir if spec.root == "workdir" else spec.root

    if spec.expect == "absent-paths":
        found = []
        for pattern in spec.names:
            found += _matching_files(engine, image, pattern)
        if found:
            return Outcome(Status.FAIL, f"the image holds {_some(found)}")
        return Outcome(
            Status.PASS, f"the image holds nothing under {', '.join(spec.names)}"
        )

    entries = engine.read_tree(image, root)
    if entries is None:
        return Outcome(Status.FAIL, f"the image has no {root}")
    if spec.expect == "absent-names":
        found = [
            entry.name
            for entry in entries
            if any(
                fnmatch(part, name)
                for part in PurePosixPath(entry.name).parts
                for name in spec.names
            )
        ]
        # Report each unwanted folder once, not every file inside it.
        tops = sorted({_first_match(path, spec.names) for path in found})
        if tops:
            return Outcome(Status.FAIL, f"{root} in the image holds {_some(tops)}")
        if not subject.planted:
            # An image built from a clean folder holds no junk whatever its
            # .dockerignore says: a pass here would prove nothing.
            return Outcome(
                Status.CANNOT,
                f"none of {', '.join(spec.names)} is in {root}, but nothing was "
                "planted in the build context; `sreflash lab check --workspace DIR` "
                "plants them and proves it",
            )
        return Outcome(
            Status.PASS,
            f"none of {', '.join(spec.names)} is in {root} "
            f"({len(entries)} entries read)",
        )
    return readable_by_user(entries, root, engine, image, subject)


def _matching_files(engine: Engine, image: Image, pattern: str) -> list[str]:
    parts = PurePosixPath(pattern).parts
    fixed = [
        p
        for p in parts[: next((i for i, p in enumerate(parts) if "*" in p), len(parts))]
    ]
    top = str(PurePosixPath(*fixed)) if fixed else "/"
    entries = engine.read_tree(image, top)
    if not entries:
        return []
    parent = str(PurePosixPath(top).parent)
    hits = []
    for entry in entries:
        path = str(PurePosixPath(parent) / entry.name)
        # A cache folder that exists but holds no file bakes nothing in.
        if entry.isfile() and (fnmatch(path, pattern + "/*") or fnmatch(path, pattern)):
            hits.append(path)
    return hits


def _first_match(path: str, names: tuple[str, ...]) -> str:
    parts = PurePosixPath(path).parts
    for index, part in enumerate(parts):
        if any(fnmatch(part, name) for name in names):
            return str(PurePosixPath(*parts[: index + 1]))
    return path


def _some(items: list[str], limit: int = 5) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def readable_by_user(
    entries: list[tarfile.TarInfo],
    root: str,
    engine: Engine,
    image: Image,
    subject: Subject,
) -> Outcome:
    """The runtime user can read every app file, and nobody else can write one."""
    uid = subject.runtime_uid
    if uid is None:
        answer = engine.run_once(image, ["id", "-u"])
        if answer.problem or not answer.output.strip().isdigit():
            return Outcome(
                Status.CANNOT,
                f"the image's user cannot be told ({answer.problem or answer.output})",
            )
        uid = int(answer.output.strip())
    files_only = [e for e in entries if e.isfile()]
    unreadable = [e.name for e in files_only if not _readable(e, uid)]
    writable = [e.name for e in files_only if e.mode & stat.S_IWOTH]
    owners = sorted({f"{e.uname or e.uid}:{e.gname or e.gid}" for e in files_only})
    if unreadable:
        return Outcome(Status.FAIL, f"user {uid} cannot read {_some(unreadable)}")
    if writable:
        return Outcome(Status.FAIL, f"anyone can write {_some(writable)}")
    return Outcome(
        Status.PASS,
        f"{len(files_only)} files in {root}, owned by {', '.join(owners) or 'nobody'}, "
        f"readable by user {uid}",
    )


def _readable(entry: tarfile.TarInfo, uid: int) -> bool:
    if uid == 0:
        return True
    if entry.uid == uid:
        return bool(entry.mode & stat.S_IRUSR)
    # Group membership is not known here; only "others" can be relied on.
    return bool(entry.mode & stat.S_IROTH)


# Commands in a container


def command(spec: CheckSpec, subject: Subject) -> Outcome:
    """Run the check's command and compare its output."""
    needed = _needs_image(subject)
    if isinstance(needed, Outcome):
        return needed
    engine, image = needed

    def run(argv: tuple[str, ...]) -> CommandResult:
        if spec.container == "running":
            assert subject.container is not None
            return engine.exec(subject.container, list(argv))
        return engine.run_once(image, list(argv))

    if spec.container == "running" and subject.container is None:
        return Outcome(Status.CANNOT, subject.container_missing)
    answer = run(spec.argv)
    shown = " ".join(spec.argv)
    if answer.problem:
        # "unable to find user": USER names an account the image never created.
        if (
            "unable to find user" in answer.problem
            or "no matching entries" in answer.problem
        ):
            return Outcome(Status.FAIL, f"the container cannot start: {answer.problem}")
        return Outcome(Status.CANNOT, f"{shown} could not run: {answer.problem}")
    if answer.exit_code != 0:
        return Outcome(
            Status.FAIL, f"{shown} exited with {answer.exit_code}: {answer.output}"
        )
    extra = [f"{' '.join(argv)} -> {run(argv).output}" for argv in spec.show]
    seen = "; ".join([f"{shown} -> {answer.output}", *extra])
    if answer.output.strip() == spec.value:
        return Outcome(Status.FAIL, seen)
    if spec.argv == ("id", "-u") and answer.output.strip().isdigit():
        subject.runtime_uid = int(answer.output.strip())
    return Outcome(Status.PASS, seen)


# Probes on the running container


def probe(spec: CheckSpec, subject: Subject) -> Outcome:
    """Call the app through its published port; explain why it does not answer."""
    from sreflash.labs.probe import explain_silence, wait_for_http

    if subject.container is None or subject.host_port is None:
        return Outcome(Status.CANNOT, subject.container_missing)
    assert subject.engine is not None
    url = f"http://127.0.0.1:{subject.host_port}{spec.path}"
    answer = wait_for_http(url, subject.engine, subject.container, subject.lab.port)
    if answer.status is None:
        return Outcome(Status.FAIL, explain_silence(answer, subject.lab.port, url))
    if answer.status != spec.status:
        return Outcome(
            Status.FAIL, f"GET {url} answered {answer.status}, not {spec.status}"
        )
    return Outcome(
        Status.PASS, f"GET {url} answered {answer.status}: {answer.body.strip()[:80]}"
    )


# Cache behaviour


def cache(spec: CheckSpec, subject: Subject) -> Outcome:
    """Compare the image's layers and steps before and after a rebuild."""
    pair = subject.snapshots.get(spec.after)
    if pair is None:
        reason = subject.rebuild_missing or f"the {spec.after} step built no image"
        return Outcome(Status.CANNOT, reason)
    before, after = pair
    reused = _common_prefix(before.layers, after.layers)
    layers = f"{reused} of {len(after.layers)} layers reused"

    if spec.expect == "all-reused":
        if before.layers == after.layers and before.image_id == after.image_id:
            return Outcome(
                Status.PASS, f"{layers}, same image id {after.image_id[7:19]}"
            )
        cacheable, cached = subject.rebuild_steps.get(spec.after, (0, 0))
        if cacheable and cached == cacheable:
            # Every step after FROM came from the cache, but from layers another
            # build made at the same time (a second lab run, CI): the design is
            # right, only the layer ids differ.
            return Outcome(
                Status.PASS,
                f"every step after FROM came from the build cache ({layers}: "
                "another build running at the same time supplied the rest)",
            )
        first = _first_changed_step(before, after)
        return Outcome(Status.FAIL, f"{layers}; the rebuild re-ran {first!r}")

    steps_reused = _common_prefix(before.steps, after.steps)
    deps = [
        i for i, (step, _) in enumerate(before.steps) if subject.lab.deps_step in step
    ]
    if not deps:
        return Outcome(
            Status.FAIL, f"no step of the image runs {subject.lab.deps_step!r}"
        )
    if before.image_id == after.image_id:
        return Outcome(
            Status.FAIL, "the edit rebuilt nothing: the code is not in the image"
        )
    first = _first_changed_step(before, after)
    deps_step = before.steps[deps[-1]][0]
    if deps[-1] < steps_reused:
        return Outcome(
            Status.PASS,
            f"{layers}; {deps_step!r} was reused, the first rebuilt step was {first!r}",
        )
    return Outcome(
        Status.FAIL,
        f"{layers}; the edit re-ran {deps_step!r} (first rebuilt step: {first!r})",
    )


def _common_prefix(left: tuple[object, ...], right: tuple[object, ...]) -> int:
    count = 0
    for a, b in zip(left, right, strict=False):
        if a != b:
            break
        count += 1
    return count


def _first_changed_step(before: Snapshot, after: Snapshot) -> str:
    index = _common_prefix(before.steps, after.steps)
    return after.steps[index][0] if index < len(after.steps) else "nothing"


# Tags


def tags(spec: CheckSpec, subject: Subject) -> Outcome:
    """Tags that promote one image, and a push reference that says where it goes."""
    needed = _needs_image(subject)
    if isinstance(needed, Outcome):
        return needed
    engine, image = needed
    references = subject.references or list(image.tags)
    if not references:
        return Outcome(Status.CANNOT, subject.tags_missing)
    if spec.expect == "push-reference":
        return push_reference(references)
    return one_image(engine, image, references)


def one_image(engine: Engine, image: Image, references: list[str]) -> Outcome:
    """A semver tag and an environment tag name the same image id."""
    versions = [r for r in references if SEMVER.match(_tag_of(r))]
    stages = [r for r in references if _tag_of(r) in ENVIRONMENTS]
    if not versions or not stages:
        return Outcome(
            Status.FAIL,
            f"the image's tags are {', '.join(references)}: a version tag and an "
            "environment tag are both needed",
        )
    ids = {}
    for reference in [*versions, *stages]:
        found = engine.image(reference)
        ids[reference] = found.id[7:19] if found is not None else "missing"
    if len({ids[r] for r in ids}) == 1 and image.id[7:19] in ids.values():
        named = " and ".join(ids)
        return Outcome(Status.PASS, f"{named} all name image {image.id[7:19]}")
    return Outcome(
        Status.FAIL, "; ".join(f"{ref} -> {short}" for ref, short in ids.items())
    )


def push_reference(references: list[str]) -> Outcome:
    """One reference names a registry host and a namespace before the repository."""
    for reference in references:
        parts = (
            reference.rpartition(":")[0].split("/")
            if ":" in reference.split("/")[-1]
            else reference.split("/")
        )
        first = parts[0]
        explicit = len(parts) > 1 and (
            "." in first or ":" in first or first == "localhost"
        )
        if explicit and len(parts) >= 3:
            return Outcome(
                Status.PASS,
                f"{reference}: registry {first}, namespace {'/'.join(parts[1:-1])}, "
                f"repository {parts[-1]}",
            )
        if not explicit and len(parts) == 2:
            return Outcome(
                Status.PASS,
                f"{reference}: registry docker.io (implied), namespace {parts[0]}, "
                f"repository {parts[-1]}",
            )
    return Outcome(
        Status.FAIL,
        f"{', '.join(references)} name no registry and namespace, so a push "
        "would go to docker.io/library, which only Docker's official images may use",
    )


def _tag_of(reference: str) -> str:
    last = reference.split("/")[-1]
    return last.partition(":")[2] or "latest"


_KINDS: dict[str, Check] = {
    "metadata": metadata,
    "files": files,
    "command": command,
    "probe": probe,
    "cache": cache,
    "tags": tags,
}
