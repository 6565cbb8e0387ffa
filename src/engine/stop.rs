//! Stopping and removing a project: in reverse dependency order, with each service's stop
//! signal and grace period; found through labels, so it works after sidepod was killed.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;

use super::{EngineError, Shutdown, Stack, Teardown};
use crate::backend::{Backend, ContainerInfo, ContainerState};
use crate::model::Project;
use crate::output::{Event, Output, Resource, ResourceKind};
use crate::plan::{dependencies, stop_grace, Plan, COMPOSE_VOLUME, LABEL_PROJECT, LABEL_SERVICE};

/// Stops the running containers in `containers`: each service as soon as every running
/// service that depends on it has stopped, and independent services at once, so a stack
/// takes about one grace period per level of dependency, not one per service. A second
/// stop request kills what is left. A container whose main process would sleep through
/// its stop signal (a shell or `sleep` as PID 1) is killed at once: its grace period
/// would end the same way, only later.
pub async fn stop_containers(
    backend: &Arc<dyn Backend>,
    known: Option<(&Project, &Plan)>,
    containers: &[ContainerInfo],
    timeout: Option<Duration>,
    output: &Output,
    shutdown: &mut Shutdown,
) -> Result<(), EngineError> {
    let mut by_service: BTreeMap<String, Vec<&ContainerInfo>> = BTreeMap::new();
    for c in containers
        .iter()
        .filter(|c| c.state == ContainerState::Running)
    {
        let service = c.label(LABEL_SERVICE).unwrap_or_default().to_string();
        by_service.entry(service).or_default().push(c);
    }
    // For each service, the running services that must stop before it. Services the
    // files no longer know wait for nothing.
    let mut waiting: BTreeMap<String, BTreeSet<String>> = by_service
        .keys()
        .map(|s| (s.clone(), BTreeSet::new()))
        .collect();
    if let Some((project, _)) = known {
        for dependent in by_service.keys() {
            let Some(svc) = project.services.get(dependent) else {
                continue;
            };
            for dep in dependencies(svc, &project.services) {
                if let Some(blocked) = waiting.get_mut(dep) {
                    blocked.insert(dependent.clone());
                }
            }
        }
    }
    let running: Vec<&ContainerInfo> = by_service.values().flatten().copied().collect();
    let deaf = deaf_among(backend, &running, timeout).await;
    let mut stopping = JoinSet::new();
    loop {
        let free: Vec<String> = waiting
            .iter()
            .filter(|(_, before)| before.is_empty())
            .map(|(s, _)| s.clone())
            .collect();
        for service in &free {
            waiting.remove(service);
        }
        // A service whose stop lets another one go is stopped in a call of its own, so
        // that the other goes as soon as it has stopped; the rest, which nothing waits
        // for, share one call: one podman process stops them all at once.
        let (awaited, unawaited): (Vec<String>, Vec<String>) = free
            .into_iter()
            .partition(|s| waiting.values().any(|before| before.contains(s)));
        let mut batches: Vec<Vec<String>> = awaited.into_iter().map(|s| vec![s]).collect();
        if !unawaited.is_empty() {
            batches.push(unawaited);
        }
        for services in batches {
            let mut names: Vec<String> = Vec::new();
            for service in &services {
                let ours: Vec<String> =
                    by_service[service].iter().map(|c| c.name.clone()).collect();
                let pre_stop = known
                    .and_then(|(p, _)| p.services.get(service))
                    .map(|s| s.pre_stop.as_slice())
                    .unwrap_or_default();
                for name in ours.iter().filter(|_| !pre_stop.is_empty()) {
                    // It is stopped whatever its hook says.
                    if let Err(e) =
                        super::hooks::run_in(backend, service, "pre_stop", name, pre_stop).await
                    {
                        output.warn(&e.to_string());
                    }
                }
                names.extend(ours);
            }
            for name in &names {
                output.emit(Event::container(name, Resource::Stopping));
            }
            let (deaf, hearing): (Vec<String>, Vec<String>) =
                names.iter().cloned().partition(|n| deaf.contains(n));
            let backend = backend.clone();
            stopping.spawn(async move {
                let stop = |names: Vec<String>, timeout| {
                    let backend = backend.clone();
                    async move {
                        if names.is_empty() {
                            return Ok(());
                        }
                        backend.stop(&names, timeout).await
                    }
                };
                let (now, graceful) =
                    tokio::join!(stop(deaf, Some(Duration::ZERO)), stop(hearing, timeout));
                (services, names, now.and(graceful))
            });
        }
        let next = tokio::select! {
            next = stopping.join_next() => next,
            _ = shutdown.escalated() => {
                stopping.abort_all();
                output.emit(Event::Notice("Killing the remaining containers".into()));
                let left: Vec<String> =
                    by_service.into_values().flatten().map(|c| c.name.clone()).collect();
                // Some have stopped in the meantime, which is what killing is for.
                if let Err(e) = backend.kill(&left, "SIGKILL").await {
                    tracing::debug!("killing {}: {e}", left.join(" "));
                }
                return Ok(());
            }
        };
        let Some(joined) = next else { break };
        let (services, names, stopped) = match joined {
            Ok(done) => done,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(_) => continue,
        };
        stopped?;
        for name in &names {
            output.emit(Event::container(name, Resource::Stopped));
        }
        for service in &services {
            by_service.remove(service);
            for before in waiting.values_mut() {
                before.remove(service);
            }
        }
    }
    Ok(())
}

/// The ones of `containers` to stop at once, without `timeout`: those whose PID 1 would
/// sleep through its stop signal, so that their grace period could only end in the kill.
pub(super) async fn deaf_among(
    backend: &Arc<dyn Backend>,
    containers: &[&ContainerInfo],
    timeout: Option<Duration>,
) -> BTreeSet<String> {
    if timeout == Some(Duration::ZERO) {
        return BTreeSet::new();
    }
    let deaf = backend.ignoring_stop(containers).await;
    if !deaf.is_empty() {
        let names: Vec<&str> = deaf.iter().map(String::as_str).collect();
        tracing::debug!(
            "stopped at once, deaf to their stop signal: {}",
            names.join(" ")
        );
    }
    deaf
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
        &stack.backend,
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
    backend: &Arc<dyn Backend>,
    name: &str,
    known: Option<(&Project, &Plan)>,
    how: &Teardown,
    output: &Output,
    shutdown: &mut Shutdown,
) -> Result<(), EngineError> {
    let &Teardown::Remove {
        volumes,
        timeout,
        all_in_pod,
    } = how
    else {
        return Ok(());
    };
    let project = known.map(|(p, _)| p);
    // A teardown runs after a signal too: only giving up on it ends the wait.
    let _lock = tokio::select! {
        lock = super::lock::project(name, output) => lock,
        _ = shutdown.abandoned() => return Err(EngineError::Interrupted(shutdown.last_signal())),
    };
    // A grace period of zero: removed at once, killed, in one call (a job's end, `down
    // -t 0`). Else stopped first, concurrently along the dependency graph: a removal of
    // running containers would stop them one after the other.
    let now = timeout == Some(Duration::ZERO);
    if let Some(pod) = known.filter(|_| now).and_then(|(_, plan)| pod_of(plan)) {
        let pod = PodRemoval {
            pod,
            all_in_pod,
            volumes,
        };
        return remove_pod_first(backend, name, project, pod, output).await;
    }
    let (containers, pods) = tokio::join!(
        super::leftovers::containers(backend, name, project, output),
        backend.pods(LABEL_PROJECT, name)
    );
    let (containers, pods) = (containers?, pods?);
    if !now {
        stop_containers(backend, known, &containers, timeout, output, shutdown).await?;
    }
    let names: Vec<String> = containers.iter().map(|c| c.name.clone()).collect();
    let grace = timeout.unwrap_or_else(|| {
        known
            .and_then(|(p, _)| p.services.values().map(stop_grace).max())
            .unwrap_or(Duration::from_secs(10))
    });
    // With a pod, its removal by force is the one call: it stops and removes the
    // containers, and their anonymous volumes with them (podman 4 and 5), so a job's end
    // and `down` are one pod removal. Without one (bridge mode), the containers go first.
    if !names.is_empty() && pods.is_empty() {
        let removed = if now {
            backend.remove_now(&names, volumes).await
        } else {
            backend.remove(&names, volumes).await
        };
        match removed {
            Ok(()) => {}
            // Removing the pod by force removes its containers too.
            Err(e) if !pods.is_empty() => {
                tracing::debug!("removing the containers failed ({e}); removing the pod by force")
            }
            Err(e) => return Err(e.into()),
        }
    }
    for pod in &pods {
        backend.pod_remove(&pod.name, grace).await?;
        output.emit(Event::resource(
            ResourceKind::Pod,
            &pod.name,
            Resource::Removed,
        ));
    }
    // Networks are bridge mode's; a project in a pod has none to look for.
    let in_pod = !pods.is_empty() && known.is_some_and(|(_, plan)| !plan.layout.is_bridge());
    if !in_pod {
        let networks: Vec<String> = backend
            .networks(LABEL_PROJECT, name)
            .await?
            .into_iter()
            .map(|n| n.name)
            .collect();
        if !networks.is_empty() {
            backend.network_remove(&networks).await?;
            for n in &networks {
                output.emit(Event::resource(ResourceKind::Network, n, Resource::Removed));
            }
        }
    }
    if volumes {
        remove_volumes(backend.as_ref(), name, known.map(|(p, _)| p), output).await?;
    }
    Ok(())
}

/// The pod a planned stack runs in; none in bridge mode.
fn pod_of(plan: &Plan) -> Option<&str> {
    (!plan.layout.is_bridge()).then_some(plan.pod.name.as_str())
}

/// A pod removed at once: its name, whether every container of the project is known to
/// be in it, and whether the project's volumes go too.
struct PodRemoval<'a> {
    pod: &'a str,
    all_in_pod: bool,
    volumes: bool,
}

/// Removal at once of a stack in a pod whose name the files give: the pod's forced
/// removal comes first, with no listing before it, and takes its containers and their
/// anonymous volumes with it; then, unless all were known to be in it, whatever of the
/// project is left outside it (a one-off container, a leftover in podman's storage) is
/// looked for and removed.
async fn remove_pod_first(
    backend: &Arc<dyn Backend>,
    name: &str,
    project: Option<&Project>,
    removal: PodRemoval<'_>,
    output: &Output,
) -> Result<(), EngineError> {
    let PodRemoval {
        pod,
        all_in_pod,
        volumes,
    } = removal;
    match backend.pod_remove(pod, Duration::ZERO).await {
        Ok(()) => output.emit(Event::resource(ResourceKind::Pod, pod, Resource::Removed)),
        Err(e) if e.already_gone() => {}
        Err(e) => return Err(e.into()),
    }
    if !all_in_pod {
        let rest: Vec<String> = super::leftovers::containers(backend, name, project, output)
            .await?
            .into_iter()
            .map(|c| c.name)
            .collect();
        if !rest.is_empty() {
            backend.remove_now(&rest, volumes).await?;
        }
    }
    if volumes {
        remove_volumes(backend.as_ref(), name, project, output).await?;
    }
    Ok(())
}

/// The project's own named volumes: those it created (with the Compose volume label),
/// never one the files declare `external`, whatever its labels say.
async fn remove_volumes(
    backend: &dyn Backend,
    name: &str,
    known: Option<&Project>,
    output: &Output,
) -> Result<(), EngineError> {
    let external: BTreeSet<String> = known
        .map(|p| {
            p.volumes
                .iter()
                .filter(|(_, v)| v.external)
                .map(|(key, _)| p.volume_name(key))
                .collect()
        })
        .unwrap_or_default();
    // With the files, only the volumes they declare are the project's (as `docker compose
    // down -v` has it): with none of its own to remove, there is nothing to look for.
    if known.is_some_and(|p| p.volumes.values().all(|v| v.external)) {
        return Ok(());
    }
    let volumes: Vec<String> = backend
        .volumes(LABEL_PROJECT, name)
        .await?
        .into_iter()
        .filter(|v| v.labels.contains_key(COMPOSE_VOLUME) && !external.contains(&v.name))
        .map(|v| v.name)
        .collect();
    if !volumes.is_empty() {
        backend.volume_remove(&volumes).await?;
        for v in &volumes {
            output.emit(Event::resource(ResourceKind::Volume, v, Resource::Removed));
        }
    }
    Ok(())
}
