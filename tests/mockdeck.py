"""A small deck for mock interview tests: known prompts, points and follow-ups."""

from __future__ import annotations

from pathlib import Path

from sreflash.clock import FrozenClock
from sreflash.config import Settings
from sreflash.context import Context, open_context

MOCK_DECK = """\
format: 1
deck:
  id: mock-test
  title: Mock test deck
cards:
  - id: m-cache
    kind: question
    topic: build-cache
    prompt: Why does the order of Dockerfile instructions matter?
    answer: Each instruction is a cached layer; a change rebuilds every later one.
    key_points:
      - text: Each instruction produces a cached layer
        accept: [its own layer, cached layer]
      - text: A change rebuilds every later step
        accept: [everything after is rebuilt, all later layers]
        reject: [only that layer is rebuilt]
      - text: Install dependencies before copying the code
        accept: [dependencies before code, requirements first]
        reject: [copy the code first]
    follow_ups: [m-cache-follow]
  - id: m-cache-follow
    kind: concept
    topic: build-cache
    prompt: What invalidates a cached layer?
    answer: A changed instruction or changed file contents; touch does not.
    key_points:
      - text: A changed instruction or changed file contents
        accept: [file contents change, instruction changes, checksum]
      - text: A timestamp-only change does not
        accept: [touch does not, timestamps are ignored]
  - id: m-root
    kind: question
    topic: security
    prompt: Why is running a container as root dangerous?
    answer: Root inside is UID 0 on the shared kernel; escapes get easier.
    key_points:
      - text: Root in the container is UID 0 on the host kernel
        accept: [uid 0, shared kernel]
      - text: Escaping to the host becomes easier
        accept: [container escape, breakout, escape to the host]
      - text: Non-root follows least privilege
        accept: [least privilege]
  - id: m-secrets
    kind: scenario
    topic: secrets
    prompt: A secret shipped in an image. What did you do?
    answer: Rotated it, added a .dockerignore, rebuilt and deleted the old tags.
    talking_points:
      - text: Rotated the leaked secret
        accept: [rotated, revoked]
      - text: Added a .dockerignore
        accept: [dockerignore]
      - text: Rebuilt and deleted the old tags
        accept: [rebuilt, deleted the old tags]
  - id: m-lab
    kind: lab
    topic: security
    prompt: Predict whoami.
    answer: appuser
    key_points: [appuser]
    lab: {lab: some-lab, check: some-check}
"""

MOCK_IDS = ("m-cache", "m-cache-follow", "m-root", "m-secrets")

GOOD = {
    "m-cache": "Every instruction is its own layer, and once one changes all later"
    " layers are rebuilt, so put dependencies before code.",
    "m-cache-follow": "A checksum of the file contents: if they change the layer"
    " misses, but touch does not, because timestamps are ignored.",
    "m-root": "Root is uid 0 on the shared kernel, so a breakout is easier; non-root"
    " is least privilege.",
    "m-secrets": "We rotated the key, added a dockerignore, rebuilt and deleted the"
    " old tags.",
}


def write_mock_deck(folder: Path) -> Path:
    """The deck file, written into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "mock-test.yaml"
    path.write_text(MOCK_DECK, encoding="utf-8")
    return path


def mock_context(tmp_path: Path, clock: FrozenClock) -> Context:
    """A context over the test deck only, on a fresh database file."""
    deck = write_mock_deck(tmp_path / "decks")
    return open_context(
        db=tmp_path / "mock.db",
        decks=[deck],
        bundled=False,
        settings=Settings(timezone="UTC"),
        clock=clock,
        fuzz=False,
    )
