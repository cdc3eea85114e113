"""Static Dockerfile and .dockerignore rules, no engine needed."""

from __future__ import annotations

import textwrap

import pytest

from sreflash.labs.checks import Subject, cache
from sreflash.labs.engine import Snapshot
from sreflash.labs.model import CheckSpec, find_lab
from sreflash.labs.results import Status
from sreflash.labs.static import check_rule, parse_dockerfile

GOOD = """
    FROM python:3.11-slim
    ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
    WORKDIR /app
    COPY requirements.txt .
    RUN pip install --no-cache-dir -r requirements.txt
    RUN useradd --no-log-init --create-home appuser
    COPY --chown=appuser:appuser . .
    USER appuser
    EXPOSE 5000
    CMD ["python", "app.py"]
"""
RULES = ("base-pinned-slim", "absolute-workdir", "deps-before-code", "pip-no-cache")


def rule(name: str, text: str) -> tuple[Status, str]:
    outcome = check_rule(name, parse_dockerfile(textwrap.dedent(text).lstrip()))
    return outcome.status, outcome.seen


def with_lines(*changes: tuple[str, str]) -> str:
    text = GOOD
    for old, new in changes:
        assert old in text
        text = text.replace(old, new)
    return text


@pytest.mark.parametrize("name", [*RULES, "user-set"])
def test_the_good_dockerfile_passes_every_rule(name: str) -> None:
    assert rule(name, GOOD)[0] is Status.PASS


def test_the_bundled_lab_dockerfile_passes_every_rule() -> None:
    lab = find_lab("phase2-image-design")
    text = (lab.context_dir / "Dockerfile").read_text()
    for name in [*RULES, "user-set"]:
        assert check_rule(name, parse_dockerfile(text)).status is Status.PASS, name


@pytest.mark.parametrize(
    ("base", "why"),
    [
        ("python:latest", "'latest'"),
        ("python", "no tag"),
        ("python:3.11", "full, large variant"),
        ("python:slim", "no version"),
    ],
)
def test_an_unpinned_or_full_base_fails(base: str, why: str) -> None:
    status, seen = rule("base-pinned-slim", with_lines(("python:3.11-slim", base)))
    assert status is Status.FAIL
    assert why in seen and "line 1" in seen


def test_a_digest_pinned_base_and_a_stage_alias_resolve_to_their_base() -> None:
    digest = "python@sha256:" + "a" * 64
    assert rule("base-pinned-slim", with_lines(("python:3.11-slim", digest)))[0] == (
        Status.PASS
    )
    multi = 'FROM python:latest AS build\nRUN true\nFROM build\nCMD ["true"]\n'
    status, seen = rule("base-pinned-slim", multi)
    assert status is Status.FAIL and "python:latest" in seen


def test_a_base_from_a_build_argument_cannot_be_checked() -> None:
    text = "ARG BASE=python:3.11-slim\nFROM $BASE\n"
    assert rule("base-pinned-slim", text)[0] is Status.CANNOT


def test_a_missing_or_relative_workdir_fails() -> None:
    assert (
        rule("absolute-workdir", with_lines(("WORKDIR /app\n", "")))[0] is Status.FAIL
    )
    status, seen = rule("absolute-workdir", with_lines(("WORKDIR /app", "WORKDIR app")))
    assert status is Status.FAIL and "relative" in seen


def test_code_copied_before_dependencies_fails_with_both_lines() -> None:
    text = """
        FROM python:3.11-slim
        WORKDIR /app
        COPY . .
        RUN pip install -r requirements.txt
    """
    status, seen = rule("deps-before-code", text)
    assert status is Status.FAIL
    assert "COPY . . (line 3)" in seen and "(line 4)" in seen


def test_copying_only_the_requirements_file_first_is_fine() -> None:
    text = with_lines(("COPY requirements.txt .", 'COPY ["requirements.txt", "./"]'))
    assert rule("deps-before-code", text)[0] is Status.PASS
    none = with_lines(("-r requirements.txt", "flask"))
    assert rule("deps-before-code", none)[0] is Status.FAIL


@pytest.mark.parametrize(
    ("install", "status"),
    [
        ("pip install -r requirements.txt", Status.FAIL),
        ("pip install --no-cache-dir -r requirements.txt", Status.PASS),
        ("pip install -r requirements.txt && rm -rf /root/.cache/pip", Status.PASS),
    ],
)
def test_pip_cache_rule_reads_the_pip_command(install: str, status: Status) -> None:
    text = with_lines(("pip install --no-cache-dir -r requirements.txt", install))
    assert rule("pip-no-cache", text)[0] is status


def test_pip_no_cache_dir_in_env_counts() -> None:
    text = with_lines(
        ("--no-cache-dir ", ""),
        ("ENV PYTHONDONTWRITEBYTECODE=1", "ENV PIP_NO_CACHE_DIR=1"),
    )
    assert rule("pip-no-cache", text)[0] is Status.PASS


def test_no_user_at_all_fails() -> None:
    status, seen = rule("user-set", with_lines(("USER appuser\n", "")))
    assert status is Status.FAIL and "runs as root" in seen


@pytest.mark.parametrize("user", ["0", "root", "root:root", "0:0"])
def test_user_root_in_any_spelling_fails(user: str) -> None:
    status, seen = rule("user-set", with_lines(("USER appuser", f"USER {user}")))
    assert status is Status.FAIL and "is root" in seen


def test_user_that_nothing_creates_fails() -> None:
    text = with_lines(("RUN useradd --no-log-init --create-home appuser\n", ""))
    status, seen = rule("user-set", text)
    assert status is Status.FAIL
    assert "creates 'appuser'" in seen


@pytest.mark.parametrize(
    "body",
    [
        "RUN <<EOF\napt-get update\nEOF\n",
        "COPY <<EOF /app/config.ini\n[app]\nEOF\n",
        "RUN --mount=type=cache,target=/root/.cache/pip pip install -r r.txt\n",
    ],
)
def test_buildkit_only_syntax_cannot_be_checked_by_any_rule(body: str) -> None:
    text = "FROM python:3.11-slim\nWORKDIR /app\n" + body + "USER appuser\n"
    parsed = parse_dockerfile(text)
    assert "line 3" in parsed.unsupported
    for name in [*RULES, "user-set"]:
        outcome = check_rule(name, parsed)
        assert outcome.status is Status.CANNOT, name
        assert "BuildKit" in outcome.seen


def test_heredoc_body_never_becomes_instructions() -> None:
    parsed = parse_dockerfile("FROM python:3.11-slim\nRUN <<EOF\nUSER root\nEOF\n")
    assert parsed.instructions == ()


PLANTED = (".git/HEAD", ".env", "__pycache__/a.pyc", "pkg/__pycache__/b.pyc", ".venv/x")


def test_dockerignore_with_only_top_level_pycache_misses_nested_caches() -> None:
    ignore = ".git\n.env\n.venv\n__pycache__\n"
    outcome = check_rule("dockerignore-excludes", None, ignore, PLANTED)
    assert outcome.status is Status.FAIL
    assert outcome.seen == ".dockerignore lets in pkg/__pycache__/b.pyc"


def test_dockerignore_with_any_depth_patterns_keeps_everything_out() -> None:
    ignore = "# junk\n.git\n.env\n.venv\n__pycache__\n**/__pycache__\n"
    outcome = check_rule("dockerignore-excludes", None, ignore, PLANTED)
    assert outcome.status is Status.PASS


@pytest.mark.parametrize("pycache", ["**/__pycache__", "**/__pycache__/"])
def test_one_any_depth_pattern_keeps_the_top_level_cache_out_too(pycache: str) -> None:
    # "**/" matches no folder as well, and a file in an excluded folder is out.
    ignore = f".git\n.env\n{pycache}\n.venv\nvenv\n"
    outcome = check_rule("dockerignore-excludes", None, ignore, PLANTED)
    assert (outcome.status, outcome.seen) == (
        Status.PASS,
        ".dockerignore keeps out " + ", ".join(PLANTED),
    )


def test_dockerignore_last_matching_line_wins_and_can_reinclude() -> None:
    ignore = ".git\n.venv\n**/__pycache__\n__pycache__\n.env\n!.env\n"
    outcome = check_rule("dockerignore-excludes", None, ignore, PLANTED)
    assert outcome.status is Status.FAIL
    assert outcome.seen.endswith("lets in .env")


def test_a_missing_dockerignore_fails() -> None:
    outcome = check_rule("dockerignore-excludes", None, None, PLANTED)
    assert (outcome.status, outcome.seen) == (Status.FAIL, "there is no .dockerignore")


def test_no_dockerfile_cannot_be_checked() -> None:
    assert check_rule("absolute-workdir", None).status is Status.CANNOT


def _rebuilt(
    layers_after: tuple[str, ...], logged: tuple[int, int]
) -> tuple[CheckSpec, Subject]:
    spec = CheckSpec(
        "rebuild-all-cached", "cache", "t", "h", expect="all-reused", after="rebuild"
    )
    subject = Subject(find_lab("phase2-image-design"))
    before = Snapshot("sha256:" + "a" * 64, ("l1", "l2", "l3"), (("RUN x", "i1"),))
    after = Snapshot("sha256:" + "b" * 64, layers_after, (("RUN x", "i2"),))
    subject.snapshots["rebuild"] = (before, after)
    subject.rebuild_steps["rebuild"] = logged
    return spec, subject


def test_a_rebuild_served_by_another_builds_cache_still_passes() -> None:
    # A second lab run at the same time can supply the cached layers: every step
    # came from the cache, yet the layer ids differ from this run's first build.
    spec, subject = _rebuilt(("l1", "x2", "x3"), logged=(6, 6))

    outcome = cache(spec, subject)

    assert outcome.status is Status.PASS
    assert "every step after FROM came from the build cache" in outcome.seen


def test_a_rebuild_that_re_ran_a_step_fails() -> None:
    spec, subject = _rebuilt(("l1", "x2", "x3"), logged=(6, 4))

    assert cache(spec, subject).status is Status.FAIL
