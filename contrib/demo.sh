#!/usr/bin/env bash
# sidepod's demo: builds sidepod and shows the demo job (PostgreSQL and Redis sidecars)
# fully resolved, the way sidepod will run it.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
exec target/release/sidepod -f contrib/demo/sidepod.yaml config
