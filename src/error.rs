//! The top-level error, the exit code of each kind, and how it is printed.

use crate::backend::BackendError;
use crate::compose::LoadError;
use crate::engine::EngineError;
use crate::exit;
use crate::plan::PlanError;
use crate::signal::SignalError;

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
    #[error(transparent)]
    Signal(#[from] SignalError),
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
                | EngineError::Busy(..)
                | EngineError::Watch(_) => exit::RUNTIME,
                EngineError::ServiceFailed { .. } => exit::SERVICE,
                EngineError::NoSuchService(..) => exit::USAGE,
                EngineError::Interrupted(signal) => exit::signal(*signal),
                EngineError::Unrunnable(_) => exit::CONFIG,
            },
            Error::Output(_) | Error::Signal(_) => exit::RUNTIME,
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
