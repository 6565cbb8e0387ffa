//! Attached `up`: streams every container's logs while watching them exit, and ends the
//! run the way Compose does with `--abort-on-container-exit`,
//! `--abort-on-container-failure` and `--exit-code-from`.

use std::time::Duration;

use tokio::task::JoinSet;

use super::{stop_stack, stream_logs, EngineError, LogSource, Shutdown, Stack, StartedContainer};
use crate::backend::LogOptions;
use crate::model::RestartPolicy;

#[derive(Debug, Clone, Default)]
pub struct AttachOptions {
    /// Stop everything when any container exits.
    pub abort_on_exit: bool,
    /// Stop everything when any container exits with a non-zero code.
    pub abort_on_failure: bool,
    /// Return this service's exit code (implies `abort_on_exit`).
    pub exit_code_from: Option<String>,
}

/// Streams logs until every container has stopped, or until an abort condition stops
/// them; returns the exit code the run should end with.
pub async fn attach(
    stack: &Stack,
    started: &[StartedContainer],
    opts: &AttachOptions,
    shutdown: &mut Shutdown,
) -> Result<i32, EngineError> {
    let abort_on_exit = opts.abort_on_exit || opts.exit_code_from.is_some();
    let sources: Vec<LogSource> = started
        .iter()
        .map(|c| LogSource {
            container: c.name.clone(),
            prefix: c.prefix.clone(),
        })
        .collect();
    let follow = LogOptions {
        follow: true,
        ..LogOptions::default()
    };
    let mut log_shutdown = shutdown.clone();
    let logs = stream_logs(
        stack.backend.clone(),
        &sources,
        &follow,
        &stack.output,
        &mut log_shutdown,
    );
    tokio::pin!(logs);
    let mut waits = JoinSet::new();
    for c in started {
        // A container podman will restart has not finished: its exit is not the end.
        if stack.project.services[&c.service].restart != RestartPolicy::No {
            continue;
        }
        let backend = stack.backend.clone();
        let c = c.clone();
        waits.spawn(async move { backend.wait(&c.name).await.map(|code| (c, code)) });
    }
    loop {
        tokio::select! {
            r = &mut logs => {
                r?;
                break;
            }
            Some(done) = waits.join_next(), if !waits.is_empty() => {
                let Ok(Ok((container, code))) = done else { continue };
                stack.output.status(&format!("{} exited with code {code}", container.prefix));
                if abort_on_exit || (opts.abort_on_failure && code != 0) {
                    stack.output.status("Aborting on container exit...");
                    waits.abort_all();
                    stop_stack(stack, None, shutdown).await?;
                    // Let the stopped containers' last lines through.
                    let _ = tokio::time::timeout(Duration::from_secs(5), &mut logs).await;
                    return exit_code(stack, started, opts, code).await;
                }
            }
        }
    }
    exit_code(stack, started, opts, 0).await
}

async fn exit_code(
    stack: &Stack,
    started: &[StartedContainer],
    opts: &AttachOptions,
    default: i64,
) -> Result<i32, EngineError> {
    let code = match &opts.exit_code_from {
        None => default,
        Some(service) => {
            let names: Vec<String> = started
                .iter()
                .filter(|c| &c.service == service)
                .map(|c| c.name.clone())
                .collect();
            stack
                .backend
                .inspect(&names)
                .await?
                .first()
                .map_or(default, |i| i.exit_code)
        }
    };
    Ok(i32::try_from(code).unwrap_or(1))
}
