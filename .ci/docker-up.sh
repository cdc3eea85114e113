#!/usr/bin/env bash
# Make a real Docker engine answer on this machine, and make sure the lab's base
# image (python:3.11-slim) exists locally. Idempotent: every step is skipped when
# its result is already there. Needs root on a machine with no engine running.
#
# No image registry is reachable on CI machines, so the base image is a stand-in
# built with debootstrap (Debian bookworm ships Python 3.11, like the real image).
# On a machine with a registry the real image is already there or can be pulled,
# and nothing here changes it.
set -euo pipefail

BASE_IMAGE="python:3.11-slim"
CACHE_DIR="${SREFLASH_CACHE_DIR:-/var/cache/sreflash}"
ROOTFS_TAR="$CACHE_DIR/python-3.11-slim-rootfs.tar"
DOCKERD_LOG="${SREFLASH_DOCKERD_LOG:-/var/log/sreflash-dockerd.log}"
WAIT_SECONDS=60
SUITE="bookworm"
# debootstrap fetches from the Debian mirror this machine's apt already uses (or
# SREFLASH_DEBIAN_MIRROR); with neither, debootstrap's own default.
apt_mirror() {
    {
        grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}'
        grep -hs '^deb ' /etc/apt/sources.list | awk '{print $2}'
    } | grep -m1 -E '/debian/?$' || true
}
MIRROR="${SREFLASH_DEBIAN_MIRROR:-$(apt_mirror)}"
CA_BUNDLE="/etc/ssl/certs/ca-certificates.crt"

say() { echo "docker-up: $*" >&2; }
die() { say "$*"; exit 1; }

engine_answers() { docker info >/dev/null 2>&1; }

apt_install_missing() {
    local missing=()
    command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
    command -v docker >/dev/null 2>&1 || missing+=(docker.io)
    command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
    if ((${#missing[@]} == 0)); then
        return
    fi
    [[ $(id -u) -eq 0 ]] || die "installing ${missing[*]} needs root; run as root."
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q docker.io debootstrap
}

start_daemon() {
    if engine_answers; then
        return
    fi
    [[ $(id -u) -eq 0 ]] || die "starting dockerd needs root; run as root."
    mkdir -p "$(dirname "$DOCKERD_LOG")"
    say "starting dockerd (log: $DOCKERD_LOG)"
    # setsid: the daemon must outlive this script and the shell that ran it.
    setsid dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null &

    local waited=0
    until engine_answers; do
        if ((waited >= WAIT_SECONDS)); then
            tail -n 20 "$DOCKERD_LOG" >&2 || true
            die "dockerd did not answer within ${WAIT_SECONDS}s; see $DOCKERD_LOG."
        fi
        sleep 1
        waited=$((waited + 1))
    done
    say "engine answers after ${waited}s"
}

ROOTFS_TMP=""
remove_rootfs_tmp() { [[ -z $ROOTFS_TMP ]] || rm -rf "$ROOTFS_TMP"; }
# The partial rootfs is large; never leave it behind, even on failure.
trap remove_rootfs_tmp EXIT

build_rootfs_tar() {
    local rootfs
    rootfs="$(mktemp -d /tmp/sreflash-rootfs.XXXXXX)"
    ROOTFS_TMP="$rootfs"

    say "debootstrap $SUITE into $rootfs (takes a minute or two)"
    debootstrap --variant=minbase \
        --include=python3,python3-pip,ca-certificates \
        "$SUITE" "$rootfs" ${MIRROR:+"$MIRROR"} >"$CACHE_DIR/debootstrap.log" 2>&1 ||
        die "debootstrap failed; see $CACHE_DIR/debootstrap.log."

    # Behave like the official image: pip installs system-wide, `python` exists.
    rm -f "$rootfs"/usr/lib/python3.*/EXTERNALLY-MANAGED
    ln -sf python3 "$rootfs/usr/bin/python"
    # Builds reach the package index through a TLS-intercepting proxy here, so pip
    # inside the image must trust the host's CA bundle.
    if [[ -f $CA_BUNDLE ]]; then
        cp "$CA_BUNDLE" "$rootfs/etc/ssl/certs/ca-certificates.crt"
        printf '[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n' \
            >"$rootfs/etc/pip.conf"
    fi
    # Apt lists and caches are what the real slim image leaves out too.
    rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/archives/*.deb

    tar -C "$rootfs" -cf "$ROOTFS_TAR.part" .
    mv "$ROOTFS_TAR.part" "$ROOTFS_TAR"
    remove_rootfs_tmp
    ROOTFS_TMP=""
}

ensure_base_image() {
    if docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
        say "$BASE_IMAGE is present"
        return
    fi
    mkdir -p "$CACHE_DIR"
    if [[ ! -s $ROOTFS_TAR ]]; then
        build_rootfs_tar
    else
        say "reusing cached rootfs $ROOTFS_TAR"
    fi
    say "importing $BASE_IMAGE"
    docker import -c 'CMD ["python3"]' "$ROOTFS_TAR" "$BASE_IMAGE" >/dev/null
    say "$BASE_IMAGE is ready"
}

main() {
    if ! engine_answers; then
        apt_install_missing
        start_daemon
    fi
    ensure_base_image
}

main "$@"
