//! `sidepod job`: run a job file's steps beside its sidecars, then clean up.

use std::sync::Arc;

use crate::app::{backend, load_options, output, shutdown_on_signals};
use crate::cli::{GlobalOptions, JobArgs};
use crate::engine::Stack;
use crate::error::Error;
use crate::job::{self, JobOptions};

pub async fn job(g: &GlobalOptions, args: &JobArgs) -> Result<i32, Error> {
    let mut g = g.clone();
    if let Some(f) = &args.file {
        g.files = vec![f.clone()];
    }
    if let Some(p) = &args.project_name {
        g.project_name = Some(p.clone());
    }
    let job = job::load_job(&load_options(&g))?;
    for w in &job.project.warnings {
        crate::output::warn(w);
    }
    let (project, plan) = job::plan_job(&job).map_err(|source| Error::Plan {
        file: job.file.display().to_string(),
        source,
    })?;
    let stack = Stack {
        backend: backend(&g)?,
        project: Arc::new(project),
        plan: Arc::new(plan),
        output: output(&g),
    };
    let opts = JobOptions {
        keep: args.keep,
        steps: args.steps.clone(),
        junit: args.junit.clone(),
        logs_dir: args.logs_dir.clone(),
        timeout: args.timeout,
    };
    let mut shutdown = shutdown_on_signals();
    Ok(job::run_job(&stack, &job, &opts, &mut shutdown).await?)
}
