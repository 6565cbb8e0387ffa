//! Where a project's containers live: its pod (created, recreated when its own settings
//! changed, and started alone), or in bridge mode its networks. `up` makes them here.

use std::collections::BTreeMap;

use super::{EngineError, Stack};
use crate::output::{Event, Resource, ResourceKind};
use crate::plan::{pod_fits, pod_spec, stop_grace, LABEL_PROJECT};

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

/// Creates the pod, or recreates it when its own settings (ports, DNS, hosts) changed;
/// in bridge mode, the project's networks instead. Returns whether a pod was removed to
/// be made anew, and the containers in it with it.
pub async fn ensure_pod(
    stack: &Stack,
    labels: &BTreeMap<String, String>,
) -> Result<bool, EngineError> {
    if stack.plan.layout.is_bridge() {
        ensure_networks(stack, labels).await?;
        return Ok(false);
    }
    let project = &stack.project;
    let spec = pod_spec(&stack.plan, labels);
    let pods = stack.backend.pods(LABEL_PROJECT, &project.name).await?;
    let recreated = !pods.is_empty();
    if let Some(pod) = pods.first() {
        if pod_fits(&stack.plan, &pod.labels) {
            return Ok(false);
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
        // Another sidepod created it a moment ago (`up -d` twice at once): one pod for both.
        Err(e) if e.already_exists() => return Ok(recreated),
        other => other?,
    }
    stack.output.emit(Event::resource(
        ResourceKind::Pod,
        &project.name,
        Resource::Created,
    ));
    start_pod(stack).await?;
    Ok(recreated)
}

/// Starts the pod's infra container, alone: containers that join a pod whose infra is
/// not running all try to start it, and all but one fail with "container state improper"
/// and must be started again.
pub(super) async fn start_pod(stack: &Stack) -> Result<(), EngineError> {
    Ok(stack.backend.pod_start(&stack.plan.pod.name).await?)
}
