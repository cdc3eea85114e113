"""Docker fixtures for the lab tests.

Tests marked ``docker`` run against a real engine. Where none answers they are
skipped with the reason, unless ``SREFLASH_REQUIRE_DOCKER=1`` asks for them (as CI
does): then a missing engine fails them, so a green run means they really ran.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import docker
import pytest

from sreflash.errors import DockerUnavailableError
from sreflash.labs.engine import OWNER_LABEL, RUN_LABEL, Engine, connect, this_process

BASE_IMAGE = "python:3.11-slim"
REQUIRE_DOCKER = os.environ.get("SREFLASH_REQUIRE_DOCKER") == "1"


def _unavailable(reason: str) -> None:
    if REQUIRE_DOCKER:
        pytest.fail(f"SREFLASH_REQUIRE_DOCKER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def docker_client() -> docker.DockerClient:
    """A client of the real engine, with the lab's base image present."""
    try:
        client = connect()
    except DockerUnavailableError as error:
        _unavailable(str(error))
    try:
        client.images.get(BASE_IMAGE)
    except docker.errors.ImageNotFound:
        _unavailable(f"{BASE_IMAGE} is missing; run `bash .ci/docker-up.sh`")
    return client


@pytest.fixture(autouse=True)
def _engine_for_docker_tests(request: pytest.FixtureRequest) -> Iterator[None]:
    """Give every ``docker`` test the engine, and prove it left nothing behind."""
    if request.node.get_closest_marker("docker") is None:
        yield
        return
    client: docker.DockerClient = request.getfixturevalue("docker_client")
    before = _labelled(client)
    yield
    left = _labelled(client) - before
    assert not left, f"the test left labelled objects behind: {sorted(left)}"


def _labelled(client: docker.DockerClient) -> set[str]:
    # Only this process's objects: another test run may share the engine.
    mine = {"label": f"{OWNER_LABEL}={this_process()}"}
    containers = client.containers.list(all=True, filters=mine)
    images = client.images.list(all=True, filters=mine)
    return {f"container {c.id[:12]}" for c in containers} | {
        f"image {i.id[7:19]}" for i in images
    }


@pytest.fixture
def engine(docker_client: docker.DockerClient) -> Iterator[Engine]:
    """An engine for one test; everything it created is removed afterwards."""
    engine = Engine(docker_client, "test")
    try:
        yield engine
    finally:
        engine.cleanup()
        label = f"{RUN_LABEL}={engine.token}"
        assert not docker_client.containers.list(all=True, filters={"label": label})
        assert not docker_client.images.list(all=True, filters={"label": label})
