"""The lab file: loading, validation and the types it becomes.

A lab folder holds ``lab.yaml`` beside its material. The file lists steps; each step
names one action from a fixed set and the checks that follow it, and each check is of
one known kind with a closed set of options. Nothing in a lab file can name a host
command, a mount or a container option: see ``docs/lab-format.md``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from sreflash.errors import LabError
from sreflash.paths import bundled_labs_dir

LAB_FILE = "lab.yaml"
FORMAT_VERSION = 1

ACTIONS = (
    "inspect",
    "build",
    "rebuild",
    "edit-code",
    "plant-junk",
    "build-phase1",
    "run",
    "tag",
)
# What an action needs to have happened before it.
ACTION_NEEDS: dict[str, str] = {
    "rebuild": "build",
    "edit-code": "build",
    "plant-junk": "build",
    "build-phase1": "build",
    "run": "build",
    "tag": "build",
}

STATIC_RULES = (
    "base-pinned-slim",
    "absolute-workdir",
    "deps-before-code",
    "pip-no-cache",
    "user-set",
    "dockerignore-excludes",
)
METADATA_EXPECTS = (
    "env-present",
    "no-secret-env",
    "cmd-exec-form",
    "port-exposed",
    "size-not-above-phase1",
)
FILES_EXPECTS = ("absent-names", "absent-paths", "readable-by-user")
COMMAND_EXPECTS = ("output-not",)
CACHE_EXPECTS = ("all-reused", "deps-reused")
TAGS_EXPECTS = ("one-image", "push-reference")
KINDS = ("static", "build", "metadata", "files", "command", "probe", "cache", "tags")

MAX_PLANT_SIZE = 16 * 1024 * 1024
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
# Docker's tag grammar: no "+" (semver build metadata is not a valid tag).
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_REPO_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")


@dataclass(frozen=True)
class CheckSpec:
    """One declarative check of a lab file."""

    id: str
    kind: str
    title: str
    hint: str
    question: str = ""
    choices: tuple[str, ...] = ()
    rule: str = ""
    expect: str = ""
    names: tuple[str, ...] = ()
    root: str = "workdir"
    argv: tuple[str, ...] = ()
    show: tuple[tuple[str, ...], ...] = ()
    container: str = "one-off"
    value: str = ""
    path: str = "/"
    status: int = 200
    after: str = ""


@dataclass(frozen=True)
class Step:
    """A step of the guided run: one action, then its checks."""

    id: str
    title: str
    action: str
    text: str
    checks: tuple[CheckSpec, ...]


@dataclass(frozen=True)
class Planted:
    """A file sreflash plants in the build context to test ``.dockerignore``."""

    path: str
    size: int


@dataclass(frozen=True)
class Tags:
    """The tags and push reference the lab uses."""

    repository: str
    version: str
    environment: str
    push: str


@dataclass(frozen=True)
class Lab:
    """A loaded, validated lab."""

    id: str
    title: str
    summary: str
    folder: Path
    image: str
    container: str
    context: str
    dockerfile: str
    phase1: str
    challenge: str
    port: int
    edit_file: str
    edit_append: str
    plant: tuple[Planted, ...]
    tags: Tags
    deps_step: str
    steps: tuple[Step, ...] = field(default=())

    @property
    def context_dir(self) -> Path:
        """The build context folder of the improved image."""
        return self.folder / self.context

    @property
    def challenge_dir(self) -> Path:
        """The broken workspace that ``lab challenge`` writes out."""
        return self.folder / self.challenge

    def checks(self) -> list[CheckSpec]:
        """Every check, in the order the guided run makes them."""
        return [check for step in self.steps for check in step.checks]


def list_labs(folder: Path | None = None) -> list[Lab]:
    """Every lab below ``folder`` (the bundled labs by default), sorted by id."""
    root = folder or bundled_labs_dir()
    if not root.is_dir():
        return []
    return [load_lab(path) for path in sorted(root.glob(f"*/{LAB_FILE}"))]


def find_lab(lab_id: str, folder: Path | None = None) -> Lab:
    """The lab with this id.

    Raises:
        LabError: no lab has this id.
    """
    labs = list_labs(folder)
    for lab in labs:
        if lab.id == lab_id:
            return lab
    known = ", ".join(lab.id for lab in labs) or "none"
    raise LabError(f"No lab is called {lab_id!r} (known labs: {known}).")


def load_lab(path: Path) -> Lab:
    """Read and validate one ``lab.yaml``.

    Raises:
        LabError: the file cannot be read or breaks the lab format; the message
            names the file and the value at fault.
    """
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise LabError(f"{path}: cannot be read ({error.strerror}).") from error
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        raise LabError(f"{path}{where}: is not valid YAML.") from error
    return _Reader(path).lab(data)


class _Reader:
    """Turns parsed YAML into a :class:`Lab`, naming the file in every error."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, message: str) -> LabError:
        return LabError(f"{self.path}: {where} {message}.")

    def mapping(self, value: Any, where: str, allowed: set[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, "must be a mapping")
        unknown = sorted(str(key) for key in value if key not in allowed)
        if unknown:
            raise self.fail(where, f"has unknown key {unknown[0]!r}")
        return value

    def text(
        self, data: dict[str, Any], key: str, where: str, default: str | None = None
    ) -> str:
        value = data.get(key, default)
        if value is None:
            raise self.fail(where, f"needs {key!r}")
        if not isinstance(value, str):
            raise self.fail(where, f"{key!r} must be text")
        return value.strip()

    def relative(
        self, data: dict[str, Any], key: str, where: str, default: str | None = None
    ) -> str:
        value = self.text(data, key, where, default)
        pure = PurePosixPath(value)
        if not value or pure.is_absolute() or ".." in pure.parts:
            raise self.fail(where, f"{key!r} must be a path inside the lab folder")
        return value

    def lab(self, data: Any) -> Lab:
        top = self.mapping(
            data,
            "the file",
            {
                "format",
                "id",
                "title",
                "summary",
                "image",
                "container",
                "context",
                "dockerfile",
                "phase1",
                "challenge",
                "port",
                "edit",
                "plant",
                "tags",
                "deps_step",
                "steps",
            },
        )
        if top.get("format") != FORMAT_VERSION:
            raise self.fail("'format'", f"must be {FORMAT_VERSION}")
        lab_id = self.text(top, "id", "the file")
        if not _ID.match(lab_id):
            raise self.fail("'id'", "must be lower-case letters, digits and dashes")
        port = top.get("port")
        if not isinstance(port, int) or not 0 < port < 65536:
            raise self.fail("'port'", "must be a port number")

        edit = self.mapping(top.get("edit"), "'edit'", {"file", "append"})
        append = edit.get("append")
        if not isinstance(append, str) or not append.strip():
            # Touching a file leaves the cache key unchanged; only content counts.
            raise self.fail(
                "'edit'", "must append real content (a touch busts no cache)"
            )

        return Lab(
            id=lab_id,
            title=self.text(top, "title", "the file"),
            summary=self.text(top, "summary", "the file", ""),
            folder=self.path.parent,
            image=self.text(top, "image", "the file"),
            container=self.text(top, "container", "the file"),
            context=self.relative(top, "context", "the file"),
            dockerfile=self.relative(top, "dockerfile", "the file", "Dockerfile"),
            phase1=self.relative(top, "phase1", "the file"),
            challenge=self.relative(top, "challenge", "the file"),
            port=port,
            edit_file=self.relative(edit, "file", "'edit'"),
            edit_append=append,
            plant=self.plant(top.get("plant")),
            tags=self.tags(top.get("tags")),
            deps_step=self.text(top, "deps_step", "the file", "pip install"),
            steps=self.steps(top.get("steps")),
        )

    def plant(self, value: Any) -> tuple[Planted, ...]:
        if not isinstance(value, list) or not value:
            raise self.fail("'plant'", "must be a list of files")
        planted = []
        for index, item in enumerate(value, 1):
            where = f"'plant' item {index}"
            entry = self.mapping(item, where, {"path", "size"})
            size = entry.get("size", 0)
            if not isinstance(size, int) or not 0 <= size <= MAX_PLANT_SIZE:
                raise self.fail(where, f"'size' must be 0 to {MAX_PLANT_SIZE} bytes")
            planted.append(Planted(self.relative(entry, "path", where), size))
        return tuple(planted)

    def tags(self, value: Any) -> Tags:
        data = self.mapping(
            value, "'tags'", {"repository", "version", "environment", "push"}
        )
        tags = Tags(
            repository=self.text(data, "repository", "'tags'"),
            version=self.text(data, "version", "'tags'"),
            environment=self.text(data, "environment", "'tags'"),
            push=self.text(data, "push", "'tags'"),
        )
        if not all(_REPO_COMPONENT.match(part) for part in tags.repository.split("/")):
            raise self.fail("'tags.repository'", "must be a lower-case repository name")
        for key in ("version", "environment"):
            if not _TAG.match(getattr(tags, key)):
                raise self.fail(f"'tags.{key}'", "is not a valid Docker tag")
        return tags

    def steps(self, value: Any) -> tuple[Step, ...]:
        if not isinstance(value, list) or not value:
            raise self.fail("'steps'", "must be a non-empty list")
        steps: list[Step] = []
        done: set[str] = set()
        seen_ids: set[str] = set()
        for index, item in enumerate(value, 1):
            where = f"step {index}"
            data = self.mapping(item, where, {"id", "title", "do", "text", "checks"})
            action = self.text(data, "do", where)
            if action not in ACTIONS:
                raise self.fail(
                    where, f"does {action!r}, which is not one of {', '.join(ACTIONS)}"
                )
            need = ACTION_NEEDS.get(action)
            if need and need not in done:
                raise self.fail(where, f"does {action!r} before any {need!r} step")
            done.add(action)
            checks = []
            for number, raw in enumerate(data.get("checks") or [], 1):
                check = _CheckReader(self, f"{where} check {number}").read(raw, done)
                if check.id in seen_ids:
                    raise self.fail(where, f"repeats the check id {check.id!r}")
                seen_ids.add(check.id)
                checks.append(check)
            steps.append(
                Step(
                    id=self.text(data, "id", where),
                    title=self.text(data, "title", where),
                    action=action,
                    text=self.text(data, "text", where, ""),
                    checks=tuple(checks),
                )
            )
        return tuple(steps)


# Options each kind accepts beyond the common ones, and the actions it needs.
_KIND_OPTIONS: dict[str, set[str]] = {
    "static": {"rule", "names"},
    "build": set(),
    "metadata": {"expect", "names"},
    "files": {"expect", "names", "root"},
    "command": {"expect", "argv", "show", "container", "value"},
    "probe": {"path", "status"},
    "cache": {"expect", "after"},
    "tags": {"expect"},
}
_COMMON = {"id", "kind", "title", "hint", "question", "choices"}


class _CheckReader:
    def __init__(self, reader: _Reader, where: str) -> None:
        self.reader = reader
        self.where = where

    def fail(self, message: str) -> LabError:
        return self.reader.fail(self.where, message)

    def strings(self, value: Any, key: str) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(f"'{key}' must be a list of text")
        return tuple(value)

    def one_of(self, value: str, allowed: tuple[str, ...], key: str) -> str:
        if value not in allowed:
            raise self.fail(f"'{key}' is {value!r}, not one of {', '.join(allowed)}")
        return value

    def read(self, raw: Any, done: set[str]) -> CheckSpec:
        if not isinstance(raw, dict):
            raise self.fail("must be a mapping")
        kind = raw.get("kind")
        if kind not in KINDS:
            raise self.fail(
                f"has kind {kind!r}, which is not one of {', '.join(KINDS)}"
            )
        data = self.reader.mapping(raw, self.where, _COMMON | _KIND_OPTIONS[kind])
        check_id = self.reader.text(data, "id", self.where)
        if not _ID.match(check_id):
            raise self.fail("'id' must be lower-case letters, digits and dashes")
        self.where = f"check {check_id!r}"

        options: dict[str, Any] = {
            "id": check_id,
            "kind": kind,
            "title": self.reader.text(data, "title", self.where),
            "hint": self.reader.text(data, "hint", self.where, ""),
            "question": self.reader.text(data, "question", self.where, ""),
            "choices": self.strings(data.get("choices", []), "choices"),
        }
        if "names" in data:
            options["names"] = self.strings(data["names"], "names")
        options.update(getattr(self, f"_{kind}")(data, done))
        return CheckSpec(**options)

    def needs(self, done: set[str], action: str) -> None:
        if action not in done:
            raise self.fail(f"needs a {action!r} step before it")

    def _static(self, data: dict[str, Any], done: set[str]) -> dict[str, Any]:
        rule = self.one_of(
            self.reader.text(data, "rule", self.where), STATIC_RULES, "rule"
        )
        if rule == "dockerignore-excludes" and not data.get("names"):
            raise self.fail("needs 'names', the paths the .dockerignore must keep out")
        for name in data.get("names") or ():
            # The paths are made in a scratch folder: none may point outside it.
            path = PurePosixPath(str(name))
            if path.is_absolute() or ".." in path.parts:
                raise self.fail(f"names {name!r}: must be a path inside the context")
        return {"rule": rule}

    def _build(self, data: dict[str, Any], done: set[str]) -> dict[str, Any]:
        self.needs(done, "build")
        return {}

    def _metadata(self, data: dict[str, Any], done: set[str]) -> dict[str, Any]:
        self.needs(done, "build")
        expect = self.one_of(
            self.reader.text(data, "expect", self.where), METADATA_EXPECTS, "expect"
        )
        if expect == "env-present" and not data.get("names"):
            raise self.fail("needs 'names', the environment variables to find")
        if expect == "size-not-above-phase1":
            self.needs(done, "build-phase1")
        return {"expect": expect}

    def _files(self, data: dict[str, Any], done: set[str]) -> dict[str, Any]:
        self.needs(done, "build")
        expect = self.one_of(
            self.reader.text(data, "expect", self.where), FILES_EXPECTS, "expect"
        )
        root = self.reader.text(data, "root", self.where, "workdir")
        if root != "workdir" and not root.startswith("/"):
            raise self.fail("'root' must be 'workdir' or an absolute path")
        if expect != "readable-by-user" and not data.get("names"):
            raise self.fail("needs 'names'")
        if expect == "absent-paths":
            for name in data["names"]:
                if not str(name).startswith("/") or ".." in str(name).split("/"):
                    raise self.fail(f"path {name!r} must be absolute")
        return {"expect": expect, "root": root}

    def _command(self, data: dict[str, Any], done: set[str]) -> dict[str, Any]:
        self.needs(done, "build")
        argv = self.strings(data.get("argv"), "argv")
        if not argv:
            raise self.fail("needs a non-empty 'argv'")
        show = data.get("show", [])
        if not isinstance(show, list):
            raise self.fail("'show' must be a list of argv lists")
        container = self.one_of(
            self.reader.text(data, "container", self.where, "one-off"),
            ("one-off", "running"),
            "container",
        )
        if container == "running":
            self.needs(done, "run")
        return {
            "argv": argv,
            "show": tuple(self.strings(item, "show") for item in show),
            "container": container,
            "expect": self.one_of(
                self.reader.text(data, "expect", self.where), COMMAND_EXPECTS, "expect"
            ),
            "value": self.reader.text(data, "value", self.where),
        }

    def _probe(self, data: dict[str, Any], done: set[str]) -> dict[str, Any]:
        self.needs(done, "run")
        path = self.reader.text(data, "path", self.where, "/")
        status = data.get("status", 200)
        if not path.startswith("/") or not isinstance(status, int):
            raise self.fail("needs a 'path' starting with / and a numeric 'status'")
        return {"path": path, "status": status}

    def _cache(self, data: dict[str, Any], done: set[str]) -> dict[str, Any]:
        after = self.one_of(
            self.reader.text(data, "after", self.where),
            ("rebuild", "edit-code"),
            "after",
        )
        self.needs(done, after)
        expect = self.one_of(
            self.reader.text(data, "expect", self.where), CACHE_EXPECTS, "expect"
        )
        return {"after": after, "expect": expect}

    def _tags(self, data: dict[str, Any], done: set[str]) -> dict[str, Any]:
        self.needs(done, "tag")
        expect = self.one_of(
            self.reader.text(data, "expect", self.where), TAGS_EXPECTS, "expect"
        )
        return {"expect": expect}
