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
}

pub(super) fn job_error(file: &str, at: &str, message: &str) -> LoadError {
    LoadError::Invalid {
        file: file.to_string(),
        at: at.to_string(),
        message: message.to_string(),
    }
}
