"""Benchmark a fully cached guided lab run against the same steps with the docker CLI.

Run: ``python bench/lab_bench.py [--runs N]`` with a Docker engine up
(``bash .ci/docker-up.sh``). Both sides start from a warm classic-builder cache: the
lab's image and its Phase 1 image are built once, untimed, and kept until the end,
so every timed run finds the dependency layers cached. Figures, not pass/fail.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sreflash.labs.engine import Engine, connect
from sreflash.labs.model import find_lab
from sreflash.labs.results import Status
from sreflash.labs.runner import plant_files, run_guided

HERE = Path(__file__).resolve().parent


def warm(engine: Engine) -> None:
    """Build both images once so the timed runs find their layers cached."""
    lab = find_lab("phase2-image-design")
    with tempfile.TemporaryDirectory() as temp:
        context = Path(temp) / "phase1"
        shutil.copytree(lab.context_dir, context)
        (context / ".dockerignore").unlink()
        plant_files(lab, context)
        shutil.copyfile(lab.folder / lab.phase1, context / "Dockerfile.phase1")
        for folder, dockerfile in (
            (lab.context_dir, "Dockerfile"),
            (context, "Dockerfile.phase1"),
        ):
            result = engine.build(
                folder,
                f"sreflash-bench-warm:{dockerfile.lower()}",
                dockerfile=dockerfile,
            )
            if not result.ok:
                sys.exit(f"warm-up build failed: {result.error}")


def time_guided() -> float:
    lab = find_lab("phase2-image-design")
    started = time.perf_counter()
    report = run_guided(lab, predict=lambda q: "skip", on_event=lambda e: None)
    elapsed = time.perf_counter() - started
    bad = [r.check_id for r in report.results if r.status is not Status.PASS]
    if bad:
        sys.exit(f"the guided run did not pass: {bad}")
    return elapsed


def time_cli() -> float:
    lab = find_lab("phase2-image-design")
    started = time.perf_counter()
    subprocess.run(
        ["bash", str(HERE / "lab_cli.sh"), str(lab.folder), sys.executable], check=True
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    engine = Engine(connect(), "bench-warm")
    try:
        warm(engine)
        guided = [time_guided() for _ in range(args.runs)]
        cli = [time_cli() for _ in range(args.runs)]
    finally:
        engine.cleanup()

    g, c = statistics.median(guided), statistics.median(cli)
    print(f"runs: {args.runs} each, warm classic-builder cache")
    print(f"guided run (sreflash, docker SDK): median {g:6.2f} s  {_all(guided)}")
    print(f"same steps (docker CLI script):    median {c:6.2f} s  {_all(cli)}")
    print(f"ratio sreflash / CLI: {g / c:.2f}")


def _all(times: list[float]) -> str:
    return "(" + ", ".join(f"{t:.2f}" for t in times) + ")"


if __name__ == "__main__":
    main()
