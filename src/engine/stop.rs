//! Stopping and removing a project: in reverse dependency order, with each service's stop
//! signal and grace period; found through labels, so it works after sidepod was killed.

use std::collections::BTreeSet;
use std::time::Duration;

use super::{EngineError, Shutdown, Stack, Teardown};
use crate::backend::{Backend, ContainerInfo, ContainerState};
use crate::model::Project;
use crate::output::{Event, Output, Resource, ResourceKind};
use crate::plan::{stop_grace, Plan, LABEL_PROJECT, LABEL_SERVICE};

/// Stops the running containers in `containers`: dependents first, each group at once.
/// A second signal kills what is left.
pub async fn stop_containers(
    backend: &dyn Backend,
    known: Option<(&Project, &Plan)>,
    containers: &[ContainerInfo],
    timeout: Option<Duration>,
    output: &Output,
    shutdown: &mut Shutdown,
) -> Result<(), EngineError> {
    let running: Vec<&ContainerInfo> = containers
        .iter()
        .filter(|c| c.state == ContainerState::Running)
        .collect();
    let service_of = |c: &ContainerInfo| c.label(LABEL_SERVICE).unwrap_or_default().to_string();
    // Services the files no longer know stop first, with the first group.
    let levels: Vec<Vec<String>> = match known {
        Some((project, plan)) => plan.stop_levels(project),
        None => Vec::new(),
    };
    let placed: BTreeSet<&String> = levels.iter().flatten().collect();
    let mut groups: Vec<Vec<String>> = Vec::new();
    let unknown: Vec<String> = running
        .iter()
        .filter(|c| !placed.contains(&service_of(c)))
        .map(|c| c.name.clone())
        .collect();
    if !unknown.is_empty() {
        groups.push(unknown);
    }
    for level in &levels {
        let names: Vec<String> = running
            .iter()
            .filter(|c| level.contains(&service_of(c)))
            .map(|c| c.name.clone())
            .collect();
        if !names.is_empty() {
            groups.push(names);
        }
    }
    let mut remaining: Vec<String> = groups.iter().flatten().cloned().collect();
    for group in groups {
        for name in &group {
            output.emit(Event::container(name, Resource::Stopping));
        }
        tokio::select! {
            r = backend.stop(&group, timeout) => r?,
            _ = shutdown.escalated() => {
                output.emit(Event::Notice("Killing the remaining containers".into()));
                backend.kill(&remaining, "SIGKILL").await?;
                return Ok(());
            }
        }
        for name in &group {
            output.emit(Event::container(name, Resource::Stopped));
        }
        remaining.retain(|n| !group.contains(n));
    }
    Ok(())
}

/// Stops the stack started by `up` (all of the project's running containers).
pub async fn stop_stack(
    stack: &Stack,
    timeout: Option<Duration>,
    shutdown: &mut Shutdown,
) -> Result<(), EngineError> {
    let containers = stack
        .backend
        .containers(LABEL_PROJECT, &stack.project.name)
        .await?;
    stop_known(stack, &containers, timeout, shutdown).await
}

/// Stops `containers` of the stack, dependents first, as its plan orders them.
pub async fn stop_known(
    stack: &Stack,
    containers: &[ContainerInfo],
    timeout: Option<Duration>,
    shutdown: &mut Shutdown,
) -> Result<(), EngineError> {
    stop_containers(
        stack.backend.as_ref(),
        Some((&stack.project, &stack.plan)),
        containers,
        timeout,
        &stack.output,
        shutdown,
    )
    .await
}

/// Removes everything of project `name`: containers, pod, and with `volumes`, volumes
/// (`how` is a `Teardown::Remove`; anything else removes nothing). `known` (the loaded
/// files) orders the stop; without it, everything stops at once.
pub async fn remove_project(
    backend: &dyn Backend,
    name: &str,
    known: Option<(&Project, &Plan)>,
    how: &Teardown,
    output: &Output,
    shutdown: &mut Shutdown,
) -> Result<(), EngineError> {
    let &Teardown::Remove { volumes, timeout } = how else {
        return Ok(());
    };
    let containers = backend.containers(LABEL_PROJECT, name).await?;
    let pods = backend.pods(LABEL_PROJECT, name).await?;
    let has_order =
        known.is_some_and(|(p, _)| p.services.values().any(|s| !s.depends_on.is_empty()));
    if has_order {
        stop_containers(backend, known, &containers, timeout, output, shutdown).await?;
    }
    let names: Vec<String> = containers.iter().map(|c| c.name.clone()).collect();
    let grace = timeout.unwrap_or_else(|| {
        known
            .and_then(|(p, _)| p.services.values().map(stop_grace).max())
            .unwrap_or(Duration::from_secs(10))
    });
    if volumes && !names.is_empty() {
        // `rm --volumes` of a running container would wait its own stop timeout: stop
        // them within the grace period first.
        let running: Vec<String> = containers
            .iter()
            .filter(|c| c.state == ContainerState::Running)
            .map(|c| c.name.clone())
            .collect();
        if !has_order && !running.is_empty() {
            tokio::select! {
                r = backend.stop(&running, Some(grace)) => r?,
                _ = shutdown.escalated() => backend.kill(&running, "SIGKILL").await?,
            }
        }
        backend.remove(&names, true).await?;
    }
    for pod in &pods {
        backend.pod_remove(&pod.name, grace).await?;
        output.emit(Event::resource(
            ResourceKind::Pod,
            &pod.name,
            Resource::Removed,
        ));
    }
    if pods.is_empty() && !names.is_empty() && !volumes {
        backend.remove(&names, false).await?;
    }
    if volumes {
        let volumes: Vec<String> = backend
            .volumes(LABEL_PROJECT, name)
            .await?
            .into_iter()
            .map(|v| v.name)
            .collect();
        if !volumes.is_empty() {
            backend.volume_remove(&volumes).await?;
            for v in &volumes {
                output.emit(Event::resource(ResourceKind::Volume, v, Resource::Removed));
            }
        }
    }
    Ok(())
}
