//! Where a project's containers live: its pod (created, recreated when its own settings
//! changed, and started by its first container), or in bridge mode its networks; and the
//! volumes and bind-mount directories they need. `up` makes them here.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use tokio::sync::{Mutex, OwnedMutexGuard};

use super::{EngineError, Stack, UpOptions};
use crate::model::{MountKind, Project};
use crate::output::{Event, Resource, ResourceKind};
use crate::plan::{pod_fits, pod_spec, stop_grace, volume_specs, LABEL_PROJECT};

/// Bridge mode: creates the project's networks that are not there yet, and checks that
/// the external ones are. Says once why the stack is not in one pod.
async fn ensure_networks(
    stack: &Stack,
    labels: &BTreeMap<String, String>,
) -> Result<(), EngineError> {
    let project = &stack.project;
    let backend = &stack.backend;
    let have: Vec<String> = backend
        .networks(LABEL_PROJECT, &project.name)
        .await?
        .into_iter()
        .map(|n| n.name)
        .collect();
    let wanted = crate::plan::network_specs(project);
    if have.is_empty() {
        say_bridge(stack);
    }
    for spec in wanted.iter().filter(|n| !have.contains(&n.name)) {
        let mut spec = spec.clone();
        spec.labels.extend(labels.clone());
        match backend.network_create(&spec).await {
            Ok(()) => stack.output.emit(Event::resource(
                ResourceKind::Network,
                &spec.name,
                Resource::Created,
            )),
            // Another sidepod made it a moment ago.
            Err(e) if e.already_exists() => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// The one line that says why the stack runs in bridge mode.
pub(crate) fn say_bridge(stack: &Stack) {
    if let crate::plan::Layout::Bridge { why } = &stack.plan.layout {
        stack.output.emit(Event::Notice(format!(
            "Bridge mode: {why}. Each service runs in its own network namespace on the \
             project's networks, names resolved by podman's network DNS \
             (x-sidepod: {{network: pod|bridge}} or --network chooses)"
        )));
    }
}

/// What `ensure_pod` did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Placed {
    /// A pod was removed to be made anew, and the containers in it with it.
    pub recreated: bool,
    /// The pod was made here and is not started: see `PodStart`.
    pub unstarted: bool,
}

/// Creates the pod, or recreates it when its own settings (ports, DNS, hosts) changed;
/// in bridge mode, the project's networks instead. A pod made here is not started.
pub async fn ensure_pod(
    stack: &Stack,
    labels: &BTreeMap<String, String>,
) -> Result<Placed, EngineError> {
    if stack.plan.layout.is_bridge() {
        ensure_networks(stack, labels).await?;
        return Ok(Placed::default());
    }
    let project = &stack.project;
    let spec = pod_spec(&stack.plan, labels);
    let pods = stack.backend.pods(LABEL_PROJECT, &project.name).await?;
    let recreated = !pods.is_empty();
    if let Some(pod) = pods.first() {
        if pod_fits(&stack.plan, &pod.labels) {
            return Ok(Placed::default());
        }
        stack.output.emit(Event::resource(
            ResourceKind::Pod,
            &pod.name,
            Resource::Recreating(
                "its published ports, network, DNS or host entries changed, and a pod's \
                 cannot change in place (its containers are recreated with it)"
                    .into(),
            ),
        ));
        let grace = project
            .services
            .values()
            .map(stop_grace)
            .max()
            .unwrap_or_default();
        stack.backend.pod_remove(&pod.name, grace).await?;
    }
    match stack.backend.pod_create(&spec).await {
        // Another sidepod created it a moment ago (`up -d` twice at once): one pod for
        // both, which that one starts.
        Err(e) if e.already_exists() => {
            return Ok(Placed {
                recreated,
                unstarted: false,
            })
        }
        other => other?,
    }
    stack.output.emit(Event::resource(
        ResourceKind::Pod,
        &project.name,
        Resource::Created,
    ));
    Ok(Placed {
        recreated,
        unstarted: true,
    })
}

/// A pod made and not started yet: the first container run into it starts its infra
/// container, alone, and the others follow once it has. That is one podman call fewer
/// than a `pod start` before them all, and the first container starts sooner.
///
/// - Containers that join a pod whose infra is not running all try to start it, and
///   podman 4 fails all but one with "container state improper": never two at once.
/// - A first run that fails leaves the pod to the next container, which starts it alone.
/// - A stop request does not cut the first run short: a podman killed while it starts a
///   pod can leave the pod's port forwarder holding its ports, out of the teardown's
///   reach. It goes on in a task of its own, and `up` waits for it (`settled`).
pub(super) struct PodStart(Arc<Mutex<bool>>);

impl PodStart {
    /// `started`: the pod runs already, or nothing here starts it.
    pub fn new(started: bool) -> Self {
        PodStart(Arc::new(Mutex::new(started)))
    }

    /// Waits while another container starts the pod. `Some` when this one is to start
    /// it: the turn is held over the container's start, and `done` ends it.
    pub async fn turn(&self) -> Option<OwnedMutexGuard<bool>> {
        let started = self.0.clone().lock_owned().await;
        (!*started).then_some(started)
    }

    /// The container that had the turn was started (`ok`), and the pod with it.
    pub fn done(mut turn: OwnedMutexGuard<bool>, ok: bool) {
        *turn = ok;
    }

    /// Returns once no container is starting the pod.
    pub async fn settled(&self) {
        drop(self.0.lock().await);
    }
}

/// Starts the pod's infra container, alone: containers that join a pod whose infra is
/// not running all try to start it, and all but one fail with "container state improper"
/// and must be started again.
pub(super) async fn start_pod(stack: &Stack) -> Result<(), EngineError> {
    Ok(stack.backend.pod_start(&stack.plan.pod.name).await?)
}

/// The pod (or the networks), the volumes and the bind-mount directories. Says whether
/// the pod was recreated, which removed the containers in it, and whether it is left for
/// the first container to start (`PodStart`); with `--no-start`, it is started here.
pub(super) async fn place(
    stack: &Stack,
    selected: &[String],
    opts: &UpOptions,
) -> Result<Placed, EngineError> {
    let project = &stack.project;
    let backend = &stack.backend;
    let services: Vec<_> = selected.iter().map(|n| &project.services[n]).collect();
    let mut placed = if opts.pod_claimed {
        Placed {
            recreated: false,
            unstarted: true,
        }
    } else {
        ensure_pod(stack, &opts.labels).await?
    };
    if placed.unstarted && opts.no_start {
        start_pod(stack).await?;
        placed.unstarted = false;
    }
    let specs = volume_specs(project, services.iter().copied());
    if !specs.is_empty() {
        let have: BTreeSet<String> = backend
            .volumes(LABEL_PROJECT, &project.name)
            .await?
            .into_iter()
            .map(|v| v.name)
            .collect();
        for spec in specs.iter().filter(|s| !have.contains(&s.name)) {
            let mut spec = spec.clone();
            spec.labels.extend(opts.labels.clone());
            match backend.volume_create(&spec).await {
                Err(e) if e.already_exists() => continue,
                other => other?,
            }
            stack.output.emit(Event::resource(
                ResourceKind::Volume,
                &spec.name,
                Resource::Created,
            ));
        }
    }
    create_bind_sources(project, selected)?;
    Ok(placed)
}

/// Compose creates a missing bind-mount source as a directory; podman would refuse.
fn create_bind_sources(project: &Project, selected: &[String]) -> Result<(), EngineError> {
    for name in selected {
        for m in &project.services[name].volumes {
            let Some(source) = m.source.as_deref() else {
                continue;
            };
            if m.kind == MountKind::Bind
                && m.create_host_path
                && !std::path::Path::new(source).exists()
            {
                std::fs::create_dir_all(source).map_err(|e| EngineError::HostPath {
                    path: source.to_string(),
                    source: e,
                })?;
            }
        }
    }
    Ok(())
}
