#!/usr/bin/env bash
# Installs what `sidepod job` needs on a CI host, idempotently: podman (and, rootless,
# its helpers) and sidepod itself. Used by the GitHub Action (action.yml) and the shell
# recipe; the GitLab template does the same inline.
#   SIDEPOD_BIN     a sidepod binary to use as it is
#   SIDEPOD_SOURCE  a sidepod checkout to build (cargo install --path), when no sidepod
#                   is on PATH; else `cargo install --locked sidepod` from crates.io
#   SIDEPOD_PREFIX  where cargo installs it (default ~/.local; its bin/ goes on PATH,
#                   and into $GITHUB_PATH on GitHub)
set -euo pipefail
as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null; then sudo "$@"
    else echo "error: installing $* needs root or sudo" >&2; exit 1
    fi
}
if ! command -v podman >/dev/null; then
    if command -v apt-get >/dev/null; then
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            podman uidmap slirp4netns catatonit >/dev/null
    elif command -v dnf >/dev/null; then
        as_root dnf install -y -q podman
    else
        echo "error: podman is missing and neither apt-get nor dnf is here to install it" >&2
        exit 1
    fi
fi
prefix=${SIDEPOD_PREFIX:-$HOME/.local}
if [ -n "${SIDEPOD_BIN:-}" ]; then
    mkdir -p "$prefix/bin"
    install -m 0755 "$SIDEPOD_BIN" "$prefix/bin/sidepod"
elif ! command -v sidepod >/dev/null; then
    if [ -n "${SIDEPOD_SOURCE:-}" ]; then
        cargo install --quiet --locked --path "$SIDEPOD_SOURCE" --root "$prefix"
    else
        cargo install --quiet --locked sidepod --root "$prefix"
    fi
fi
if [ -x "$prefix/bin/sidepod" ]; then
    export PATH="$prefix/bin:$PATH"
    [ -n "${GITHUB_PATH:-}" ] && echo "$prefix/bin" >>"$GITHUB_PATH"
fi
sidepod --version
# What podman lacks here is said now, with its fix, rather than mid-job.
sidepod doctor
