//! `up`: creates what is missing (images, pod, volumes, containers) and starts services
//! along the dependency graph. Each service starts the moment its own conditions hold,
//! not level by level; independent services start concurrently.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::health::sleep_until_opt;
use super::pod::{place, start_pod, PodStart};
use super::ready::{await_completion, await_health, Status, Waits};
use super::{log_tail, EngineError, Shutdown, Stack};
use crate::backend::{Backend, ContainerInfo, ContainerSpec, ContainerState};
use crate::model::{format_duration, Condition, Dependency, Project};
use crate::output::{Event, Readiness, Resource};
use crate::plan::{
    build_groups, container_spec, dependencies, external_volumes, log_prefix, LABEL_CONFIG_HASH,
    LABEL_PROJECT,
};

/// One listing of a project's containers, with podman's storage-only leftovers.
pub type Listing = (Vec<ContainerInfo>, Vec<String>);

#[derive(Debug, Clone, Default)]
pub struct UpOptions {
    /// Services to start (with their dependencies); empty: all.
    pub services: Vec<String>,
    pub no_deps: bool,
    /// Wait until every service is running, and healthy where it has a healthcheck.
    pub wait: bool,
    pub wait_timeout: Option<Duration>,
    /// Build images of `build:` services even when they exist.
    pub build: bool,
    /// Recreate every container, changed or not.
    pub force_recreate: bool,
    /// Keep existing containers, changed or not.
    pub no_recreate: bool,
    /// Never build: a missing image of a `build:` service is an error.
    pub no_build: bool,
    /// Remove containers of services that are no longer in the files.
    pub remove_orphans: bool,
    /// Extra labels on the pod and containers (a job's owner).
    pub labels: BTreeMap<String, String>,
    /// A service without any healthcheck is ready once every TCP port it declares
    /// (`ports`, `expose`, its image's EXPOSE) accepts connections: a job's sidecars.
    pub ports_ready: bool,
    /// Create the containers and start none (`up --no-start`, `create`).
    pub no_start: bool,
    /// Remove a recreated container's anonymous volumes with it (`-V`), rather than
    /// leave them behind.
    pub renew_anon_volumes: bool,
    /// Recreate the services the others depend on, changed or not.
    pub always_recreate_deps: bool,
    /// Never waited for, even with `wait`, and started once the others' containers have
    /// started: a job's main container, which only has to run by the time its sidecars
    /// are ready, while their readiness is what the job waits on.
    pub unawaited: BTreeSet<String>,
    /// The caller has just created the pod (a job claims its name with it): it is not
    /// looked for again, and its first container starts it (`PodStart`).
    pub pod_claimed: bool,
    /// The project's containers and podman's storage-only ones, as the caller listed
    /// them beside its claim of the pod, when nothing of the project can have gone since
    /// (the name was free): not listed again.
    pub listed: Option<Listing>,
    /// Healthy services are not recorded as such in podman before `up` returns: the
    /// caller does it (`health::record_health`), beside what it does next, if it wants.
    pub defer_health_record: bool,
    /// The caller watches every container from here on (a job's steps, which fail when a
    /// sidecar dies): `wait`'s last look at them all is left to it.
    pub watched_after: bool,
}

/// A container that `up` started or found running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartedContainer {
    pub service: String,
    pub number: u32,
    pub name: String,
    /// How its log lines are prefixed: `db-1`.
    pub prefix: String,
    /// From the start of `up` until it was started, or healthy when that was waited for.
    pub ready_after: Duration,
    /// What it was waited for until ready: its healthcheck, its ports, or nothing.
    pub ready: Readiness,
}

struct Run {
    stack: Stack,
    existing: BTreeMap<String, ContainerInfo>,
    /// Services watched for health, and whether a failure fails `up` (something
    /// requires it, or `--wait`) or is only a warning (only optional dependents).
    needs_health: BTreeMap<String, bool>,
    needs_completion: BTreeMap<String, bool>,
    deadline: Option<Instant>,
    wait_timeout: Option<Duration>,
    labels: BTreeMap<String, String>,
    /// Services recreated whether they changed or not (`--force-recreate`,
    /// `--always-recreate-deps`).
    recreate_always: BTreeSet<String>,
    no_recreate: bool,
    no_start: bool,
    renew_anon_volumes: bool,
    ports_ready: bool,
    defer_health_record: bool,
    /// Started after the others, and never waited for (a job's main container).
    unawaited: BTreeSet<String>,
    began: Instant,
    /// Services whose containers this run recreated: dependents that declare
    /// `restart: true` on one of them are restarted once it is ready.
    recreated: std::sync::Mutex<std::collections::BTreeSet<String>>,
    /// The pod, until the first container started in it has started it too.
    pod: PodStart,
}

impl Run {
    fn waits(&self) -> Waits<'_> {
        Waits {
            stack: &self.stack,
            deadline: self.deadline,
            wait_timeout: self.wait_timeout,
            began: self.began,
            ports_ready: self.ports_ready,
            defer_health_record: self.defer_health_record,
        }
    }
}

/// Brings the selected services up; returns their containers in start order.
pub async fn up(
    stack: &Stack,
    opts: &UpOptions,
    shutdown: &mut Shutdown,
) -> Result<Vec<StartedContainer>, EngineError> {
    let project = &stack.project;
    let selected = stack
        .plan
        .select(project, &opts.services, opts.no_deps)
        .map_err(|unknown| EngineError::no_such_service(&unknown, project))?;
    super::preflight::check(stack.backend.as_ref(), project, &selected).await?;
    let began = Instant::now();
    let deadline = opts.wait_timeout.map(|t| began + t);
    let _lock = tokio::select! {
        r = async {
            prepare_images(stack, &selected, opts).await?;
            Ok::<_, EngineError>(super::lock::project(&project.name, &stack.output).await)
        } => r?,
        _ = shutdown.requested() => return Err(EngineError::Interrupted(shutdown.last_signal())),
    };
    // The project's containers are listed while the pod and volumes are made: a listing
    // only looks. A pod recreated removed its containers: they are listed once more.
    // A stop request waits until the pod is whole: a podman killed while it starts a pod
    // can leave its port forwarder holding the published ports, out of the teardown's
    // reach. Only a third request gives up on it.
    let backend = &stack.backend;
    let listing = || backend.containers_and_leftovers(LABEL_PROJECT, &project.name);
    let given = async {
        match &opts.listed {
            Some(listed) => Ok(listed.clone()),
            None => listing().await,
        }
    };
    let (placed, listed) = tokio::select! {
        r = async { tokio::join!(place(stack, &selected, opts), given) } => r,
        _ = shutdown.abandoned() => return Err(EngineError::Interrupted(shutdown.last_signal())),
    };
    if shutdown.is_requested() {
        return Err(EngineError::Interrupted(shutdown.last_signal()));
    }
    let placed = placed?;
    let listed = if placed.recreated {
        listing().await?
    } else {
        listed?
    };
    let existing =
        super::leftovers::sort_out(backend, Some(project), listed, &stack.output).await?;
    let existing = super::leftovers::handle_orphans(stack, existing, opts.remove_orphans).await?;
    let existing = super::leftovers::scale_down(stack, &selected, existing).await?;
    let (needs_health, needs_completion) = needs(project, &selected, opts);
    let run = Arc::new(Run {
        stack: stack.clone(),
        existing,
        needs_health,
        needs_completion,
        deadline,
        wait_timeout: opts.wait_timeout,
        labels: opts.labels.clone(),
        recreate_always: recreate_always(project, &selected, opts),
        no_recreate: opts.no_recreate,
        no_start: opts.no_start,
        renew_anon_volumes: opts.renew_anon_volumes,
        ports_ready: opts.ports_ready,
        defer_health_record: opts.defer_health_record,
        unawaited: opts.unawaited.clone(),
        began,
        recreated: Default::default(),
        pod: PodStart::new(!placed.unstarted),
    });
    let started = start_all(run.clone(), &selected, shutdown).await;
    if started.is_err() {
        tokio::select! {
            () = run.pod.settled() => {}
            _ = shutdown.abandoned() => {}
        }
    }
    let started = started?;
    if opts.wait && !opts.watched_after {
        check_running(stack, &started).await?;
    }
    Ok(started)
}

/// The services recreated whatever their configuration: all with `--force-recreate`;
/// with `--always-recreate-deps`, those a selected service depends on.
fn recreate_always(project: &Project, selected: &[String], opts: &UpOptions) -> BTreeSet<String> {
    let services = &project.services;
    selected
        .iter()
        .filter(|name| {
            opts.force_recreate
                || (opts.always_recreate_deps
                    && selected
                        .iter()
                        .any(|s| dependencies(&services[s], services).any(|d| d == *name)))
        })
        .cloned()
        .collect()
}

/// Images, pod, volumes and bind-mount directories: everything containers need.
pub(super) async fn prepare(
    stack: &Stack,
    selected: &[String],
    opts: &UpOptions,
) -> Result<(), EngineError> {
    prepare_images(stack, selected, opts).await?;
    if place(stack, selected, opts).await?.unstarted {
        start_pod(stack).await?;
    }
    Ok(())
}

/// What must already exist, and the images: checked, built or pulled.
async fn prepare_images(
    stack: &Stack,
    selected: &[String],
    opts: &UpOptions,
) -> Result<(), EngineError> {
    let project = &stack.project;
    let backend = &stack.backend;
    let services: Vec<_> = selected.iter().map(|n| &project.services[n]).collect();
    // What must already exist is checked before anything is made.
    for name in external_volumes(project, services.iter().copied()) {
        if !backend.volume_exists(&name).await? {
            return Err(EngineError::MissingExternalVolume(name));
        }
    }
    for (names, spec) in build_groups(project, services.iter().copied()) {
        super::images::ensure_build(stack, &names, &spec, opts.build, opts.no_build).await?;
    }
    for name in selected
        .iter()
        .filter(|n| project.services[*n].build.is_none())
    {
        super::images::ensure_image(stack, name).await?;
    }
    Ok(())
}

type Watched = BTreeMap<String, bool>;

/// Which services must be watched for health and for completion, and whether their
/// failure is fatal (something requires them, or `--wait`).
/// (`--wait` asks for every service's health: the file's healthcheck or the image's.)
fn needs(project: &Project, selected: &[String], opts: &UpOptions) -> (Watched, Watched) {
    let mut health = Watched::new();
    let mut completion = Watched::new();
    for name in selected {
        let svc = &project.services[name];
        let awaited = opts.wait && !opts.unawaited.contains(name);
        if awaited && (!svc.healthcheck_disabled || !svc.wait.is_empty()) {
            health.insert(name.clone(), true);
        }
        for (dep, d) in &svc.depends_on {
            let watched = match d.condition {
                Condition::Healthy => &mut health,
                Condition::CompletedSuccessfully => &mut completion,
                Condition::Started => continue,
            };
            *watched.entry(dep.clone()).or_insert(false) |= d.required;
        }
    }
    (health, completion)
}

async fn start_all(
    run: Arc<Run>,
    selected: &[String],
    shutdown: &mut Shutdown,
) -> Result<Vec<StartedContainer>, EngineError> {
    let project = &run.stack.project;
    let channels: BTreeMap<&String, watch::Sender<Status>> = selected
        .iter()
        .map(|n| (n, watch::channel(Status::Pending).0))
        .collect();
    let mut tasks = JoinSet::new();
    let mut started = Vec::new();
    for name in selected {
        let svc = &project.services[name];
        let deps: Vec<(String, Dependency, watch::Receiver<Status>)> =
            dependencies(svc, &project.services)
                .filter_map(|dep| {
                    let tx = channels.get(&dep.to_string())?;
                    let d = svc.depends_on.get(dep).cloned().unwrap_or(Dependency {
                        condition: Condition::Started,
                        required: true,
                        restart: false,
                    });
                    Some((dep.to_string(), d, tx.subscribe()))
                })
                .chain(after_the_rest(&run, name, &channels))
                .collect();
        let tx = channels[name].clone();
        let run = run.clone();
        let name = name.clone();
        let task = start_service(run.clone(), name, deps, tx, shutdown.clone());
        if run.stack.backend.prints_only() {
            // A dry run prints its commands in plan order: one service after the other.
            let mut task = Box::pin(task);
            tokio::select! {
                r = &mut task => started.append(&mut r?),
                _ = shutdown.requested() => return Err(EngineError::Interrupted(shutdown.last_signal())),
            }
        } else {
            tasks.spawn(task);
        }
    }
    let backstop = run.deadline.map(|d| d + Duration::from_secs(5));
    let result = loop {
        tokio::select! {
            next = tasks.join_next() => match next {
                None => break Ok(()),
                Some(Ok(Ok(mut containers))) => started.append(&mut containers),
                Some(Ok(Err(e))) => break Err(e),
                Some(Err(e)) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Some(Err(_)) => continue,
            },
            _ = shutdown.requested() => break Err(EngineError::Interrupted(shutdown.last_signal())),
            _ = sleep_until_opt(backstop) => {
                let pending: Vec<String> = channels
                    .iter()
                    .filter(|(_, tx)| matches!(*tx.borrow(), Status::Pending | Status::Started))
                    .map(|(n, _)| n.to_string())
                    .collect();
                break Err(EngineError::ServiceFailed {
                    service: pending.join(", "),
                    reason: format!(
                        "was not ready within {}",
                        format_duration(run.wait_timeout.unwrap_or_default())
                    ),
                    detail: String::new(),
                });
            }
        }
    };
    tasks.abort_all();
    result?;
    let order: BTreeMap<&String, usize> =
        selected.iter().enumerate().map(|(i, n)| (n, i)).collect();
    started.sort_by_key(|c| (order.get(&c.service).copied(), c.number));
    Ok(started)
}

/// An unawaited service's podman run waits until the others' have been made: theirs
/// are what `up` waits on, and they go first rather than share podman's locks with it.
/// A failure of theirs does not hold it back.
fn after_the_rest(
    run: &Run,
    name: &str,
    channels: &BTreeMap<&String, watch::Sender<Status>>,
) -> Vec<(String, Dependency, watch::Receiver<Status>)> {
    if !run.unawaited.contains(name) {
        return Vec::new();
    }
    let started = Dependency {
        condition: Condition::Started,
        required: false,
        restart: false,
    };
    channels
        .iter()
        .filter(|(other, _)| !run.unawaited.contains(other.as_str()))
        .map(|(other, tx)| (other.to_string(), started.clone(), tx.subscribe()))
        .collect()
}

/// Waits until a dependency meets its condition; `Err` says why it never will.
async fn dependency_ready(d: &Dependency, rx: &mut watch::Receiver<Status>) -> Result<(), String> {
    loop {
        let status = rx.borrow_and_update().clone();
        match (d.condition, status) {
            (_, Status::Failed) => return Err("failed".into()),
            (Condition::Started, Status::Started | Status::Healthy | Status::Exited(_)) => {
                return Ok(())
            }
            (Condition::Healthy, Status::Healthy) => return Ok(()),
            (Condition::Healthy, Status::Exited(c)) => {
                return Err(format!("exited with code {c} before it was healthy"))
            }
            (Condition::CompletedSuccessfully, Status::Exited(0)) => return Ok(()),
            (Condition::CompletedSuccessfully, Status::Exited(c)) => {
                return Err(format!("exited with code {c}"))
            }
            _ => {}
        }
        if rx.changed().await.is_err() {
            return Err("stopped before it was ready".into());
        }
    }
}

async fn start_service(
    run: Arc<Run>,
    name: String,
    mut deps: Vec<(String, Dependency, watch::Receiver<Status>)>,
    tx: watch::Sender<Status>,
    mut shutdown: Shutdown,
) -> Result<Vec<StartedContainer>, EngineError> {
    // Nothing starts, so there is nothing to wait for.
    for (_, d, rx) in deps.iter_mut().filter(|_| !run.no_start) {
        if dependency_ready(d, rx).await.is_err() && d.required {
            // The dependency reports its own failure; this service just never starts.
            tx.send_replace(Status::Failed);
            return Ok(Vec::new());
        }
    }
    // `restart: true` on a dependency this run recreated: a kept container restarts.
    let restart_for: Option<String> = {
        let recreated = run.recreated.lock().unwrap_or_else(|e| e.into_inner());
        deps.iter()
            .find(|(dep, d, _)| d.restart && recreated.contains(dep))
            .map(|(dep, _, _)| dep.clone())
    };
    let mut started = Vec::new();
    let replicas = run.stack.project.services[&name].replicas;
    for number in 1..=replicas {
        started.push(start_replica(&run, &name, number, restart_for.as_deref()).await?);
    }
    tx.send_replace(Status::Started);
    if run.no_start {
        return Ok(started);
    }
    let waits = run.waits();
    if let Some(&fatal) = run.needs_health.get(&name) {
        if let Err(failure) = await_health(&waits, &name, &mut started, &tx, &mut shutdown).await? {
            return fail_or_carry_on(&run, fatal, failure, started);
        }
    }
    if let Some(&fatal) = run.needs_completion.get(&name) {
        if let Err(failure) = await_completion(&waits, &name, &started, &tx, &mut shutdown).await? {
            return fail_or_carry_on(&run, fatal, failure, started);
        }
    }
    Ok(started)
}

/// A failed wait fails `up` when something requires the service; with only optional
/// dependents, it is a warning.
fn fail_or_carry_on(
    run: &Run,
    fatal: bool,
    failure: EngineError,
    started: Vec<StartedContainer>,
) -> Result<Vec<StartedContainer>, EngineError> {
    if fatal {
        return Err(failure);
    }
    run.stack.output.warn(&format!(
        "{failure} (only optional dependents; carrying on)"
    ));
    Ok(started)
}

/// Creates, starts, recreates or keeps replica `number` of a service, as its existing
/// container and configuration say.
async fn start_replica(
    run: &Arc<Run>,
    name: &str,
    number: u32,
    restart_for: Option<&str>,
) -> Result<StartedContainer, EngineError> {
    let stack = &run.stack;
    let backend: &dyn Backend = stack.backend.as_ref();
    let svc = &stack.project.services[name];
    let spec = container_spec(&stack.project, &stack.plan, svc, number, &run.labels);
    let one = std::slice::from_ref(&spec.name);
    let existing = run.existing.get(&spec.name);
    let stale = existing.is_some_and(|c| {
        run.recreate_always.contains(name)
            || (!run.no_recreate
                && c.label(LABEL_CONFIG_HASH)
                    != spec.labels.get(LABEL_CONFIG_HASH).map(String::as_str))
    });
    if stale {
        backend.remove(one, run.renew_anon_volumes).await?;
        stack
            .output
            .emit(Event::container(&spec.name, Resource::Recreate));
        run.recreated
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(name.to_string());
    }
    let kept = existing.map(|c| c.state).filter(|_| !stale);
    let to = Replica {
        service: name.to_string(),
        number,
        spec: spec.clone(),
        restart_for: restart_for.map(str::to_string),
    };
    let state = match run.pod.turn().await {
        None => bring_up(run.clone(), to, kept).await?,
        // The container that starts the pod goes on alone whatever stops `up` now (see
        // `PodStart`): `up` waits for it before it returns.
        Some(turn) => {
            let run = run.clone();
            let task = tokio::spawn(async move {
                let state = bring_up(run, to, kept).await;
                PodStart::done(turn, state.is_ok());
                state
            });
            match task.await {
                Ok(state) => state?,
                Err(e) => std::panic::resume_unwind(e.into_panic()),
            }
        }
    };
    if matches!(state, Resource::Started | Resource::Restarted(_)) {
        super::hooks::run_in(
            &stack.backend,
            name,
            "post_start",
            &spec.name,
            &svc.post_start,
        )
        .await?;
    }
    stack.output.emit(Event::container(&spec.name, state));
    Ok(StartedContainer {
        service: name.to_string(),
        number,
        prefix: log_prefix(name, number, svc.container_name.as_deref()),
        name: spec.name,
        ready_after: run.began.elapsed(),
        ready: Readiness::Running,
    })
}

/// A replica to bring up, with what a recreated dependency asks of it.
struct Replica {
    service: String,
    number: u32,
    spec: ContainerSpec,
    restart_for: Option<String>,
}

/// Makes a replica's container run, from its kept container's state: restarted for a
/// recreated dependency, left running, started, or made (created only, with
/// `--no-start`), after its `pre_start` hooks.
async fn bring_up(
    run: Arc<Run>,
    to: Replica,
    kept: Option<ContainerState>,
) -> Result<Resource, EngineError> {
    let stack = &run.stack;
    let backend: &dyn Backend = stack.backend.as_ref();
    let svc = &stack.project.services[&to.service];
    let one = std::slice::from_ref(&to.spec.name);
    Ok(match (kept, to.restart_for) {
        (Some(ContainerState::Running), Some(dep)) => {
            backend.restart(one, svc.stop_grace_period).await?;
            Resource::Restarted(Some(format!("{dep} was recreated")))
        }
        (Some(ContainerState::Running), None) => Resource::Running,
        (Some(_), _) if run.no_start => Resource::Created,
        (None, _) if run.no_start => {
            backend.create(&to.spec).await?;
            Resource::Created
        }
        (Some(_), _) => {
            backend.start(one).await?;
            Resource::Started
        }
        (None, _) => {
            // Once for the service, as its first replica is made; `per_replica` hooks
            // before every replica.
            let hooks: Vec<_> = (svc.pre_start.iter())
                .filter(|h| h.per_replica || to.number == 1)
                .cloned()
                .collect();
            super::hooks::run_before(&stack.backend, &to.service, &to.spec, &hooks).await?;
            match backend.run(&to.spec).await {
                // Another sidepod started it a moment ago, from the same files.
                Err(e) if e.already_exists() => Resource::Running,
                other => {
                    other?;
                    Resource::Started
                }
            }
        }
    })
}

/// After `--wait`: every container is running (or finished successfully).
async fn check_running(stack: &Stack, started: &[StartedContainer]) -> Result<(), EngineError> {
    let names: Vec<String> = started.iter().map(|c| c.name.clone()).collect();
    for info in stack.backend.inspect(&names).await? {
        let failed = info.state == ContainerState::Exited && info.exit_code != 0;
        if failed || info.state == ContainerState::Created {
            let service = started
                .iter()
                .find(|c| c.name == info.name)
                .map(|c| c.service.clone())
                .unwrap_or_default();
            return Err(EngineError::ServiceFailed {
                service,
                reason: format!(
                    "is not running ({}, exit code {})",
                    info.state.as_str(),
                    info.exit_code
                ),
                detail: log_tail(stack.backend.as_ref(), &info.name, 10).await,
            });
        }
    }
    Ok(())
}
