//! The one teardown path: how a run leaves its stack on every exit path. Attached `up`,
//! `run` and `job` all end through it; `down` removes a project through
//! `remove_project`, which a job's teardown uses too.
//!
//! A third stop request gives teardown up: it returns at once, and `main` exits with the
//! signal's code (podman children die with their dropped futures).

use std::future::Future;
use std::time::Duration;

use super::stop::{remove_project, stop_stack};
use super::{EngineError, Shutdown, Stack};
use crate::output::{Event, Resource, ResourceKind};
use crate::plan::LABEL_PROJECT;

/// What teardown does with the stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Teardown {
    /// Leave everything as it is (`up -d`, `job --keep`).
    Keep,
    /// Stop the containers, dependents first, and keep them (attached `up` stopped by a
    /// signal or an abort, as Compose does); stop the pod too, so no port stays bound.
    Stop { timeout: Option<Duration> },
    /// Remove containers and pod, and with `volumes` the project's volumes (a job's end).
    Remove {
        volumes: bool,
        timeout: Option<Duration>,
        /// Every container of the project is known to be in its pod (a job whose stack
        /// came up whole): removed at once, the pod takes them all, and nothing of the
        /// project is looked for after it.
        all_in_pod: bool,
    },
}

/// Tears the stack down as `how` says. A second stop request kills what still runs; a
/// third gives up and returns the interruption.
pub async fn teardown(
    stack: &Stack,
    how: &Teardown,
    shutdown: &mut Shutdown,
) -> Result<(), EngineError> {
    let mut inner = shutdown.clone();
    let work = async {
        match how {
            Teardown::Keep => Ok(()),
            Teardown::Stop { timeout } => stop_pod(stack, *timeout, &mut inner).await,
            Teardown::Remove { .. } => {
                remove_project(
                    &stack.backend,
                    &stack.project.name,
                    Some((&stack.project, &stack.plan)),
                    how,
                    &stack.output,
                    &mut inner,
                )
                .await
            }
        }
    };
    tokio::select! {
        r = work => r,
        _ = shutdown.abandoned() => Err(EngineError::Interrupted(shutdown.last_signal())),
    }
}

/// Stops the stack and then its pod, so that no infra container keeps the published
/// ports bound; a pod that holds no container yet (a stop during its creation) is
/// removed, as there is nothing in it to keep.
async fn stop_pod(
    stack: &Stack,
    timeout: Option<Duration>,
    shutdown: &mut Shutdown,
) -> Result<(), EngineError> {
    stop_stack(stack, timeout, shutdown).await?;
    let backend = &stack.backend;
    let name = &stack.project.name;
    let pods = backend.pods(LABEL_PROJECT, name).await?;
    if pods.is_empty() {
        return Ok(());
    }
    let empty = backend.containers(LABEL_PROJECT, name).await?.is_empty();
    let grace = timeout.unwrap_or_default();
    for pod in pods {
        if empty {
            backend.pod_remove(&pod.name, grace).await?;
            stack.output.emit(Event::resource(
                ResourceKind::Pod,
                &pod.name,
                Resource::Removed,
            ));
        } else {
            backend.pod_stop(&pod.name, grace).await?;
        }
    }
    Ok(())
}

/// Runs `work`; when a stop request ends it, tears down as `how` says, then returns the
/// interruption. Other outcomes are returned as they are.
pub async fn or_teardown<T>(
    stack: &Stack,
    how: &Teardown,
    shutdown: &mut Shutdown,
    work: impl Future<Output = Result<T, EngineError>>,
) -> Result<T, EngineError> {
    match work.await {
        Err(EngineError::Interrupted(sig)) => {
            teardown(stack, how, shutdown).await?;
            Err(EngineError::Interrupted(sig))
        }
        other => other,
    }
}
