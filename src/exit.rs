//! Every exit code sidepod ends with, in one place; the README and DESIGN document them.

pub const SUCCESS: i32 = 0;
/// A podman command failed.
pub const RUNTIME: i32 = 1;
/// Bad flags.
pub const USAGE: i32 = 2;
/// The files cannot be loaded, interpolated, validated or planned; nothing was created.
pub const CONFIG: i32 = 3;
/// Podman is missing or unusable (also `doctor` when anything must be fixed).
pub const HOST: i32 = 4;
/// A service failed: unhealthy, a wait deadline passed, or a critical sidecar died.
pub const SERVICE: i32 = 5;
/// A job or one of its steps ran out of time, as `timeout(1)` says it.
pub const TIMED_OUT: i32 = 124;

/// Stopped by signal `n`, after teardown: 130 for Ctrl-C, 143 for SIGTERM.
pub const fn signal(n: i32) -> i32 {
    128 + n
}

/// A job's exit code for a step that exited with `code`: the code itself when a process
/// can exit with it, else 1.
pub fn step(code: i64) -> i32 {
    i32::try_from(code)
        .ok()
        .filter(|c| (1..=255).contains(c))
        .unwrap_or(RUNTIME)
}

/// A foreground command's own exit code (`exec`, `run`, `wait`), passed on.
pub fn passed_on(code: i64) -> i32 {
    i32::try_from(code).unwrap_or(RUNTIME)
}
