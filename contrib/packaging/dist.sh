#!/usr/bin/env bash
# Makes the two source archives a distribution package builds from, offline:
#   sidepod-VERSION.tar.gz          the sources of HEAD (git archive)
#   sidepod-VERSION-vendor.tar.xz   the crates Cargo.lock names (cargo vendor), those that
#                                   are not built on Linux stubbed (crates.py filter)
# Usage: contrib/packaging/dist.sh [OUTDIR]   (default: target/dist)
# The package then builds with `cargo build --release --offline --locked` after pointing
# cargo at vendor/ (sidepod.spec's %cargo_prep, debian/rules).
set -euo pipefail
cd "$(dirname "$0")/../.."
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
out=$(realpath -m "${1:-target/dist}")
mkdir -p "$out"
git archive --format=tar.gz --prefix="sidepod-$version/" -o "$out/sidepod-$version.tar.gz" HEAD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo vendor --locked --quiet "$work/vendor" >/dev/null
python3 contrib/packaging/crates.py filter "$work/vendor"
tar -C "$work" -cJf "$out/sidepod-$version-vendor.tar.xz" vendor
echo "$out/sidepod-$version.tar.gz"
echo "$out/sidepod-$version-vendor.tar.xz"
