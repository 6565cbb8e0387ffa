#!/usr/bin/env bash
# sidepod's demo: a CI job whose steps use real PostgreSQL and Redis sidecars, in one
# pod. As root it first prepares the host and the images (as contrib/test.sh does, and
# idempotently); then it builds sidepod and runs contrib/demo/sidepod.yaml, which ends
# with the job's summary.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -eq 0 ]; then
    contrib/setup-host.sh
fi
contrib/build-test-images.sh
cargo build --release --quiet
exec target/release/sidepod job -f contrib/demo/sidepod.yaml
