"""The Docker engine, as the lab checks use it, through the docker SDK.

Everything created here carries the sreflash labels and is remembered, so that
:meth:`Engine.cleanup` removes it all, intermediate build images included (they carry
no label). Images are never pulled: a missing image is reported, not fetched.
"""

from __future__ import annotations

import io
import logging
import os
import re
import secrets
import socket
import tarfile
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import requests
from docker.errors import APIError, DockerException, ImageNotFound, NotFound
from docker.models.containers import Container
from docker.models.images import Image
from filelock import FileLock, Timeout

from sreflash import paths
from sreflash.errors import DockerUnavailableError, LabCancelledError

log = logging.getLogger(__name__)

LABEL = "io.sreflash.lab"
RUN_LABEL = "io.sreflash.run"
# host:pid of the process that made it, so `lab clean` spares live runs.
OWNER_LABEL = "io.sreflash.owner"
BUILD_TIMEOUT = 1800
CLIENT_TIMEOUT = 120
COMMAND_TIMEOUT = 30

_STEP = re.compile(r"^Step (\d+)/(\d+) : (.*)$")
_SOURCE_HASH = re.compile(r"\s*(?:dir|file|multi):[0-9a-f]{64}")
_RESULT_ID = re.compile(r"^ ---> ([0-9a-f]{12,64})$")
_RUNNING_IN = re.compile(r"^ ---> Running in ([0-9a-f]{12,64})$")
_CONTAINER_OPTIONS: dict[str, Any] = {
    # Lab containers get nothing from the host: no privileges, no mounts, no host
    # network, no capabilities, bounded resources.
    "privileged": False,
    "cap_drop": ["ALL"],
    "security_opt": ["no-new-privileges"],
    "mem_limit": "512m",
    "pids_limit": 256,
}

LineCallback = Callable[[str], None]

# Machine-wide, so every user's runs against the local engine take turns.
BUILD_LOCK = Path(tempfile.gettempdir()) / "sreflash-lab-builds.lock"
LOCK_POLL_SECONDS = 0.25


def connect(timeout: int = CLIENT_TIMEOUT) -> docker.DockerClient:
    """A client of a Docker engine that answers.

    Raises:
        DockerUnavailableError: no engine answers; the message says how to fix it.
    """
    # from_env raises DockerException when the socket is missing; with an explicit
    # API version the constructor succeeds and ping raises a requests error instead.
    try:
        client = docker.from_env(timeout=timeout)
        client.ping()
    except (DockerException, requests.exceptions.RequestException) as error:
        raise DockerUnavailableError(_unavailable_sentence(error)) from error
    return client


def engine_status(timeout: int = 10) -> tuple[bool, str]:
    """Whether a Docker engine answers, and one sentence saying so (or why not)."""
    try:
        client = connect(timeout=timeout)
        version = client.version().get("Version", "?")
        client.close()
    except DockerUnavailableError as error:
        return False, str(error)
    except (DockerException, requests.exceptions.RequestException) as error:
        return False, _unavailable_sentence(error)
    return True, f"Docker engine: answers (Docker {version})."


def _unavailable_sentence(error: Exception) -> str:
    where = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
    if "Permission denied" in str(error) or isinstance(error, PermissionError):
        return (
            f"The Docker engine at {where} refuses this user; add it to the docker "
            "group (then log in again) or run with sudo."
        )
    return (
        f"No Docker engine answers at {where}; start Docker (Docker Desktop, "
        "`sudo systemctl start docker` or `sudo dockerd &`) and try again."
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class BuildResult:
    """What one build produced: an image id, or the error that stopped it."""

    image_id: str = ""
    error: str = ""
    failed_step: str = ""
    steps: list[str] = field(default_factory=list)
    cached_steps: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.image_id) and not self.error


@dataclass(frozen=True)
class Snapshot:
    """An image's identity at one moment: its id, layers and build steps."""

    image_id: str
    layers: tuple[str, ...]
    # (step as the builder recorded it, id of the image that step produced)
    steps: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class CommandResult:
    """A command run in a container; ``problem`` is set when it could not run."""

    exit_code: int
    output: str
    problem: str = ""


class Engine:
    """One run's view of the engine: builds, containers and their cleanup."""

    def __init__(
        self, client: docker.DockerClient, lab_id: str = "lab", *, owner: str = ""
    ) -> None:
        self.client = client
        self.token = secrets.token_hex(4)
        self.owner = owner or this_process()
        self.labels = {LABEL: lab_id, RUN_LABEL: self.token, OWNER_LABEL: self.owner}
        self._produced: list[str] = []
        # The intermediate images carry no label: this file names them, so that
        # `lab clean` can find them after a run killed before its cleanup.
        self._journal = journal_dir() / f"{self.token}.ids"
        self._containers: list[str] = []
        # The builder's own step containers: it removes them after each step, but
        # an interrupted build leaves the current one running, holding its images.
        self._step_containers: list[str] = []

    # Images

    def image(self, ref: str) -> Image | None:
        """The local image ``ref`` names, or None; never pulls."""
        try:
            return self.client.images.get(ref)
        except (ImageNotFound, NotFound):
            return None

    def build(
        self,
        context: Path,
        tag: str,
        *,
        dockerfile: str = "Dockerfile",
        on_line: LineCallback | None = None,
    ) -> BuildResult:
        """Build ``context`` with the classic builder, reporting the log live."""
        result = BuildResult()
        emit = on_line or (lambda line: None)
        pending = ""
        current = ""
        cached = False
        try:
            chunks = self.client.api.build(
                path=str(context),
                dockerfile=dockerfile,
                tag=tag,
                labels=self.labels,
                rm=True,
                forcerm=True,
                pull=False,
                decode=True,
                timeout=BUILD_TIMEOUT,
            )
            for chunk in chunks:
                if "error" in chunk:
                    result.error = str(chunk["error"]).strip()
                    break
                if "aux" in chunk and isinstance(chunk["aux"], dict):
                    result.image_id = str(chunk["aux"].get("ID", result.image_id))
                # Stream chunks are not line-aligned: keep the tail for the next one.
                pending += str(chunk.get("stream", ""))
                *lines, pending = pending.split("\n")
                for line in lines:
                    current, cached = self._read_line(line, result, current, cached)
                    emit(line)
        except APIError as error:
            # A Dockerfile the classic builder cannot parse fails the call itself.
            result.error = _api_message(error)
        if pending:
            self._read_line(pending, result, current, cached)
            emit(pending)

        if result.error:
            result.failed_step = current
            emit(f"ERROR: {result.error}")
        return result

    def _read_line(
        self, line: str, result: BuildResult, current: str, cached: bool
    ) -> tuple[str, bool]:
        step = _STEP.match(line)
        if step:
            result.steps.append(step.group(3))
            # The id a FROM step prints is the base image: never ours to remove.
            from_step = step.group(3).upper().startswith("FROM ")
            return step.group(3), from_step
        if line.strip() == "---> Using cache":
            result.cached_steps.append(current)
            return current, True
        running = _RUNNING_IN.match(line)
        if running:
            self._step_containers.append(running.group(1))
            return current, cached
        produced = _RESULT_ID.match(line)
        # An id after "Using cache" existed before this build and is not ours.
        if produced and not cached:
            self._produced.append(produced.group(1))
            self._note_produced(produced.group(1))
        return current, cached

    def _note_produced(self, image_id: str) -> None:
        try:
            fresh = not self._journal.exists()
            self._journal.parent.mkdir(parents=True, exist_ok=True)
            with self._journal.open("a", encoding="utf-8") as journal:
                if fresh:
                    journal.write(f"owner {self.owner}\n")
                journal.write(image_id + "\n")
        except OSError as error:
            log.warning("cannot note build image %s: %s", image_id, error)

    def snapshot(self, image: Image) -> Snapshot:
        """The image's id, layers and steps, to compare builds by artifacts."""
        image.reload()
        history = list(reversed(image.history()))
        return Snapshot(
            image_id=image.id,
            layers=tuple(image.attrs.get("RootFS", {}).get("Layers", [])),
            steps=tuple(
                (_short_step(str(entry.get("CreatedBy", ""))), str(entry.get("Id")))
                for entry in history
            ),
        )

    def tag(self, image: Image, reference: str) -> None:
        """Tag ``image``; the image is ours, so its tags go when it goes."""
        repository, _, tag = reference.rpartition(":")
        if "/" in tag or not repository:
            repository, tag = reference, "latest"
        image.tag(repository, tag)

    # Containers

    def start(self, image: Image, container_port: int, host_port: int) -> Container:
        """Run ``image`` detached, publishing its port on 127.0.0.1 only.

        Raises:
            APIError: the engine refused to start it (port taken, user missing).
        """
        container = self.client.containers.create(
            image.id,
            detach=True,
            labels=self.labels,
            name=f"sreflash-{self.token}-{len(self._containers)}",
            ports={f"{container_port}/tcp": ("127.0.0.1", host_port)},
            **_CONTAINER_OPTIONS,
        )
        self._containers.append(container.id)
        container.start()
        return container

    def run_once(self, image: Image, argv: list[str]) -> CommandResult:
        """Run ``argv`` in a one-off container of ``image`` with no network."""
        try:
            container = self.client.containers.create(
                image.id,
                command=argv,
                labels=self.labels,
                network_disabled=True,
                **_CONTAINER_OPTIONS,
            )
        except APIError as error:
            return CommandResult(-1, "", _api_message(error))
        self._containers.append(container.id)
        try:
            container.start()
            status = container.wait(timeout=COMMAND_TIMEOUT)
            output = container.logs(stdout=True, stderr=True).decode(errors="replace")
            return CommandResult(int(status.get("StatusCode", -1)), output.strip())
        except APIError as error:
            return CommandResult(-1, "", _api_message(error))
        except requests.exceptions.ReadTimeout:
            return CommandResult(
                -1, "", f"{' '.join(argv)} ran over {COMMAND_TIMEOUT}s"
            )
        finally:
            self._remove_container(container.id)

    def exec(self, container: Container, argv: list[str]) -> CommandResult:
        """Run ``argv`` in a running container, as the image's user."""
        try:
            code, output = container.exec_run(argv)
        except APIError as error:
            return CommandResult(-1, "", _api_message(error))
        text = output.decode(errors="replace") if isinstance(output, bytes) else ""
        return CommandResult(int(code if code is not None else -1), text.strip())

    def read_tree(self, image: Image, path: str) -> list[tarfile.TarInfo] | None:
        """The entries below ``path`` in ``image``, or None if it is absent.

        Read from a created, never started container: what the image holds, not
        what a running app made of it.
        """
        container = self.client.containers.create(
            image.id, command=["true"], labels=self.labels, network_disabled=True
        )
        self._containers.append(container.id)
        try:
            stream, _stat = container.get_archive(path)
            with tarfile.open(
                fileobj=io.BufferedReader(_ChunkReader(stream)), mode="r|"
            ) as archive:
                return list(archive)
        except NotFound:
            return None
        finally:
            self._remove_container(container.id)

    # Cleanup

    def _remove_container(self, container_id: str) -> None:
        try:
            # Force removal kills at once: Python as PID 1 ignores SIGTERM.
            self.client.api.remove_container(container_id, force=True, v=True)
        except NotFound:
            pass
        except APIError as error:
            log.warning("could not remove container %s: %s", container_id[:12], error)
        if container_id in self._containers:
            self._containers.remove(container_id)

    def cleanup(self) -> int:
        """Remove every container and image this run created; how many went."""
        removed = 0
        label = f"{RUN_LABEL}={self.token}"
        containers = {
            c.id
            for c in self.client.containers.list(all=True, filters={"label": label})
        }
        for container_id in containers | set(self._containers):
            self._remove_container(container_id)
            removed += 1
        for container_id in self._step_containers:
            self._remove_container(container_id)
        self._step_containers.clear()

        labelled = [
            i.id for i in self.client.images.list(all=True, filters={"label": label})
        ]
        for image_id in labelled:
            removed += _remove_image(self.client, image_id)
        # Intermediate images carry no label: remove the ones our builds made.
        removed += _remove_untagged(self.client, self._produced)
        self._produced.clear()
        self._journal.unlink(missing_ok=True)
        return removed


@contextmanager
def builds_in_turn(
    cancelled: Callable[[], bool], waiting: Callable[[], None], lock: Path = BUILD_LOCK
) -> Iterator[None]:
    """Hold the lab-build lock of this machine while the block runs.

    A run's cleanup removes the intermediate images its builds made, and another
    run building the same steps at the same moment takes those images as its cache:
    its rebuild then misses and a correct lab fails. So runs take turns. ``waiting``
    is called once when another run holds the lock; ``cancelled`` is polled while
    waiting. A lock file that cannot be opened is logged and not waited for.

    Raises:
        LabCancelledError: ``cancelled`` answered True while waiting.
    """
    file_lock = FileLock(lock, mode=0o666)
    told = False
    while True:
        try:
            file_lock.acquire(timeout=LOCK_POLL_SECONDS)
            break
        except Timeout:
            if not told:
                waiting()
                told = True
            if cancelled():
                raise LabCancelledError(
                    "The lab run was cancelled while it waited for another one."
                ) from None
        except OSError as error:
            log.warning("lab runs cannot take turns (%s): %s", lock, error)
            yield
            return
    try:
        yield
    finally:
        file_lock.release()


def this_process() -> str:
    """The owner label value of objects this process creates."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _owner_alive(owner: str) -> bool | None:
    """Whether the process that made an object still runs; None when unknowable.

    A process of another machine sharing the engine cannot be asked.
    """
    host, _, pid = owner.partition(":")
    if not pid.isdigit():
        return False
    if host != socket.gethostname():
        return None
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, owned by another user
    return True


def clean_all(client: docker.DockerClient, *, other_hosts: bool = False) -> Cleaned:
    """Remove the sreflash containers and images left by runs no longer alive.

    A run still going in another process on this machine keeps its objects, and so
    do runs of other machines sharing the engine unless ``other_hosts`` is set.
    """
    cleaned = Cleaned()

    def dead(owner: str) -> bool:
        alive = _owner_alive(owner)
        if alive is None and not other_hosts:
            cleaned.spared += 1
        return alive is False or (alive is None and other_hosts)

    for container in client.containers.list(all=True, filters={"label": LABEL}):
        if dead(container.labels.get(OWNER_LABEL, "")):
            container.remove(force=True, v=True)
            cleaned.removed += 1
    images = client.images.list(all=True, filters={"label": LABEL})
    # Newest first: a child goes before its parent, which then has none to block it.
    images.sort(key=lambda image: str(image.attrs.get("Created", "")), reverse=True)
    for image in images:
        if dead((image.labels or {}).get(OWNER_LABEL, "")):
            cleaned.removed += _remove_image(client, image.id)
    # A run's journal lives on the machine that ran it: only its own runs are here.
    for journal in sorted(journal_dir().glob("*.ids")):
        owner, produced = _read_journal(journal)
        if _owner_alive(owner) is False:
            cleaned.removed += _remove_untagged(client, produced)
            journal.unlink(missing_ok=True)
    return cleaned


def journal_dir() -> Path:
    """Where runs note the build images they made (see :class:`Engine`)."""
    return paths.cache_dir() / "lab-builds"


def _read_journal(journal: Path) -> tuple[str, list[str]]:
    try:
        lines = journal.read_text(encoding="utf-8").split()
    except OSError:
        return "", []
    if len(lines) < 2 or lines[0] != "owner":
        return "", []
    return lines[1], lines[2:]


def _remove_untagged(client: docker.DockerClient, image_ids: list[str]) -> int:
    # Newest first so that no child keeps a parent alive. A tagged one is someone
    # else's by now, whatever the log said: leave it.
    removed = 0
    for image_id in reversed(image_ids):
        try:
            image = client.images.get(image_id)
        except (ImageNotFound, NotFound):
            continue
        if not image.tags:
            removed += _remove_image(client, image.id)
    return removed


@dataclass
class Cleaned:
    """What ``lab clean`` did: objects removed, and those of other machines spared."""

    removed: int = 0
    spared: int = 0


def _remove_image(client: docker.DockerClient, image_id: str) -> int:
    try:
        client.images.remove(image_id, force=True)
    except (ImageNotFound, NotFound):
        return 0  # already gone with the image it was the parent of
    except APIError as error:
        log.warning("could not remove image %s: %s", image_id[:19], _api_message(error))
        return 0
    return 1


def _api_message(error: APIError) -> str:
    explanation = error.explanation
    if isinstance(explanation, bytes):
        explanation = explanation.decode(errors="replace")
    return str(explanation or error).strip()


def _short_step(created_by: str) -> str:
    text = created_by.strip()
    for prefix in ("/bin/sh -c #(nop) ", "/bin/sh -c "):
        if text.startswith(prefix):
            text = text[len(prefix) :].strip()
            break
    # The classic builder records copied sources as content hashes.
    return _SOURCE_HASH.sub(" <files>", text)


class _ChunkReader(io.RawIOBase):
    """A read-only stream over an iterator of byte chunks, for tarfile's stream mode."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        super().__init__()
        self._chunks: Iterator[bytes] = iter(chunks)
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        if not self._buffer:
            self._buffer = next(self._chunks, b"")
        size = min(len(target), len(self._buffer))
        target[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        return size
