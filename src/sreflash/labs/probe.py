"""Probing a running lab container over HTTP, and explaining silence.

A server bound to 127.0.0.1 inside a container shows up on the published port as a
reset or an empty reply, differently from run to run; so the verdict comes from the
container's own listening sockets (``/proc/net/tcp``), not from the error text.
"""

from __future__ import annotations

import ipaddress
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

from docker.models.containers import Container

from sreflash.labs.engine import Engine

PROBE_SECONDS = 20.0
POLL_SECONDS = 0.1
SOCKETS_EVERY = 1.0
_LISTEN = "0A"
_LOOPBACK = {"127.0.0.1", "::1"}


@dataclass
class HttpAnswer:
    """What a probe got: a status and body, or why it got nothing."""

    status: int | None = None
    body: str = ""
    error: str = ""
    exit_code: int | None = None
    logs: str = ""
    listening: set[str] = field(default_factory=set)
    sockets_known: bool = False


def listening_addresses(
    engine: Engine, container: Container, port: int
) -> set[str] | None:
    """The addresses the container listens on for ``port``; None if unreadable."""
    answer = engine.exec(container, ["cat", "/proc/net/tcp", "/proc/net/tcp6"])
    if answer.problem or answer.exit_code not in (0, 1):
        return None
    return parse_proc_net_tcp(answer.output, port)


def parse_proc_net_tcp(text: str, port: int) -> set[str]:
    """Listening addresses for ``port`` in ``/proc/net/tcp`` and ``tcp6`` text."""
    found: set[str] = set()
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 4 or ":" not in fields[1] or fields[3] != _LISTEN:
            continue
        address, _, port_hex = fields[1].partition(":")
        try:
            if int(port_hex, 16) != port:
                continue
            raw = bytes.fromhex(address)
        except ValueError:
            continue
        # The kernel prints each 32-bit word in host (little-endian) order.
        words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
        found.add(str(ipaddress.ip_address(words)))
    return found


def wait_for_http(
    url: str, engine: Engine, container: Container, port: int
) -> HttpAnswer:
    """GET ``url`` until it answers, the container exits or it plainly cannot."""
    answer = HttpAnswer()
    deadline = time.monotonic() + PROBE_SECONDS
    next_sockets = time.monotonic() + SOCKETS_EVERY
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                answer.status = response.status
                answer.body = response.read(2048).decode(errors="replace")
                return answer
        except urllib.error.HTTPError as error:
            answer.status = error.code
            return answer
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as error:
            answer.error = str(getattr(error, "reason", error))

        container.reload()
        if container.status in ("exited", "dead"):
            answer.exit_code = int(container.attrs["State"].get("ExitCode", -1))
            answer.logs = container.logs(tail=5).decode(errors="replace").strip()
            return answer
        if time.monotonic() >= next_sockets:
            next_sockets = time.monotonic() + SOCKETS_EVERY
            addresses = listening_addresses(engine, container, port)
            if addresses is not None:
                answer.listening, answer.sockets_known = addresses, True
                # Only loopback listeners: waiting longer will not help.
                if addresses and addresses <= _LOOPBACK:
                    return answer
        time.sleep(POLL_SECONDS)
    return answer


def explain_silence(answer: HttpAnswer, port: int, url: str) -> str:
    """One sentence on why ``url`` did not answer."""
    if answer.exit_code is not None:
        last = answer.logs.splitlines()[-1] if answer.logs else "no output"
        return f"the container exited with code {answer.exit_code} at once ({last})"
    if answer.sockets_known and answer.listening and answer.listening <= _LOOPBACK:
        where = ", ".join(sorted(answer.listening))
        return (
            f"the server listens on {where}:{port} inside the container, which the "
            "published port cannot reach; bind it to 0.0.0.0"
        )
    if answer.sockets_known and not answer.listening:
        return f"nothing listens on port {port} inside the container"
    return f"GET {url} got no answer in {PROBE_SECONDS:.0f}s ({answer.error})"
