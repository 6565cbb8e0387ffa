//! Service control with Compose semantics: `start` (a service and what it depends on),
//! `stop` (only the named ones, dependents first), `restart`, `kill`, and one-off `run`.

use std::collections::BTreeMap;
use std::time::Duration;

use super::{or_teardown, stop_known, up, EngineError, Shutdown, Stack, Teardown, UpOptions};
use crate::backend::{ContainerInfo, ContainerSpec, ContainerState};
use crate::model::Protocol;
use crate::output::{Event, Resource};
use crate::plan::{container_spec, COMPOSE_ONEOFF, LABEL_PROJECT, LABEL_SERVICE};

/// The project's service containers (not one-offs) of `services` (all when empty).
pub(super) async fn service_containers(
    stack: &Stack,
    services: &[String],
) -> Result<Vec<ContainerInfo>, EngineError> {
    EngineError::check_services(services, &stack.project)?;
    let mut all = stack
        .backend
        .containers(LABEL_PROJECT, &stack.project.name)
        .await?;
    all.retain(|c| {
        c.label(COMPOSE_ONEOFF) != Some("True")
            && (services.is_empty()
                || services
                    .iter()
                    .any(|s| Some(s.as_str()) == c.label(LABEL_SERVICE)))
    });
    all.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(all)
}

/// Starts the existing containers of `services` and of what they depend on, in order.
pub async fn start(stack: &Stack, services: &[String]) -> Result<(), EngineError> {
    let order = stack
        .plan
        .select(&stack.project, services, false)
        .map_err(|unknown| EngineError::no_such_service(&unknown, &stack.project))?;
    let containers = service_containers(stack, &[]).await?;
    for service in order {
        let mine: Vec<&ContainerInfo> = containers
            .iter()
            .filter(|c| c.label(LABEL_SERVICE) == Some(&service))
            .collect();
        if mine.is_empty() {
            return Err(EngineError::NotCreated(service));
        }
        let stopped: Vec<String> = mine
            .iter()
            .filter(|c| c.state != ContainerState::Running)
            .map(|c| c.name.clone())
            .collect();
        if !stopped.is_empty() {
            stack.backend.start(&stopped).await?;
            for n in &stopped {
                stack.output.emit(Event::container(n, Resource::Started));
            }
        }
    }
    Ok(())
}

/// Stops only `services` (all when empty), dependents first.
pub async fn stop(
    stack: &Stack,
    services: &[String],
    timeout: Option<Duration>,
    shutdown: &mut Shutdown,
) -> Result<(), EngineError> {
    let containers = service_containers(stack, services).await?;
    stop_known(stack, &containers, timeout, shutdown).await
}

/// Restarts the containers of `services` (all when empty); then, as Compose does, those
/// of the services that declare `depends_on: {S: {restart: true}}` on one of them.
pub async fn restart(
    stack: &Stack,
    services: &[String],
    timeout: Option<Duration>,
    followers: bool,
) -> Result<(), EngineError> {
    let containers = service_containers(stack, &[]).await?;
    EngineError::check_services(services, &stack.project)?;
    let named: Vec<String> = if services.is_empty() {
        stack.project.services.keys().cloned().collect()
    } else {
        services.to_vec()
    };
    let followers = if followers {
        restart_followers(&stack.project, &named)
    } else {
        Vec::new()
    };
    for (group, why) in [(&named, None), (&followers, Some(&named))] {
        let chosen: Vec<&ContainerInfo> = containers
            .iter()
            .filter(|c| {
                c.label(LABEL_SERVICE)
                    .is_some_and(|s| group.iter().any(|g| g == s))
            })
            .collect();
        if chosen.is_empty() {
            continue;
        }
        let names: Vec<String> = chosen.iter().map(|c| c.name.clone()).collect();
        // Those that would sleep through their stop signal restart without the wait.
        let deaf = super::stop::deaf_among(&stack.backend, &chosen, timeout).await;
        let (now, graceful): (Vec<String>, Vec<String>) =
            names.iter().cloned().partition(|n| deaf.contains(n));
        let restart = |names: Vec<String>, timeout| async move {
            if names.is_empty() {
                return Ok(());
            }
            stack.backend.restart(&names, timeout).await
        };
        let (now, graceful) = tokio::join!(
            restart(now, Some(Duration::ZERO)),
            restart(graceful, timeout)
        );
        now.and(graceful)?;
        for n in &names {
            let after = why.map(|deps| deps.join(", "));
            stack
                .output
                .emit(Event::container(n, Resource::Restarted(after)));
        }
    }
    Ok(())
}

/// The services, not among `named`, that must restart after them: each declares
/// `restart: true` on one of them, or on another such service.
fn restart_followers(project: &crate::model::Project, named: &[String]) -> Vec<String> {
    let mut followers: Vec<String> = Vec::new();
    loop {
        let next = project.services.values().find(|s| {
            !named.contains(&s.name)
                && !followers.contains(&s.name)
                && s.depends_on
                    .iter()
                    .any(|(dep, d)| d.restart && (named.contains(dep) || followers.contains(dep)))
        });
        match next {
            Some(s) => followers.push(s.name.clone()),
            None => return followers,
        }
    }
}

pub async fn kill(stack: &Stack, services: &[String], signal: &str) -> Result<(), EngineError> {
    let names = containers_in_state(stack, services, ContainerState::Running).await?;
    if !names.is_empty() {
        stack.backend.kill(&names, signal).await?;
        report(stack, &names, Resource::Killed(signal.to_string()));
    }
    Ok(())
}

/// Freezes the running containers of `services` (all when empty).
pub async fn pause(stack: &Stack, services: &[String]) -> Result<(), EngineError> {
    let names = containers_in_state(stack, services, ContainerState::Running).await?;
    if !names.is_empty() {
        stack.backend.pause(&names).await?;
        report(stack, &names, Resource::Paused);
    }
    Ok(())
}

pub async fn unpause(stack: &Stack, services: &[String]) -> Result<(), EngineError> {
    let names = containers_in_state(stack, services, ContainerState::Paused).await?;
    if !names.is_empty() {
        stack.backend.unpause(&names).await?;
        report(stack, &names, Resource::Unpaused);
    }
    Ok(())
}

/// Removes the stopped containers of `services` (all when empty); with `stop_first`,
/// stops the running ones first (dependents first). Returns how many were removed.
pub async fn remove_stopped(
    stack: &Stack,
    services: &[String],
    stop_first: bool,
    volumes: bool,
    shutdown: &mut Shutdown,
) -> Result<usize, EngineError> {
    if stop_first {
        stop(stack, services, None, shutdown).await?;
    }
    let names: Vec<String> = service_containers(stack, services)
        .await?
        .into_iter()
        .filter(|c| !matches!(c.state, ContainerState::Running | ContainerState::Paused))
        .map(|c| c.name)
        .collect();
    if !names.is_empty() {
        stack.backend.remove(&names, volumes).await?;
        report(stack, &names, Resource::Removed);
    }
    Ok(names.len())
}

/// Where replica `index` of `service` publishes `port`: the host addresses.
pub async fn port(
    stack: &Stack,
    service: &str,
    port: u16,
    protocol: Protocol,
    index: u32,
) -> Result<Vec<String>, EngineError> {
    let project = &stack.project;
    let svc = project
        .services
        .get(service)
        .ok_or_else(|| EngineError::no_such_service(service, project))?;
    if !svc
        .ports
        .iter()
        .any(|p| p.target == port && p.protocol == protocol)
    {
        return Err(EngineError::NotPublished {
            service: service.to_string(),
            port: format!("{port}/{}", protocol.as_str()),
        });
    }
    let name = crate::plan::container_name(&project.name, svc, index);
    let running = containers_in_state(stack, &[service.to_string()], ContainerState::Running)
        .await?
        .contains(&name);
    if !running {
        return Err(EngineError::NotCreated(service.to_string()));
    }
    Ok(stack.backend.port(&name, port, protocol.as_str()).await?)
}

/// The processes of each running container of `services` (all when empty), by container.
pub async fn top(stack: &Stack, services: &[String]) -> Result<Vec<(String, String)>, EngineError> {
    let mut tables = Vec::new();
    for name in containers_in_state(stack, services, ContainerState::Running).await? {
        let table = stack.backend.top(&name).await?;
        tables.push((name, table));
    }
    Ok(tables)
}

/// The names of the service containers of `services` (all when empty) in `state`.
async fn containers_in_state(
    stack: &Stack,
    services: &[String],
    state: ContainerState,
) -> Result<Vec<String>, EngineError> {
    Ok(service_containers(stack, services)
        .await?
        .into_iter()
        .filter(|c| c.state == state)
        .map(|c| c.name)
        .collect())
}

fn report(stack: &Stack, names: &[String], what: Resource) {
    for n in names {
        stack.output.emit(Event::container(n, what.clone()));
    }
}

/// How a waited-for container ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exited {
    pub container: String,
    pub code: i64,
}

/// Waits until the containers of `services` (all when empty) have stopped, reporting each
/// as it does, in the order they stop; with `first_only`, returns after the first. A
/// signal ends the wait and leaves the containers as they are.
pub async fn wait_stopped(
    stack: &Stack,
    services: &[String],
    first_only: bool,
    shutdown: &mut Shutdown,
) -> Result<Vec<Exited>, EngineError> {
    let containers = service_containers(stack, services).await?;
    if containers.is_empty() {
        let what = match services {
            [] => format!("project {:?}", stack.project.name),
            [one] => format!("service {one:?}"),
            _ => format!("services {}", services.join(", ")),
        };
        return Err(EngineError::NothingToWaitFor(what));
    }
    let mut waits = tokio::task::JoinSet::new();
    for c in containers {
        let backend = stack.backend.clone();
        waits.spawn(async move {
            let code = backend.wait(&c.name).await;
            (c.name, code)
        });
    }
    let mut exited = Vec::new();
    loop {
        let next = tokio::select! {
            next = waits.join_next() => next,
            _ = shutdown.requested() => {
                return Err(EngineError::Interrupted(shutdown.last_signal()));
            }
        };
        let Some(joined) = next else { break };
        let (container, code) = match joined {
            Ok(done) => done,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            // Only aborted tasks end without a result, and none is aborted here.
            Err(_) => continue,
        };
        let code = code?;
        stack
            .output
            .emit(Event::container(&container, Resource::Exited(code)));
        exited.push(Exited { container, code });
        if first_only {
            break;
        }
    }
    Ok(exited)
}

/// How a one-off container differs from the service's own.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub command: Option<Vec<String>>,
    pub entrypoint: Option<Vec<String>>,
    pub env: BTreeMap<String, String>,
    pub workdir: Option<String>,
    pub user: Option<String>,
    pub name: Option<String>,
    pub remove: bool,
    pub no_deps: bool,
    pub tty: bool,
    /// Start it and return its name instead of its exit code (`run -d`).
    pub detach: bool,
    pub labels: BTreeMap<String, String>,
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
    pub mounts: Vec<crate::model::Mount>,
    /// Ports published for it (bridge mode): `-p`, and the service's own with
    /// `--service-ports`.
    pub ports: Vec<crate::model::Port>,
    pub service_ports: bool,
    /// Its service's names on the networks (bridge mode), else none of them.
    pub use_aliases: bool,
    /// Build its image first, even when it exists.
    pub build: bool,
    pub remove_orphans: bool,
}

/// Runs a one-off container of `service` in the project's pod, its dependencies started
/// first; returns its exit code.
pub async fn run_oneoff(
    stack: &Stack,
    service: &str,
    opts: &RunOptions,
    shutdown: &mut Shutdown,
) -> Result<i64, EngineError> {
    let project = &stack.project;
    let svc = project
        .services
        .get(service)
        .ok_or_else(|| EngineError::no_such_service(service, project))?;
    let deps: Vec<String> = if opts.no_deps {
        Vec::new()
    } else {
        let mut all = stack
            .plan
            .select(project, &[service.to_string()], false)
            .map_err(|unknown| EngineError::no_such_service(&unknown, project))?;
        all.retain(|s| s != service);
        all
    };
    super::preflight::check(stack.backend.as_ref(), project, &[service.to_string()]).await?;
    let bridge = stack.plan.layout.is_bridge();
    if !opts.ports.is_empty() && !bridge {
        return Err(EngineError::Unrunnable(format!(
            "run -p: a one-off container in the pod shares the pod's published ports, and \
             a pod's ports are fixed when it is made; publish the port in the service's \
             `ports:`, or run the project in bridge mode (--network bridge) to give \
             {service:?} ports of its own"
        )));
    }
    if !deps.is_empty() {
        let up_opts = UpOptions {
            services: deps,
            no_deps: true,
            remove_orphans: opts.remove_orphans,
            ..UpOptions::default()
        };
        // As in Compose, the dependencies a one-off started stay as they are, whatever
        // ends the run.
        let mut inner = shutdown.clone();
        let started = up(stack, &up_opts, &mut inner);
        or_teardown(stack, &Teardown::Keep, shutdown, started).await?;
    }
    // Its image, the pod, its volumes and bind sources, as `up` makes them.
    let own = UpOptions {
        build: opts.build,
        ..UpOptions::default()
    };
    super::up::prepare(stack, &[service.to_string()], &own).await?;
    let spec = oneoff_spec(stack, svc, opts);
    if opts.detach {
        stack.backend.run(&spec).await?;
        stack
            .output
            .emit(Event::container(&spec.name, Resource::Started));
        crate::output::print(&format!("{}\n", spec.name))
            .map_err(|e| EngineError::Unrunnable(format!("cannot print: {e}")))?;
        return Ok(0);
    }
    // The container has the terminal from here: the board, if any, ends where it is.
    stack.output.close();
    Ok(stack.backend.run_foreground(&spec, opts.remove).await?)
}

/// The one-off container: the service's, with the run's own command, settings, mounts
/// and ports, and none of the service's published ports or names unless asked.
fn oneoff_spec(stack: &Stack, svc: &crate::model::Service, opts: &RunOptions) -> ContainerSpec {
    let project = &stack.project;
    let service = svc.name.as_str();
    let mut spec = container_spec(project, &stack.plan, svc, 1, &BTreeMap::new());
    spec.name = opts.name.clone().unwrap_or_else(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        format!(
            "{}-{service}-run-{:08x}",
            project.name,
            nanos ^ std::process::id()
        )
    });
    spec.labels.insert(COMPOSE_ONEOFF.into(), "True".into());
    if let Some(c) = &opts.command {
        spec.command = Some(c.clone());
    }
    if let Some(e) = &opts.entrypoint {
        spec.entrypoint = Some(e.clone());
    }
    spec.env.extend(opts.env.clone());
    if let Some(w) = &opts.workdir {
        spec.working_dir = Some(w.clone());
    }
    if let Some(u) = &opts.user {
        spec.user = Some(u.clone());
    }
    spec.restart = crate::model::RestartPolicy::No;
    spec.tty = opts.tty && !opts.detach;
    spec.interactive = !opts.detach;
    spec.labels.extend(opts.labels.clone());
    spec.cap_add.extend(opts.cap_add.iter().cloned());
    spec.cap_drop.extend(opts.cap_drop.iter().cloned());
    for m in &opts.mounts {
        // A mount at the same path replaces the service's own.
        let mount = crate::plan::mount_spec(project, m);
        spec.mounts.retain(|have| have.target() != mount.target());
        spec.mounts.push(mount);
    }
    if let Some(net) = &mut spec.network {
        if !opts.service_ports {
            net.ports.clear();
        }
        net.ports.extend(opts.ports.iter().cloned());
        if !opts.use_aliases {
            net.aliases.clear();
        }
    }
    spec
}
