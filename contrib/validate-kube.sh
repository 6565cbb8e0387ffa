#!/usr/bin/env bash
# What `sidepod generate kube` prints for every scenario, Compose fixture and CI-format
# fixture, validated against the Kubernetes OpenAPI schemas of two versions
# (kubernetes-validate, which carries them, so it runs offline) and checked for valid
# names and labels and for leaked secrets (contrib/validate_kube.py). Installs
# kubernetes-validate into a venv once; exit status 1 when anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=1.37.0
if [ "$(id -u)" -eq 0 ]; then
    CACHE=${SIDEPOD_IMAGE_CACHE:-/var/cache/sidepod-test}
else
    CACHE=${SIDEPOD_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sidepod-test}
fi
venv=$CACHE/kube-validate-venv
# Read whole before grep looks: `grep -q` would stop reading, and pipefail would take
# pip's broken pipe for a missing package.
installed=$("$venv/bin/pip" show kubernetes-validate 2>/dev/null || true)
if ! grep -qx "Version: $VERSION" <<<"$installed"; then
    echo "==> installing kubernetes-validate $VERSION into $venv"
    mkdir -p "$CACHE"
    rm -rf "$venv"
    /usr/bin/python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "kubernetes-validate==$VERSION"
fi
cargo build --quiet
"$venv/bin/python" contrib/validate_kube.py --sidepod "$PWD/target/debug/sidepod" --shared ../shared
