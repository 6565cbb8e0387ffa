//! Readiness of a started service: its healthcheck (the file's, or its image's own),
//! else, for a job's sidecars, its declared TCP ports; and completion for
//! `service_completed_successfully`. Each wait has the run's deadline.

use std::collections::BTreeSet;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use super::health::{last_output, record_health, sleep_until_opt, wait_healthy, HealthOutcome};
use super::wait::{await_strategies, Limit, NotReady};
use super::{log_tail, EngineError, Shutdown, Stack, StartedContainer};
use crate::backend::{Backend, ContainerState};
use crate::model::{format_duration, Condition, Healthcheck, Project, Protocol};
use crate::output::{Event, Readiness, Resource};

/// Where a service is on its way up, as its dependents see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Status {
    Pending,
    Started,
    Healthy,
    Exited(i64),
    Failed,
}

/// What the waits of one `up` share.
pub(super) struct Waits<'a> {
    pub stack: &'a Stack,
    pub deadline: Option<Instant>,
    pub wait_timeout: Option<Duration>,
    pub began: Instant,
    /// Without any healthcheck, a service is ready once its declared ports accept
    /// connections (a job's sidecars).
    pub ports_ready: bool,
    /// Passes seen inside the containers are left for the caller to record in podman
    /// (a job does it beside its steps).
    pub defer_health_record: bool,
}

/// A wait that failed: dependents learn it, and the error says why.
fn failed(tx: &watch::Sender<Status>, name: &str, reason: String, detail: String) -> Verdict {
    tx.send_replace(Status::Failed);
    Err(EngineError::ServiceFailed {
        service: name.to_string(),
        reason,
        detail,
    })
}

/// What watching a started service found: `Err` is why it failed.
pub(super) type Verdict = Result<(), EngineError>;

/// The service's healthcheck: the file's, else the one its container was created with
/// from its image's HEALTHCHECK (none when the file disables it).
async fn configured_check(
    w: &Waits<'_>,
    name: &str,
    started: &[StartedContainer],
) -> Result<Option<Healthcheck>, EngineError> {
    let svc = &w.stack.project.services[name];
    if let Some(check) = &svc.healthcheck {
        return Ok(Some(check.clone()));
    }
    if svc.healthcheck_disabled {
        return Ok(None);
    }
    let Some(first) = started.first() else {
        return Ok(None);
    };
    let info = w
        .stack
        .backend
        .inspect(std::slice::from_ref(&first.name))
        .await?;
    Ok(info.into_iter().next().and_then(|i| i.healthcheck))
}

/// The TCP ports a service declares: `ports`, `expose`, and its image's EXPOSE.
async fn declared_ports(
    w: &Waits<'_>,
    name: &str,
    container: &str,
) -> Result<BTreeSet<u16>, EngineError> {
    let svc = &w.stack.project.services[name];
    let mut ports: BTreeSet<u16> = svc
        .ports
        .iter()
        .filter(|p| p.protocol == Protocol::Tcp)
        .map(|p| p.target)
        .chain(
            svc.expose
                .iter()
                .filter(|e| e.protocol == Protocol::Tcp)
                .map(|e| e.port),
        )
        .collect();
    let backend = &w.stack.backend;
    for info in backend.inspect(&[container.to_string()]).await? {
        if info.exposed.is_empty() && !info.image.is_empty() {
            ports.extend(backend.image_exposed(&info.image).await?);
        }
        ports.extend(info.exposed);
    }
    Ok(ports)
}

/// How often a sidecar's ports are looked at while it gets ready.
const PORT_POLL: Duration = Duration::from_millis(250);

/// Waits until every declared port of the service's containers accepts connections
/// (GitLab CI's rule for services without a healthcheck). No declared port: ready as
/// it runs.
async fn wait_ports(
    w: &Waits<'_>,
    name: &str,
    started: &mut [StartedContainer],
    tx: &watch::Sender<Status>,
    shutdown: &mut Shutdown,
) -> Result<Verdict, EngineError> {
    let backend: &dyn Backend = w.stack.backend.as_ref();
    // A dry run has nothing listening to look at.
    if backend.prints_only() {
        return Ok(Ok(()));
    }
    let mut any = false;
    for c in started.iter() {
        let wanted = declared_ports(w, name, &c.name).await?;
        if wanted.is_empty() {
            continue;
        }
        any = true;
        loop {
            let open = backend.listening(&c.name).await?;
            let closed: Vec<String> = wanted
                .iter()
                .filter(|p| !open.contains(p))
                .map(u16::to_string)
                .collect();
            if closed.is_empty() {
                break;
            }
            let info = backend.inspect(std::slice::from_ref(&c.name)).await?;
            if let Some(exited) = info.iter().find(|i| i.state == ContainerState::Exited) {
                let reason = format!(
                    "exited with code {} before port {} accepted connections",
                    exited.exit_code,
                    closed.join(", ")
                );
                return Ok(failed(
                    tx,
                    name,
                    reason,
                    log_tail(backend, &c.name, 10).await,
                ));
            }
            tokio::select! {
                _ = tokio::time::sleep(PORT_POLL) => {}
                _ = shutdown.requested() => {
                    return Err(EngineError::Interrupted(shutdown.last_signal()))
                }
                _ = sleep_until_opt(w.deadline) => {
                    let reason = format!(
                        "did not accept connections on port {} within {}",
                        closed.join(", "),
                        format_duration(w.wait_timeout.unwrap_or_default())
                    );
                    return Ok(failed(tx, name, reason, log_tail(backend, &c.name, 10).await));
                }
            }
        }
    }
    if any {
        let ready_after = w.began.elapsed();
        for c in started.iter_mut() {
            c.ready = Readiness::PortsOpen;
            c.ready_after = ready_after;
        }
    }
    Ok(Ok(()))
}

/// A service that waits for `name` to be healthy, if one does.
fn waiting_for_healthy(project: &Project, name: &str) -> Option<String> {
    project
        .services
        .values()
        .find(|s| {
            s.depends_on
                .get(name)
                .is_some_and(|d| d.condition == Condition::Healthy)
        })
        .map(|s| s.name.clone())
}

/// When something waits for the service's health: runs its healthcheck until it passes.
pub(super) async fn await_health(
    w: &Waits<'_>,
    name: &str,
    started: &mut [StartedContainer],
    tx: &watch::Sender<Status>,
    shutdown: &mut Shutdown,
) -> Result<Verdict, EngineError> {
    let stack = w.stack;
    let backend: &dyn Backend = stack.backend.as_ref();
    if !stack.project.services[name].wait.is_empty() {
        return await_strategies_of(w, name, started, tx, shutdown).await;
    }
    let Some(check) = configured_check(w, name, started).await? else {
        // Nothing to run: without a check, its ports (for a job's sidecar), or else
        // running, is as ready as it gets, unless a dependent asked for healthy.
        return Ok(match waiting_for_healthy(&stack.project, name) {
            None if w.ports_ready => wait_ports(w, name, started, tx, shutdown).await?,
            None => Ok(()),
            Some(dependent) => {
                let reason = format!(
                    "has no healthcheck, neither in the file nor in its image, so \
                     {dependent:?} cannot wait for it to be healthy; give it a \
                     healthcheck, or depend on it with condition: service_started"
                );
                failed(tx, name, reason, String::new())
            }
        });
    };
    for c in started.iter() {
        stack
            .output
            .emit(Event::container(&c.name, Resource::Waiting));
    }
    let mut unrecorded = Vec::new();
    for c in started.iter() {
        let outcome = wait_healthy(backend, &c.name, &check, w.deadline, shutdown).await?;
        let (reason, detail) = match outcome {
            HealthOutcome::Healthy => continue,
            HealthOutcome::HealthyInside => {
                unrecorded.push(c.name.clone());
                continue;
            }
            HealthOutcome::Unhealthy(output) => ("is unhealthy".to_string(), output),
            HealthOutcome::Exited(code) => (
                format!("exited with code {code} before it was healthy"),
                log_tail(backend, &c.name, 10).await,
            ),
            HealthOutcome::TimedOut => (
                format!(
                    "was not healthy within {}",
                    format_duration(w.wait_timeout.unwrap_or_default())
                ),
                last_output(backend, &c.name).await,
            ),
        };
        return Ok(failed(tx, name, reason, detail));
    }
    let verdict = mark_ready(w, started, tx, Readiness::Healthy);
    // Dependents know; podman learns it now, unless the caller does that itself later.
    if !w.defer_health_record {
        record_health(backend, &unrecorded).await;
    }
    Ok(verdict)
}

/// Every container of the service passed what it was waited for: dependents learn it.
fn mark_ready(
    w: &Waits<'_>,
    started: &mut [StartedContainer],
    tx: &watch::Sender<Status>,
    how: Readiness,
) -> Verdict {
    let ready_after = w.began.elapsed();
    for c in started.iter_mut() {
        w.stack
            .output
            .emit(Event::container(&c.name, Resource::Healthy));
        c.ready_after = ready_after;
        c.ready = how;
    }
    tx.send_replace(Status::Healthy);
    Ok(())
}

/// The service's wait strategies, on each of its containers: they replace its
/// healthcheck as what makes it ready.
async fn await_strategies_of(
    w: &Waits<'_>,
    name: &str,
    started: &mut [StartedContainer],
    tx: &watch::Sender<Status>,
    shutdown: &mut Shutdown,
) -> Result<Verdict, EngineError> {
    let stack = w.stack;
    let backend: &dyn Backend = stack.backend.as_ref();
    // A dry run has nothing to look at.
    if backend.prints_only() {
        tx.send_replace(Status::Healthy);
        return Ok(Ok(()));
    }
    let limit = Limit {
        deadline: w.deadline,
        timeout: w.wait_timeout,
    };
    let strategies = &stack.project.services[name].wait;
    for c in started.iter() {
        let outcome =
            await_strategies(backend, &c.name, strategies, w.began, &limit, shutdown).await?;
        if let Err(NotReady { reason, detail }) = outcome {
            return Ok(failed(tx, name, reason, detail));
        }
    }
    Ok(mark_ready(w, started, tx, Readiness::Waited))
}

/// When something waits for the service to complete: waits for each container's exit.
pub(super) async fn await_completion(
    w: &Waits<'_>,
    name: &str,
    started: &[StartedContainer],
    tx: &watch::Sender<Status>,
    shutdown: &mut Shutdown,
) -> Result<Verdict, EngineError> {
    let backend: &dyn Backend = w.stack.backend.as_ref();
    for c in started {
        let code = tokio::select! {
            r = backend.wait(&c.name) => r?,
            _ = shutdown.requested() => return Err(EngineError::Interrupted(shutdown.last_signal())),
        };
        w.stack
            .output
            .emit(Event::container(&c.name, Resource::Exited(code)));
        if code != 0 {
            tx.send_replace(Status::Exited(code));
            return Ok(Err(EngineError::ServiceFailed {
                service: name.to_string(),
                reason: format!("did not complete successfully: exit code {code}"),
                detail: log_tail(backend, &c.name, 10).await,
            }));
        }
    }
    tx.send_replace(Status::Exited(0));
    Ok(Ok(()))
}
