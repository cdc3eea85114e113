"""Helpers shared by the lab tests: small build contexts and lab files."""

from __future__ import annotations

import textwrap
from pathlib import Path


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
