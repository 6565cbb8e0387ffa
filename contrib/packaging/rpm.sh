#!/usr/bin/env bash
# Builds sidepod's RPM offline from the two archives of dist.sh, as a Fedora builder
# would, then installs it into a scratch root and runs it there.
# Usage: contrib/packaging/rpm.sh [OUTDIR]   (default: target/rpm; the RPMs land in
# OUTDIR/RPMS and OUTDIR/SRPMS)
# SIDEPOD_RPM_CHECK=0 builds without %check (the unit tests in release mode, which the
# test suite runs anyway): CI does, to keep the package build under 3 minutes.
# Where Fedora's cargo-rpm-macros are missing (Debian), macros.cargo-local stands in, and
# the BuildRequires, which name Fedora packages, are not checked. As root the build runs
# without a network (unshare -n), which proves it offline.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(realpath -m "${1:-target/rpm}")
if ! command -v rpmbuild >/dev/null; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rpm >/dev/null
    else
        echo "error: rpmbuild is missing: install rpm-build (Fedora) or rpm (Debian)" >&2
        exit 1
    fi
fi
rm -rf "$out"
mkdir -p "$out/SOURCES"
contrib/packaging/dist.sh "$out/SOURCES" >/dev/null

args=(--define "_topdir $out")
[ "${SIDEPOD_RPM_CHECK:-1}" = 0 ] && args+=(--without check)
if [ -z "$(rpm --eval '%{?cargo_build}')" ]; then
    args+=(--load contrib/packaging/macros.cargo-local --nodeps)
fi
offline=()
[ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null && offline=(unshare -n)
"${offline[@]}" rpmbuild -ba --quiet "${args[@]}" contrib/packaging/sidepod.spec

rpm_file=$(ls "$out"/RPMS/*/sidepod-[0-9]*.rpm)
echo "==> built $rpm_file"
rpm -qp --provides "$rpm_file" | grep -c 'bundled(crate(' | sed 's/^/    bundled crates provided: /'
rpm -qp --qf '    License: %{LICENSE}\n' "$rpm_file"

# Installed into a scratch root, the package runs: the binary, its man pages, completions.
root="$out/root"
if [ "$(id -u)" -eq 0 ]; then
    rpm --root "$root" --initdb
    rpm --root "$root" -i --nodeps --nosignature "$rpm_file"
else
    mkdir -p "$root" && (cd "$root" && rpm2cpio "$rpm_file" | cpio -idm --quiet)
fi
"$root/usr/bin/sidepod" --version
"$root/usr/bin/sidepod" doctor
# (Fedora compresses man pages; Debian's rpm leaves them as they are.)
for f in usr/share/man/man1/sidepod-job.1 usr/share/man/man5/sidepod-compose.5 \
    usr/share/bash-completion/completions/sidepod usr/share/licenses/sidepod*/LICENSE.dependencies; do
    compgen -G "$root/$f*" >/dev/null || { echo "error: the package lacks /$f" >&2; exit 1; }
done
echo "==> the RPM installs and runs"
