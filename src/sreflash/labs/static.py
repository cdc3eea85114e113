"""Static rules on a Dockerfile and its ``.dockerignore``, no engine needed.

The engine has the final say on what an image holds; these rules catch the design
mistakes a Dockerfile shows on its face and name the line at fault.
"""

from __future__ import annotations

import io
import json
import re
import shlex
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from docker.utils.build import PatternMatcher
from dockerfile_parse import DockerfileParser

from sreflash.labs.results import Outcome, Status

_HEREDOC = re.compile(r"<<-?\s*[\"']?[A-Za-z_][A-Za-z0-9_]*[\"']?")
_BUILDKIT_FLAG = re.compile(r"^\s*RUN\s+--(mount|network|security)\b", re.IGNORECASE)
_ROOT_USERS = {"root", "0"}
_DEPS_FILES = re.compile(
    r"^(requirements[\w.-]*\.(txt|in)|constraints[\w.-]*\.txt|pyproject\.toml"
    r"|poetry\.lock|Pipfile(\.lock)?|setup\.cfg|uv\.lock)$"
)
_CREATES_USER = re.compile(r"\b(useradd|adduser)\b")
_SLIM_VARIANTS = ("slim", "alpine", "distroless")


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction; ``line`` counts from 1."""

    name: str
    value: str
    line: int

    def args(self) -> list[str]:
        """The arguments, exec-form JSON or shell words, flags included."""
        value = self.value.strip()
        if value.startswith("["):
            try:
                parsed = json.loads(value)
            except json.JSONDecodeError:
                parsed = None
            if isinstance(parsed, list):
                return [str(item) for item in parsed]
        try:
            return shlex.split(value)
        except ValueError:
            return value.split()

    def operands(self) -> list[str]:
        """The arguments without leading ``--flag`` options (COPY, ADD, FROM)."""
        args = self.args()
        while args and args[0].startswith("--"):
            args.pop(0)
        return args

    def describe(self) -> str:
        short = self.value if len(self.value) <= 60 else self.value[:57] + "..."
        return f"{self.name} {short} (line {self.line})"


@dataclass(frozen=True)
class Dockerfile:
    """A parsed Dockerfile; ``unsupported`` says why it cannot be checked, if so."""

    text: str
    instructions: tuple[Instruction, ...]
    unsupported: str = ""

    def final_stage(self) -> list[Instruction]:
        """The instructions of the last stage, its FROM first."""
        starts = [i for i, ins in enumerate(self.instructions) if ins.name == "FROM"]
        if not starts:
            return []
        return list(self.instructions[starts[-1] :])

    def stage_bases(self) -> dict[str, str]:
        """Stage alias to the image it starts from."""
        bases: dict[str, str] = {}
        for ins in self.instructions:
            if ins.name != "FROM":
                continue
            operands = ins.operands()
            if len(operands) >= 3 and operands[1].lower() == "as":
                bases[operands[2].lower()] = operands[0]
        return bases


def parse_dockerfile(text: str) -> Dockerfile:
    """Parse ``text``; BuildKit-only syntax is recorded, never half-parsed."""
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.lstrip()
        if stripped.startswith("#"):
            continue
        # dockerfile-parse would turn a heredoc body into fake instructions.
        if re.match(r"(RUN|COPY|ADD)\b", stripped, re.IGNORECASE) and _HEREDOC.search(
            stripped
        ):
            return Dockerfile(
                text,
                (),
                f"line {number} uses a heredoc, BuildKit-only syntax that cannot be "
                "checked statically nor built by the classic builder",
            )
        flag = _BUILDKIT_FLAG.match(stripped)
        if flag:
            return Dockerfile(
                text,
                (),
                f"line {number} uses RUN --{flag.group(1)}, BuildKit-only syntax "
                "the classic builder cannot build",
            )

    parser = DockerfileParser(fileobj=io.BytesIO(text.encode("utf-8")))
    instructions = tuple(
        Instruction(item["instruction"].upper(), item["value"], item["startline"] + 1)
        for item in parser.structure
        if item["instruction"] != "COMMENT"
    )
    return Dockerfile(text, instructions)


def check_rule(
    rule: str,
    dockerfile: Dockerfile | None,
    dockerignore: str | None = None,
    names: tuple[str, ...] = (),
) -> Outcome:
    """Apply one static rule; see ``model.STATIC_RULES`` for the names."""
    if rule == "dockerignore-excludes":
        return dockerignore_excludes(dockerignore, names)
    if dockerfile is None:
        return Outcome(Status.CANNOT, "no Dockerfile to read")
    if dockerfile.unsupported:
        return Outcome(Status.CANNOT, dockerfile.unsupported)
    stage = dockerfile.final_stage()
    if not stage:
        return Outcome(Status.FAIL, "the Dockerfile has no FROM instruction")
    rules = {
        "base-pinned-slim": lambda: base_pinned_slim(dockerfile),
        "absolute-workdir": lambda: absolute_workdir(stage),
        "deps-before-code": lambda: deps_before_code(stage),
        "pip-no-cache": lambda: pip_no_cache(stage),
        "user-set": lambda: user_set(stage),
    }
    return rules[rule]()


def base_pinned_slim(dockerfile: Dockerfile) -> Outcome:
    """The final stage starts from a slim image pinned to a version, not latest."""
    stage = dockerfile.final_stage()
    origin = stage[0]
    operands = origin.operands()
    image = operands[0] if operands else ""
    aliases = dockerfile.stage_bases()
    # A stage built FROM an earlier stage inherits that stage's base.
    for _ in range(len(aliases) + 1):
        if image.lower() not in aliases:
            break
        image = aliases[image.lower()]
    where = f"FROM {image} (line {origin.line})"

    if "$" in image:
        return Outcome(Status.CANNOT, f"{where} depends on a build argument")
    if image == "scratch" or "@sha256:" in image:
        return Outcome(Status.PASS, f"{where} is pinned")
    _name, _, tag = (
        image.rpartition(":") if ":" in image.split("/")[-1] else (image, "", "")
    )
    if not tag:
        return Outcome(Status.FAIL, f"{where} has no tag, so Docker takes 'latest'")
    if tag == "latest":
        return Outcome(Status.FAIL, f"{where} uses 'latest', which moves under you")
    if not any(ch.isdigit() for ch in tag):
        return Outcome(Status.FAIL, f"{where} names no version in its tag")
    if not any(variant in tag for variant in _SLIM_VARIANTS):
        return Outcome(Status.FAIL, f"{where} is pinned but is the full, large variant")
    return Outcome(Status.PASS, f"{where} is a pinned slim tag")


def absolute_workdir(stage: list[Instruction]) -> Outcome:
    """Every WORKDIR is an absolute path, and there is one."""
    workdirs = [ins for ins in stage if ins.name == "WORKDIR"]
    if not workdirs:
        return Outcome(Status.FAIL, "no WORKDIR, so the app's files land in /")
    for ins in workdirs:
        path = ins.value.strip().strip("\"'")
        if not path.startswith("/") and not path.startswith("$"):
            return Outcome(
                Status.FAIL,
                f"{ins.describe()} is relative: it depends on the previous WORKDIR",
            )
    return Outcome(Status.PASS, ", ".join(ins.describe() for ins in workdirs))


def _installs_requirements(ins: Instruction) -> bool:
    return ins.name == "RUN" and bool(
        re.search(r"\bpip3?\s+install\b.*(\s-r\s?|--requirement)", ins.value)
    )


def deps_before_code(stage: list[Instruction]) -> Outcome:
    """Dependencies are installed from their own file before the code is copied."""
    install = next((ins for ins in stage if _installs_requirements(ins)), None)
    if install is None:
        return Outcome(Status.FAIL, "no RUN pip install -r <requirements file> found")
    for ins in stage:
        if ins is install:
            break
        if ins.name not in ("COPY", "ADD"):
            continue
        sources = ins.operands()[:-1]
        if any(not _DEPS_FILES.match(PurePosixPath(src).name) for src in sources):
            return Outcome(
                Status.FAIL,
                f"{ins.describe()} copies the code before {install.describe()}",
            )
    return Outcome(Status.PASS, f"{install.describe()} runs before the code is copied")


def pip_no_cache(stage: list[Instruction]) -> Outcome:
    """No pip install keeps its download cache in a layer."""
    no_cache_env = any(
        ins.name == "ENV" and re.search(r"\bPIP_NO_CACHE_DIR\b", ins.value)
        for ins in stage
    )
    installs = [
        ins
        for ins in stage
        if ins.name == "RUN" and re.search(r"\bpip3?\s+install\b", ins.value)
    ]
    if not installs:
        return Outcome(Status.PASS, "no pip install in the final stage")
    for ins in installs:
        cleans = "--no-cache-dir" in ins.value or re.search(
            r"pip3?\s+cache\s+purge|rm\s+-[rf]+\s+\S*\.cache/pip", ins.value
        )
        if not cleans and not no_cache_env:
            return Outcome(
                Status.FAIL, f"{ins.describe()} keeps pip's cache in the layer"
            )
    return Outcome(Status.PASS, "every pip install runs without a cache")


def user_set(stage: list[Instruction]) -> Outcome:
    """The final stage switches to a user that is not root and that it creates."""
    users = [ins for ins in stage if ins.name == "USER"]
    if not users:
        return Outcome(
            Status.FAIL, "no USER instruction, so the container runs as root"
        )
    last = users[-1]
    user, _, _group = last.value.strip().partition(":")
    if user in _ROOT_USERS:
        return Outcome(Status.FAIL, f"{last.describe()} is root")
    creates = [
        ins
        for ins in stage
        if ins.line < last.line
        and ins.name == "RUN"
        and _CREATES_USER.search(ins.value)
        and re.search(rf"\b{re.escape(user)}\b", ins.value)
    ]
    if not creates and not user.isdigit():
        return Outcome(
            Status.FAIL,
            f"{last.describe()} but no RUN useradd/adduser before it creates {user!r}",
        )
    return Outcome(Status.PASS, f"{last.describe()} is not root")


def dockerignore_excludes(dockerignore: str | None, paths: tuple[str, ...]) -> Outcome:
    """Every path in ``paths`` would be left out of the build context.

    This walks a scratch folder holding those paths with the docker SDK's own
    matcher, the walk that decides an SDK build's context: a file inside an
    excluded folder is excluded, as the engine does it. The engine's matcher can
    differ on case and character classes, so the built image remains the proof.
    """
    if dockerignore is None:
        return Outcome(Status.FAIL, "there is no .dockerignore")
    patterns = [
        line.strip()
        for line in dockerignore.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    with tempfile.TemporaryDirectory(prefix="sreflash-context-") as root:
        for path in paths:
            file = Path(root, path)
            file.parent.mkdir(parents=True, exist_ok=True)
            file.touch()
        sent = {Path(found).as_posix() for found in PatternMatcher(patterns).walk(root)}
    kept = [path for path in paths if path in sent]
    if kept:
        return Outcome(Status.FAIL, f".dockerignore lets in {', '.join(kept)}")
    return Outcome(Status.PASS, f".dockerignore keeps out {', '.join(paths)}")
