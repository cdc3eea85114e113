#!/usr/bin/env bash
# The steps of the guided Phase 2 lab run, done with the docker CLI, for comparison
# with bench/lab_bench.py. Classic builder (DOCKER_BUILDKIT=0), so both share one
# build cache. Usage: bash bench/lab_cli.sh LAB_DIR PYTHON
set -euo pipefail

LAB_DIR="$1"
PY="${2:-python3}"
export DOCKER_BUILDKIT=0
WORK="$(mktemp -d /tmp/sreflash-bench-cli.XXXXXX)"
RUN="sreflash-bench-cli-$$"
LABEL="io.sreflash.lab=bench-cli"
CID=""

cleanup() {
    [[ -z $CID ]] || docker rm -f "$CID" >/dev/null 2>&1 || true
    docker image rm -f $(docker images -q --filter "label=$LABEL") >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

build() { # context tag [dockerfile]
    docker build -q --rm --force-rm --label "$LABEL" -t "$2" -f "$1/${3:-Dockerfile}" "$1" >/dev/null
}
layers() { docker image inspect -f '{{json .RootFS.Layers}}' "$1"; }

cp -r "$LAB_DIR/app" "$WORK/app"
IMG="$RUN:build"

# Build, rebuild: every layer reused.
build "$WORK/app" "$IMG"
before="$(layers "$IMG")"
build "$WORK/app" "$IMG"
[[ "$(layers "$IMG")" == "$before" ]] || echo "rebuild changed layers" >&2

# Edit only the code: the dependency layers stay.
printf '\n# Edited by sreflash: a real content change, so COPY sees it.\n' >>"$WORK/app/app.py"
build "$WORK/app" "$IMG"

# Plant junk, rebuild, list the image's app folder from a created container.
"$PY" - "$LAB_DIR" "$WORK/app" <<'EOF'
import sys
from pathlib import Path
from sreflash.labs.model import load_lab
from sreflash.labs.runner import plant_files
plant_files(load_lab(Path(sys.argv[1]) / "lab.yaml"), Path(sys.argv[2]))
EOF
build "$WORK/app" "$IMG"
created="$(docker create --label "$LABEL" "$IMG" true)"
docker cp "$created:/app" - | tar -t | grep -E '\.git|__pycache__|\.venv|\.env' && echo "junk in image" >&2
docker rm -f "$created" >/dev/null

# Phase 1 from a junk-filled copy with no .dockerignore; compare sizes.
cp -r "$LAB_DIR/app" "$WORK/phase1"
rm -f "$WORK/phase1/.dockerignore"
"$PY" - "$LAB_DIR" "$WORK/phase1" <<'EOF'
import sys
from pathlib import Path
from sreflash.labs.model import load_lab
from sreflash.labs.runner import plant_files
plant_files(load_lab(Path(sys.argv[1]) / "lab.yaml"), Path(sys.argv[2]))
EOF
cp "$LAB_DIR/phase1/Dockerfile" "$WORK/phase1/Dockerfile.phase1"
build "$WORK/phase1" "$RUN:phase1" Dockerfile.phase1
docker image inspect -f '{{.Size}} {{json .Config.Env}} {{json .Config.Cmd}}' \
    "$IMG" "$RUN:phase1" python:3.11-slim >/dev/null
docker run --rm --label "$LABEL" --network none "$IMG" id -u >/dev/null

# Run on a free port, call it, ask who it runs as.
PORT="$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
CID="$(docker run -d --label "$LABEL" --cap-drop ALL -p "127.0.0.1:$PORT:5000" "$IMG")"
for _ in $(seq 200); do
    curl -fsS "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break
    sleep 0.1
done
curl -fsS "http://127.0.0.1:$PORT/" >/dev/null
docker exec "$CID" whoami >/dev/null
docker exec "$CID" id >/dev/null

# Tags: one image id behind the version, environment and push tags.
for ref in "$RUN-tag:1.0.0" "$RUN-tag:staging" "registry.example.com/team/$RUN-tag:1.0.0"; do
    docker tag "$IMG" "$ref"
done
docker image inspect -f '{{.Id}}' "$RUN-tag:1.0.0" "$RUN-tag:staging" >/dev/null
