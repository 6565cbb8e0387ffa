#!/usr/bin/env bash
# Runs one CI job with sidepod and keeps its reports, on any CI host, rootful or rootless,
# with or without a login session. Its exit code is the job's.
#   SIDEPOD_FILE      the job file (default: sidepod finds sidepod.yaml, or give a CI
#                     file: .github/workflows/ci.yml, .gitlab-ci.yml, ...)
#   SIDEPOD_JOB       which job of a CI file
#   SIDEPOD_JUNIT     the JUnit report (default: sidepod-junit.xml)
#   SIDEPOD_LOGS_DIR  every container's log, one file each (default: sidepod-logs)
#   SIDEPOD_ARGS      more arguments for `sidepod job` (split on spaces)
set -euo pipefail
# Without a login session (su, runuser, cron, most runners) podman keeps its state under
# /tmp/podman-run-UID; an XDG_RUNTIME_DIR that this user cannot write would break it.
if [ -n "${XDG_RUNTIME_DIR:-}" ] && [ ! -w "$XDG_RUNTIME_DIR" ]; then
    echo "note: XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR is not writable here; unsetting it" >&2
    unset XDG_RUNTIME_DIR
fi
args=(job --junit "${SIDEPOD_JUNIT:-sidepod-junit.xml}" --logs-dir "${SIDEPOD_LOGS_DIR:-sidepod-logs}")
[ -n "${SIDEPOD_FILE:-}" ] && args+=(-f "$SIDEPOD_FILE")
[ -n "${SIDEPOD_JOB:-}" ] && args+=(--job "$SIDEPOD_JOB")
# shellcheck disable=SC2206
[ -n "${SIDEPOD_ARGS:-}" ] && args+=($SIDEPOD_ARGS)
exec sidepod "${args[@]}"
