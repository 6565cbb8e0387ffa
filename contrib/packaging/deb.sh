#!/usr/bin/env bash
# Builds sidepod's .deb offline from the two archives of dist.sh with dpkg-buildpackage,
# then installs it (root) and runs `sidepod doctor` from it.
# Usage: contrib/packaging/deb.sh [OUTDIR]   (default: target/deb)
# Debian 12's own Rust (1.63) is older than sidepod needs (1.82): where cargo comes from
# rustup instead, the build dependencies on Debian's cargo and rustc are not checked (-d).
# SIDEPOD_DEB_CHECK=0 builds without the unit tests (nocheck), as CI does: the test suite
# runs them anyway. As root the build runs without a network (unshare -n).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(realpath -m "${1:-target/deb}")
if ! command -v dpkg-buildpackage >/dev/null || ! command -v dh >/dev/null; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dpkg-dev debhelper >/dev/null
    else
        echo "error: dpkg-buildpackage and dh are missing: apt-get install dpkg-dev debhelper" >&2
        exit 1
    fi
fi
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
rm -rf "$out"
mkdir -p "$out"
contrib/packaging/dist.sh "$out" >/dev/null
tar -C "$out" -xzf "$out/sidepod-$version.tar.gz"
tar -C "$out/sidepod-$version" -xJf "$out/sidepod-$version-vendor.tar.xz"

args=(-b -us -uc)
dpkg-checkbuilddeps "$out/sidepod-$version/debian/control" 2>/dev/null || args+=(-d)
[ "${SIDEPOD_DEB_CHECK:-1}" = 0 ] && export DEB_BUILD_OPTIONS="nocheck ${DEB_BUILD_OPTIONS:-}"
offline=()
[ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null && offline=(unshare -n)
(cd "$out/sidepod-$version" && "${offline[@]}" dpkg-buildpackage "${args[@]}" >"$out/build.log" 2>&1) || {
    tail -40 "$out/build.log" >&2
    echo "error: dpkg-buildpackage failed (whole log: $out/build.log)" >&2
    exit 1
}
deb=$(ls "$out"/sidepod_"$version"-*_*.deb)
echo "==> built $deb"
dpkg-deb -c "$deb" | grep -E 'usr/bin/sidepod$|man1/sidepod-job|completions/sidepod$' >/dev/null || {
    echo "error: $deb lacks the binary, a man page or the bash completion" >&2
    exit 1
}

if [ "$(id -u)" -eq 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$deb" >/dev/null
    /usr/bin/sidepod --version
    /usr/bin/sidepod doctor
    man -w sidepod-job >/dev/null
    echo "==> the .deb installs, and sidepod doctor runs from it"
fi
