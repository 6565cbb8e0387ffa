//! Running stacks over a `Backend`: up, health, logs, stop and down. Async; every wait
//! sits in a `select!` beside the shutdown signal.

mod attach;
mod control;
mod error;
mod follow;
mod health;
mod hooks;
mod images;
mod job;
mod leftovers;
mod limits;
mod lock;
mod pod;
mod preflight;
pub mod pulls;
mod ready;
mod stop;
mod supervise;
mod teardown;
mod up;
mod wait;
mod watch;

use std::sync::Arc;

use tokio::sync::mpsc;

pub use attach::{stream_logs, LogSource};
pub use control::{
    kill, pause, port, remove_stopped, restart, run_oneoff, start, stop, top, unpause,
    wait_stopped, Exited, RunOptions,
};
pub use error::EngineError;
pub use follow::Events;
pub use health::{refresh_health, wait_healthy, HealthOutcome};
pub use images::forwards_an_agent;
pub use job::{
    owner, reap_stale, run_job, run_job_finished, run_matrix, Finished, JobOptions, Outcome,
    StepReport, Variant,
};
pub use stop::{remove_project, stop_containers, stop_known, stop_stack};
pub use supervise::{attach, up_attached, AttachOptions};
pub use teardown::{or_teardown, teardown, Teardown};
pub use up::{up, StartedContainer, UpOptions};
pub use watch::{check as check_watch, watch, Replacing, WatchOptions};

pub use crate::signal::{Shutdown, ShutdownTrigger};

#[cfg(test)]
mod tests;

use crate::backend::{Backend, LogOptions};
use crate::model::Project;
use crate::output::Output;
use crate::plan::Plan;

/// What every engine operation works on: the backend, the project, its plan, the output.
#[derive(Clone)]
pub struct Stack {
    pub backend: Arc<dyn Backend>,
    pub project: Arc<Project>,
    pub plan: Arc<Plan>,
    pub output: Arc<Output>,
}

#[cfg(test)]
impl Stack {
    /// A stack over a test backend, with quiet output.
    pub fn for_tests(backend: Arc<dyn Backend>, project: Project, plan: Plan) -> Stack {
        Stack {
            backend,
            project: Arc::new(project),
            plan: Arc::new(plan),
            output: Arc::new(Output::new(
                crate::cli::Ansi::Never,
                crate::output::ProgressStyle::Quiet,
            )),
        }
    }
}

/// The last `lines` lines of a container's output, for error reports.
pub async fn log_lines(backend: &dyn Backend, container: &str, lines: usize) -> Vec<String> {
    let (tx, mut rx) = mpsc::channel::<crate::backend::LogLine>(lines.max(1) + 16);
    let opts = LogOptions {
        follow: false,
        tail: Some(lines),
        ..LogOptions::default()
    };
    let collect = async {
        let mut out = Vec::new();
        while let Some(l) = rx.recv().await {
            out.push(l.text);
        }
        out
    };
    let (_, out) = tokio::join!(backend.logs(container, &opts, tx), collect);
    out
}

/// The same, as a block of text for an error message (empty when there is no output).
pub async fn log_tail(backend: &dyn Backend, container: &str, lines: usize) -> String {
    let out = log_lines(backend, container, lines).await;
    if out.is_empty() {
        return String::new();
    }
    let shown: Vec<String> = out.iter().map(|l| format!("  {container} | {l}")).collect();
    format!("last log lines:\n{}", shown.join("\n"))
}
