"""What a lab run produces: questions, events, check results and the report.

These types are the whole interface between the lab core and a front end: the CLI
and the TUI's lab screen both answer :class:`Question` objects, show
:class:`Event` objects as they arrive and render the final :class:`LabReport`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

SKIP = "skip"


class Status(StrEnum):
    """The three answers a check can give."""

    PASS = "pass"
    FAIL = "fail"
    CANNOT = "cannot-check"


@dataclass(frozen=True)
class Outcome:
    """What a check found, before the lab's hint is attached.

    ``seen`` says what the engine or the Dockerfile showed (for ``CANNOT``, why the
    check could not be made); ``hint`` replaces the lab's hint when set.
    """

    status: Status
    seen: str
    hint: str = ""


@dataclass(frozen=True)
class CheckResult:
    """The answer of one check, ready to show and to store."""

    check_id: str
    title: str
    status: Status
    seen: str
    hint: str = ""
    prediction: str = ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        return {**asdict(self), "status": self.status.value}


@dataclass(frozen=True)
class Question:
    """A prediction asked of the learner before a check is made."""

    check_id: str
    text: str
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class StepStarted:
    """A step of the run began; ``index`` counts from 1 up to ``total``."""

    step_id: str
    title: str
    text: str
    index: int
    total: int


@dataclass(frozen=True)
class BuildLine:
    """One line of a build log, as the engine printed it."""

    line: str


@dataclass(frozen=True)
class Notice:
    """Progress worth telling the learner (a container started, a file planted)."""

    message: str


@dataclass(frozen=True)
class CheckDone:
    """A check has its answer."""

    result: CheckResult


Event = StepStarted | BuildLine | Notice | CheckDone


def utc_now() -> datetime:
    """The current time in UTC; one place so tests and storage agree."""
    return datetime.now(UTC)


@dataclass
class LabReport:
    """Every check result of one run, in the order they were made."""

    lab_id: str
    mode: str
    started_at: datetime = field(default_factory=utc_now)
    finished_at: datetime | None = None
    results: list[CheckResult] = field(default_factory=list)

    def count(self, status: Status) -> int:
        """How many checks gave ``status``."""
        return sum(1 for result in self.results if result.status is status)

    @property
    def passed(self) -> int:
        return self.count(Status.PASS)

    @property
    def failed(self) -> int:
        return self.count(Status.FAIL)

    @property
    def cannot(self) -> int:
        return self.count(Status.CANNOT)

    def result(self, check_id: str) -> CheckResult:
        """The result of one check.

        Raises:
            KeyError: the run made no check with this id.
        """
        for result in self.results:
            if result.check_id == check_id:
                return result
        raise KeyError(check_id)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping, as ``--json`` prints it."""
        return {
            "lab_id": self.lab_id,
            "mode": self.mode,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "passed": self.passed,
            "failed": self.failed,
            "cannot_check": self.cannot,
            "results": [result.to_dict() for result in self.results],
        }
