#!/usr/bin/env bash
# sidepod's whole test suite, as CI runs it: formatting, lints, unit and CLI tests, and
# the podman tests against real podman, rootful and rootless; and what generate kube
# prints, validated against the Kubernetes schemas (contrib/validate-kube.sh).
#
# As root (CI): installs podman and prepares the host (contrib/setup-host.sh), builds the
# test images for root and the rootless test user, then runs the podman tests twice,
# rootful and rootless side by side.
# A user with sudo runs it as root the same way; SIDEPOD_AS_ME=1 keeps it as you instead:
# it builds the busybox image for you (the services image needs root once) and runs the
# podman tests rootless, as you.
# Last, the side-by-side benchmark against podman-compose checks sidepod's speed and
# memory targets (contrib/bench.sh), and the release binary is checked for test code.
# SIDEPOD_FUZZ_SECONDS=N also runs cargo fuzz on the loaders for N seconds (a slow extra:
# its nightly build takes minutes).
# SIDEPOD_FAULT_RUNS=N repeats the signal fault suite N times (default 2).
# SIDEPOD_SKIP_PODMAN_TESTS=1 skips the podman tests and the benchmark, on purpose.
set -euo pipefail
# Root prepares the host; a user with sudo gets there the same way, keeping their Rust.
if [ "$(id -u)" -ne 0 ] && [ -z "${SIDEPOD_AS_ME:-}" ] && command -v sudo >/dev/null; then
    exec sudo env PATH="$PATH" HOME="$HOME" CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}" \
        RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}" "$0" "$@"
fi
cd "$(dirname "$0")/.."

# Each step says how far into the run it starts, so that a slow step shows.
step() { printf '==> [%dm%02ds] %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*"; }

if [ ! -d ../shared/scenarios ]; then
    echo "error: ../shared (the scenarios and the Compose schema) must sit beside this checkout" >&2
    exit 1
fi

podman_tests=yes
[ "${SIDEPOD_SKIP_PODMAN_TESTS:-}" = 1 ] && podman_tests=no
root=no
[ "$(id -u)" -eq 0 ] && root=yes

if [ "$podman_tests" = yes ]; then
    if [ "$root" = yes ]; then
        contrib/setup-host.sh
        contrib/build-test-images.sh --for-user "${SIDEPOD_TEST_USER:-sidepod-test}"
    else
        contrib/build-test-images.sh
    fi
fi

step "cargo fmt --check"
cargo fmt --all -- --check
step "cargo clippy"
cargo clippy --all-targets --quiet -- -D warnings
step "the linked crates' licences, sources and versions, and RustSec advisories"
python3 contrib/packaging/test_crates.py
python3 contrib/packaging/crates.py check
python3 contrib/packaging/test_advisories.py
python3 contrib/packaging/advisories.py check
step "generate kube against the Kubernetes schemas"
if [ "$podman_tests" = yes ] || /usr/bin/python3 -c 'import ensurepip' 2>/dev/null; then
    contrib/validate-kube.sh
else
    echo "SKIPPED: generate kube's schema validation needs python3-venv (contrib/setup-host.sh installs it): not run, not passed"
fi
user=${SIDEPOD_TEST_USER:-sidepod-test}
if [ "$podman_tests" = yes ] && [ "$root" = yes ]; then
    # Every test target rootful, and the podman tests rootless as the test user beside
    # it: they mostly wait on podman, so the two runs share the cores. The rootless run's
    # output follows the rootful one's.
    podman_targets=()
    for f in tests/podman*.rs; do
        podman_targets+=(--test "$(basename "$f" .rs)")
    done
    step "cargo test --no-run: building the tests"
    cargo test --all-targets --no-run --quiet
    step "cargo test: every test rootful, and the podman tests rootless as $user beside it"
    rootless_log=target/test-rootless.log
    SIDEPOD_TEST_MODE=rootless cargo test "${podman_targets[@]}" --no-fail-fast \
        >"$rootless_log" 2>&1 &
    rootless_run=$!
    trap 'kill "$rootless_run" 2>/dev/null || true' EXIT
    rootful=0
    cargo test --all-targets --no-fail-fast || rootful=$?
    rootless=0
    wait "$rootless_run" || rootless=$?
    trap - EXIT
    step "the podman tests, rootless as $user (run beside the rootful ones)"
    cat "$rootless_log"
    if [ "$rootful" -ne 0 ] || [ "$rootless" -ne 0 ]; then
        echo "error: tests failed: rootful run exit $rootful, rootless run exit $rootless" >&2
        exit 1
    fi
elif [ "$podman_tests" = yes ]; then
    step "cargo test (podman tests: rootless as $(id -un))"
    cargo test --all-targets --no-fail-fast
else
    # A skipped test must not read as passed: the podman test binaries are left out of
    # the run, and their tests are counted and named as skipped.
    targets=(--lib --bins)
    skipped=()
    for f in tests/*.rs; do
        name=$(basename "$f" .rs)
        case "$name" in
            podman*) skipped+=("$name") ;;
            *) targets+=(--test "$name") ;;
        esac
    done
    step "cargo test without the podman tests (SIDEPOD_SKIP_PODMAN_TESTS=1)"
    cargo test "${targets[@]}" --no-fail-fast
    count=0
    for name in "${skipped[@]}"; do
        n=$(cargo test --quiet --test "$name" -- --list 2>/dev/null | grep -c ': test$' || true)
        echo "SKIPPED: $n tests of tests/$name.rs (SIDEPOD_SKIP_PODMAN_TESTS=1)"
        count=$((count + n))
    done
    echo "SKIPPED: $count podman tests in all: not run, not passed"
fi
if [ "$podman_tests" = yes ]; then
    step "benchmark: sidepod against podman-compose, side by side"
    contrib/bench.sh
fi
# The loaders on arbitrary bytes, from the corpus in fuzz/corpus/load, for
# SIDEPOD_FUZZ_SECONDS: no input may panic, hang (2 s each) or take 2 GiB. A slow extra
# (its nightly build takes about five minutes), so it runs only when asked for; the
# hostile inputs and property tests above run every time.
if [ -z "${SIDEPOD_FUZZ_SECONDS:-}" ]; then
    echo "SKIPPED: cargo fuzz of the loaders (SIDEPOD_FUZZ_SECONDS=60 runs it for a minute): not run, not passed"
else
    step "cargo fuzz: the loaders, ${SIDEPOD_FUZZ_SECONDS} s"
    if ! rustup run nightly rustc --version >/dev/null 2>&1; then
        rustup toolchain install nightly --profile minimal >/dev/null 2>&1 || true
    fi
    if ! rustup run nightly rustc --version >/dev/null 2>&1; then
        echo "SKIPPED: fuzzing needs a nightly toolchain (rustup toolchain install nightly): not run, not passed"
    else
        if ! cargo fuzz --version >/dev/null 2>&1; then
            step "installing cargo-fuzz"
            cargo install --quiet --locked cargo-fuzz
        fi
        mkdir -p target
        fuzzed=0
        cargo +nightly fuzz run load -- -max_total_time="${SIDEPOD_FUZZ_SECONDS}" -timeout=2 \
            -rss_limit_mb=2048 -print_final_stats=1 >target/fuzz-load.log 2>&1 || fuzzed=$?
        grep -E '^(Done [0-9]+ runs|stat::number_of_executed_units)' target/fuzz-load.log || true
        if [ "$fuzzed" -ne 0 ]; then
            tail -40 target/fuzz-load.log >&2
            echo "error: cargo fuzz found an input the loaders fail on (see fuzz/artifacts/load)" >&2
            exit 1
        fi
    fi
fi

# The fake backend is for unit tests only: the release binary must not contain it. The
# podman backend's symbols show that the check can see the code it looks for.
step "the release binary carries no test code"
cargo build --release --quiet
symbols=$(nm -C target/release/sidepod)
if ! grep -q 'sidepod::backend::podman' <<<"$symbols"; then
    echo "error: cannot read the release binary's symbols (no sidepod::backend::podman)" >&2
    exit 1
fi
if grep -q 'sidepod::backend::fake' <<<"$symbols"; then
    echo "error: the release binary contains the fake backend" >&2
    exit 1
fi

# The RPM and the .deb, each built offline from the two archives as a Fedora or Debian
# builder would, then installed (the RPM into a scratch root, the .deb into this host)
# and run. Root only: they install their tools, build without a network, install.
# Their %check and dh_auto_test are the unit tests, which ran above. The two build side
# by side (each in its own directory), and their output is shown in turn.
if [ "$root" = yes ]; then
    step "the RPM and the .deb, built side by side (contrib/packaging/rpm.sh, deb.sh)"
    mkdir -p target
    SIDEPOD_RPM_CHECK=0 contrib/packaging/rpm.sh >target/rpm.log 2>&1 &
    rpm_build=$!
    deb=0
    SIDEPOD_DEB_CHECK=0 contrib/packaging/deb.sh >target/deb.log 2>&1 || deb=$?
    rpm=0
    wait "$rpm_build" || rpm=$?
    step "the RPM (contrib/packaging/rpm.sh)"
    cat target/rpm.log
    step "the .deb (contrib/packaging/deb.sh)"
    cat target/deb.log
    if [ "$rpm" -ne 0 ] || [ "$deb" -ne 0 ]; then
        echo "error: a package failed: rpm.sh exit $rpm, deb.sh exit $deb" >&2
        exit 1
    fi
    # The script part of each CI recipe, as its CI system runs it, rootful and rootless
    # without a login session.
    step "the CI recipes: GitHub Action, GitLab template, shell recipe"
    python3 contrib/ci/test_recipes.py target/release/sidepod "${SIDEPOD_TEST_USER:-sidepod-test}"
fi
step "all checks passed"
