//! Attached `up`: streams every container's logs while watching them exit, and ends the
//! run the way Compose does with `--abort-on-container-exit`,
//! `--abort-on-container-failure` and `--exit-code-from`.

use std::time::Duration;

use tokio::task::JoinSet;

use super::{stop_stack, stream_logs, EngineError, LogSource, Shutdown, Stack, StartedContainer};
use crate::backend::{ContainerState, LogOptions};
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
        let stack = stack.clone();
        let c = c.clone();
        waits.spawn(async move { final_exit(&stack, &c).await.map(|code| (c, code)) });
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

/// Waits until a container has exited for good. podman restarts a container under its
/// `restart:` policy inside one `podman wait`, so such a container is watched through
/// its restart count instead, and each restart is reported.
async fn final_exit(stack: &Stack, c: &StartedContainer) -> Result<i64, EngineError> {
    let policy = stack.project.services[&c.service].restart;
    if policy == RestartPolicy::No {
        return Ok(stack.backend.wait(&c.name).await?);
    }
    let mut restarts = 0;
    let mut exited_polls = 0;
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let info = stack.backend.inspect(std::slice::from_ref(&c.name)).await?;
        let Some(info) = info.first() else {
            return Ok(-1);
        };
        if info.restart_count > restarts {
            restarts = info.restart_count;
            stack.output.status(&format!(
                "{} restarted by its policy ({policy}): restart {restarts}",
                c.prefix
            ));
        }
        // Exited and staying so: the policy is done with it.
        exited_polls = if info.state == ContainerState::Exited {
            exited_polls + 1
        } else {
            0
        };
        if exited_polls >= 3 {
            return Ok(info.exit_code);
        }
    }
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
