"""The sample Flask app of the Phase 2 lab: one JSON endpoint and a health check."""

import os

from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/")
def index():
    return jsonify(
        message="Hello from the Phase 2 image",
        environment=os.environ.get("APP_ENV", "unknown"),
    )


@app.get("/health")
def health():
    return jsonify(status="ok")


if __name__ == "__main__":
    # 0.0.0.0: a server bound to 127.0.0.1 cannot be reached through a published port.
    app.run(host="0.0.0.0", port=5000)
