//! `BackendError`: a podman call that could not run, or failed.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("podman was not found{}; install it (Debian/Ubuntu: apt-get install podman; Fedora: dnf install podman) or give its path with --podman, then run `sidepod doctor`", searched.as_ref().map(|p| format!(" at {}", p.display())).unwrap_or_default())]
    NotFound { searched: Option<PathBuf> },
    #[error("cannot run {program}: {source}")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },
    /// A podman command exited non-zero: its argv, status and trimmed stderr.
    #[error("`{}` failed (exit {}): {stderr}", super::shell_join(argv), status.map_or("signal".to_string(), |s| s.to_string()))]
    Command {
        argv: Vec<String>,
        status: Option<i32>,
        stderr: String,
    },
    #[error("cannot read the output of `{}`: {message}", super::shell_join(argv))]
    Output { argv: Vec<String>, message: String },
}

impl BackendError {
    /// True when podman itself is missing or cannot start at all (a host problem).
    pub fn is_host_problem(&self) -> bool {
        matches!(
            self,
            BackendError::NotFound { .. } | BackendError::Spawn { .. }
        )
    }
}
