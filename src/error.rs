//! The top-level error, its exit codes, and how it is printed.

use crate::backend::BackendError;
use crate::compose::LoadError;
use crate::engine::EngineError;
use crate::plan::PlanError;

/// Exit codes, as documented in the README and DESIGN.
pub mod exit {
    pub const SUCCESS: i32 = 0;
    /// A podman command failed.
    pub const RUNTIME: i32 = 1;
    /// Bad flags.
    pub const USAGE: i32 = 2;
    /// The files cannot be loaded, interpolated, validated or planned; nothing was created.
    pub const CONFIG: i32 = 3;
    /// Podman is missing or unusable.
    pub const HOST: i32 = 4;
    /// A service failed: unhealthy, a wait deadline passed, or a critical sidecar died.
    pub const SERVICE: i32 = 5;
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Load(#[from] LoadError),
    /// A plan error, with the file(s) it comes from.
    #[error("{file}: {source}")]
    Plan {
        file: String,
        #[source]
        source: PlanError,
    },
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("{0}")]
    Usage(String),
    #[error("cannot write output: {0}")]
    Output(#[source] std::io::Error),
}

impl From<BackendError> for Error {
    fn from(e: BackendError) -> Self {
        Error::Engine(EngineError::Backend(e))
    }
}

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Load(_) | Error::Plan { .. } => exit::CONFIG,
            Error::Usage(_) => exit::USAGE,
            Error::Engine(e) => match e {
                EngineError::Backend(b) if b.is_host_problem() => exit::HOST,
                EngineError::Backend(_) | EngineError::HostPath { .. } => exit::RUNTIME,
                EngineError::MissingExternalVolume(_)
                | EngineError::Image { .. }
                | EngineError::NotCreated(_)
                | EngineError::NothingToWaitFor(_)
                | EngineError::NotPublished { .. }
                | EngineError::Busy(..) => exit::RUNTIME,
                EngineError::ServiceFailed { .. } => exit::SERVICE,
                EngineError::NoSuchService(..) => exit::USAGE,
                EngineError::Interrupted(signal) => 128 + signal,
            },
            Error::Output(_) => exit::RUNTIME,
        }
    }

    /// `error: ...` followed by one `caused by:` line per source.
    pub fn report(&self) -> String {
        let mut out = format!("error: {self}");
        let mut source = std::error::Error::source(self);
        // `transparent` variants show their inner error already; skip repeating it.
        if matches!(self, Error::Load(_) | Error::Plan { .. } | Error::Engine(_)) {
            source = source.and_then(std::error::Error::source);
        }
        while let Some(s) = source {
            out.push_str(&format!("\ncaused by: {s}"));
            source = s.source();
        }
        if let Error::Engine(EngineError::Backend(b)) = self {
            if let Some(known) = b.host_fix() {
                out.push_str(&format!(
                    "\nthis is a host problem: {}\nfix: {}\n(`sidepod doctor` checks the whole host)",
                    known.problem, known.fix
                ));
            }
        }
        out
    }
}
