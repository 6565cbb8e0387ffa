//! `sidepod job`: run a job file's steps beside its sidecars, then clean up.

use crate::cli::JobArgs;
use crate::engine::{self, JobOptions};
use crate::error::Error;
use crate::job::restrict;
use crate::model::DEFAULT_READY_TIMEOUT;
use crate::session::Session;

pub async fn job(s: &Session, args: &JobArgs) -> Result<i32, Error> {
    // Masked before anything is loaded or printed.
    for name in &args.secrets {
        match std::env::var(name) {
            Ok(value) if !value.is_empty() => s.mask(&value, &format!("--secret {name}")),
            _ => s.warn_all(&[format!(
                "--secret {name}: {name} is not set in the environment; there is nothing to mask"
            )]),
        }
    }
    let extra = std::env::var_os("SIDEPOD_HOST_CONFIG").map(std::path::PathBuf::from);
    let restricted = args.restrict || restrict::host_restricts(extra.as_deref())?;
    let (job, project, plan) = s.load_job(
        args.file.as_deref(),
        args.project_name.as_deref(),
        restricted,
    )?;
    let stack = s.stack(project, plan)?;
    let opts = JobOptions {
        keep: args.keep,
        steps: args.steps.clone(),
        junit: args.junit.clone(),
        logs_dir: args.logs_dir.clone(),
        timeout: args.timeout.or(job.timeout),
        ready_timeout: args
            .ready_timeout
            .or(job.ready_timeout)
            .unwrap_or(DEFAULT_READY_TIMEOUT),
    };
    let mut shutdown = s.shutdown()?;
    Ok(engine::run_job(&stack, &job, &opts, &mut shutdown).await?)
}
