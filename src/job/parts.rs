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

/// The `sh -c` text that runs `script` with a shell `command`, `{0}` standing for the
/// script's file, as CI systems run a step: the script is written to a file first.
pub(super) fn script_file(script: &str, command: &str) -> String {
    let end = format!(
        "SIDEPOD_SCRIPT_{}",
        crate::model::fingerprint(script.as_bytes())
    );
    format!(
        "f=$(mktemp) && cat > \"$f\" <<'{end}'\n{script}\n{end}\n{} ; rc=$?; rm -f \"$f\"; exit $rc",
        command.replace("{0}", "\"$f\"")
    )
}

/// The job of a CI file to run: the one named, else the only one.
pub(super) fn pick_job(
    names: &[String],
    wanted: Option<&str>,
    kind: &str,
    display: &str,
) -> Result<String, LoadError> {
    match (wanted, names) {
        (Some(n), _) if names.iter().any(|x| x == n) => Ok(n.to_string()),
        (Some(n), _) => Err(job_error(
            display,
            "jobs",
            &format!("no job {n:?}; the {kind} has: {}", names.join(", ")),
        )),
        (None, [only]) => Ok(only.clone()),
        (None, _) => Err(job_error(
            display,
            "jobs",
            &format!(
                "the {kind} has {} jobs ({}); choose one with --job",
                names.len(),
                names.join(", ")
            ),
        )),
    }
}

pub(super) fn job_error(file: &str, at: &str, message: &str) -> LoadError {
    LoadError::Invalid {
        file: file.to_string(),
        at: at.to_string(),
        message: message.to_string(),
    }
}
