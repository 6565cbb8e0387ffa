#!/usr/bin/env bash
# sidepod against podman-compose 1.6.0, side by side in one run (contrib/bench.py): the
# time of `up -d` and `down`, their podman calls, and the tools' own peak memory; then how
# soon readiness is seen, against a raw podman poll loop (contrib/bench_ready.py). Each
# checks sidepod's targets (exit status 1 when one is missed). The side-by-side run is
# repeated in network mode (20 services, each in its own namespace on a project network:
# sidepod's bridge mode against podman-compose --in-pod false).
# Builds sidepod in release mode and installs podman-compose into a venv (once). As root,
# it compares rootful and then rootless as the test user; as another user, as that user.
# Needs the busybox test image (contrib/build-test-images.sh). Options go to bench.py
# (--services N, --rounds R). With SIDEPOD_BENCH_RAW=1 it also runs contrib/bench_raw.py:
# sidepod against raw podman scripts, uncapped and capped, for 8 and 50 services (about
# five minutes per mode, so not in CI by default). contrib/bench_attach.py runs in both
# modes: the memory of an attached up of 20 services and the relay lag of a 100,000-line
# burst, against raw podman. With SIDEPOD_BENCH_JOB=1 it also runs contrib/bench_job.py:
# a job's fixed overhead on the ci-job scenario and how soon a passing healthcheck is
# seen, against a raw podman script (not in CI by default: its overhead target is still
# missed).
set -euo pipefail
cd "$(dirname "$0")/.."

TEST_USER=${SIDEPOD_TEST_USER:-sidepod-test}
if [ "$(id -u)" -eq 0 ]; then
    CACHE=${SIDEPOD_IMAGE_CACHE:-/var/cache/sidepod-test}
else
    CACHE=${SIDEPOD_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sidepod-test}
fi
venv=$CACHE/bench-venv
if ! "$venv/bin/podman-compose" --version 2>/dev/null | grep -q "version 1.6.0"; then
    echo "==> installing podman-compose 1.6.0 into $venv"
    mkdir -p "$CACHE"
    rm -rf "$venv"
    /usr/bin/python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check podman-compose==1.6.0
    chmod -R a+rX "$venv"
fi

echo "==> cargo build --release"
cargo build --release --quiet
bench=(/usr/bin/python3 contrib/bench.py --sidepod "$PWD/target/release/sidepod"
       --podman-compose "$venv/bin/podman-compose" "$@")

ready=(/usr/bin/python3 contrib/bench_ready.py --sidepod "$PWD/target/release/sidepod")

bridge=(--services 20 --rounds 2 --network bridge)
raw=(/usr/bin/python3 contrib/bench_raw.py --sidepod "$PWD/target/release/sidepod")
attach=(/usr/bin/python3 contrib/bench_attach.py --sidepod "$PWD/target/release/sidepod")
job=(/usr/bin/python3 contrib/bench_job.py --sidepod "$PWD/target/release/sidepod")

status=0
echo "==> sidepod and podman-compose, side by side, as $(id -un)"
"${bench[@]}" || status=1
echo "==> the same in network mode: 20 services on a project network, as $(id -un)"
"${bench[@]}" "${bridge[@]}" || status=1
echo "==> readiness: sidepod's wait strategies and a raw podman poll loop, as $(id -un)"
"${ready[@]}" || status=1
if [ "${SIDEPOD_BENCH_RAW:-0}" = 1 ]; then
    echo "==> sidepod against raw podman scripts, as $(id -un)"
    "${raw[@]}" || status=1
fi
echo "==> an attached up against raw podman: memory and relay lag, as $(id -un)"
"${attach[@]}" || status=1
if [ "${SIDEPOD_BENCH_JOB:-0}" = 1 ]; then
    echo "==> a job against a raw podman script: overhead and readiness, as $(id -un)"
    "${job[@]}" || status=1
fi
if [ "$(id -u)" -eq 0 ] && id "$TEST_USER" >/dev/null 2>&1; then
    echo "==> sidepod and podman-compose, side by side, rootless as $TEST_USER"
    (cd / && runuser -u "$TEST_USER" -- env -C "$OLDPWD" "${bench[@]}") || status=1
    echo "==> the same in network mode: 20 services, rootless as $TEST_USER"
    (cd / && runuser -u "$TEST_USER" -- env -C "$OLDPWD" "${bench[@]}" "${bridge[@]}") || status=1
    echo "==> readiness, rootless as $TEST_USER"
    (cd / && runuser -u "$TEST_USER" -- env -C "$OLDPWD" "${ready[@]}") || status=1
    if [ "${SIDEPOD_BENCH_RAW:-0}" = 1 ]; then
        echo "==> sidepod against raw podman scripts, rootless as $TEST_USER"
        (cd / && runuser -u "$TEST_USER" -- env -C "$OLDPWD" "${raw[@]}") || status=1
    fi
    echo "==> an attached up against raw podman, rootless as $TEST_USER"
    (cd / && runuser -u "$TEST_USER" -- env -C "$OLDPWD" "${attach[@]}") || status=1
    if [ "${SIDEPOD_BENCH_JOB:-0}" = 1 ]; then
        echo "==> a job against a raw podman script, rootless as $TEST_USER"
        (cd / && runuser -u "$TEST_USER" -- env -C "$OLDPWD" "${job[@]}") || status=1
    fi
fi
exit $status
