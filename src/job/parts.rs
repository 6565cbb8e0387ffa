//! What a job format contributes to the one loading path, and the errors formats share.

use crate::compose::raw::RawService;
use crate::compose::{ComposeSource, LoadError};
use std::time::Duration;

use crate::model::Step;

/// What a job format contributes to the one loading path.
pub struct JobParts {
    /// The sidecars and their volumes, networks, secrets and configs, as Compose data.
    pub compose: ComposeSource,
    /// The main container, where steps run, as a Compose service.
    pub container: RawService,
    pub steps: Vec<Step>,
    /// The job's own time limit, and its sidecars' readiness deadline.
    pub timeout: Option<Duration>,
    pub ready_timeout: Option<Duration>,
    /// `mask:`: the variables whose values are secret.
    pub mask: Vec<String>,
    pub caches: Vec<crate::model::Cache>,
    /// What the format could not carry over, said once at load (a skipped action, ...).
    pub warnings: Vec<String>,
}

/// Which job of a CI file to run, and how (`sidepod job --job`, `--format`, `--image`,
/// `--strict-actions`).
#[derive(Debug, Clone, Default)]
pub struct JobChoice {
    pub format: Option<super::Format>,
    pub job: Option<String>,
    /// The image a job that runs on the runner (no `container:`) runs its steps in.
    pub image: Option<String>,
    /// Refuse `uses:` steps instead of skipping them.
    pub strict_actions: bool,
}

pub(super) fn job_error(file: &str, at: &str, message: &str) -> LoadError {
    LoadError::Invalid {
        file: file.to_string(),
        at: at.to_string(),
        message: message.to_string(),
    }
}
