#!/usr/bin/env bash
# sidepod's demo: a CI job whose steps use real PostgreSQL and Redis sidecars, in one
# pod. As root it first prepares the host and the images (as contrib/test.sh does, and
# idempotently); then it builds sidepod and runs contrib/demo/sidepod.yaml, which ends
# with the job's summary.
set -euo pipefail
# Root prepares the host; a user with sudo gets there the same way, keeping their Rust.
if [ "$(id -u)" -ne 0 ] && [ -z "${SIDEPOD_AS_ME:-}" ] && command -v sudo >/dev/null; then
    exec sudo env PATH="$PATH" HOME="$HOME" CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}" \
        RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}" "$0" "$@"
fi
cd "$(dirname "$0")/.."
if [ "$(id -u)" -eq 0 ]; then
    contrib/setup-host.sh
fi
contrib/build-test-images.sh
cargo build --release --quiet
exec target/release/sidepod job -f contrib/demo/sidepod.yaml
