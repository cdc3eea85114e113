"""Helpers shared by the lab tests: small build contexts and lab files."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import yaml


def write_context(folder: Path, files: dict[str, str]) -> Path:
    """Write a build context: file name to (dedented) content."""
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(content).lstrip(), encoding="utf-8")
    return folder


SERVER = """
    import http.server, json, sys

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps({"status": "ok"}).encode()
            self.send_response(200)
            self.end_headers()
            self.wfile.write(body)

    host = sys.argv[1] if len(sys.argv) > 1 else "0.0.0.0"
    http.server.HTTPServer((host, 5000), Handler).serve_forever()
"""


def write_mini_lab(
    folder: Path,
    build_checks: list[dict[str, Any]] | None = None,
    run_checks: list[dict[str, Any]] | None = None,
) -> Path:
    """A small lab file: build, then run, with extra checks after each."""
    probe = {
        "id": "answers-on-port",
        "kind": "probe",
        "path": "/",
        "title": "The app answers",
        "hint": "Listen on 0.0.0.0.",
    }
    data = {
        "format": 1,
        "id": "mini",
        "title": "A small lab for tests",
        "image": "mini:test",
        "container": "mini-app",
        "context": "app",
        "phase1": "app/Dockerfile",
        "challenge": "app",
        "port": 5000,
        "edit": {"file": "server.py", "append": "\n# edited\n"},
        "plant": [{"path": ".env"}],
        "tags": {
            "repository": "mini",
            "version": "1.0.0",
            "environment": "staging",
            "push": "registry.example.com/team/mini:1.0.0",
        },
        "steps": [
            {
                "id": "build",
                "title": "Build",
                "do": "build",
                "checks": [
                    {"id": "image-builds", "kind": "build", "title": "It builds"},
                    *(build_checks or []),
                ],
            },
            {
                "id": "run",
                "title": "Run",
                "do": "run",
                "checks": [probe, *(run_checks or [])],
            },
        ],
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "lab.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path
