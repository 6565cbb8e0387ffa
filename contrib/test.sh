#!/usr/bin/env bash
# sidepod's whole test suite, as CI runs it: formatting, lints, then every test.
# Usage: contrib/test.sh   (from anywhere; needs Rust's cargo with rustfmt and clippy)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d ../shared/scenarios ]; then
    echo "error: ../shared (the scenarios and the Compose schema) must sit beside this checkout" >&2
    exit 1
fi

echo "==> cargo fmt --check"
cargo fmt --all -- --check
echo "==> cargo clippy"
cargo clippy --all-targets --quiet -- -D warnings
echo "==> cargo test"
cargo test --all-targets --no-fail-fast
