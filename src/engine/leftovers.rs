//! The containers a listing of the project finds that do not belong to what `up` makes.
//!
//! - Leftovers: what a `podman run` which failed half-way leaves in podman's storage.
//!   podman does not know them (no `ps`, no labels), yet each holds its name, so every
//!   later `up` of the project would fail with "name already in use". `up` and `down`
//!   find them in the same call that lists the project's containers, and remove those
//!   with the project's container names.
//! - Orphans: containers of services no longer in the files.
//! - Surplus replicas: past a service's count.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{EngineError, Stack};
use crate::backend::{Backend, ContainerInfo};
use crate::model::Project;
use crate::output::{Event, Output, Resource};
use crate::plan::{COMPOSE_NUMBER, COMPOSE_ONEOFF, LABEL_PROJECT, LABEL_SERVICE};

/// Whether `name` is one the project's containers are given: a service's
/// `container_name`, or `<project>-<service>-<n>`.
fn is_projects(project: &Project, name: &str) -> bool {
    project.services.values().any(|s| {
        s.container_name.as_deref() == Some(name)
            || name
                .strip_prefix(&format!("{}-{}-", project.name, s.name))
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// The project's containers; the storage-only leftovers with its names are removed first,
/// each said in a notice. Without the project's files (`down -p NAME`) its names are not
/// known, and leftovers are left alone.
pub async fn containers(
    backend: &Arc<dyn Backend>,
    name: &str,
    project: Option<&Project>,
    output: &Output,
) -> Result<Vec<ContainerInfo>, EngineError> {
    let listed = backend
        .containers_and_leftovers(LABEL_PROJECT, name)
        .await?;
    sort_out(backend, project, listed, output).await
}

/// Of one listing of the project's containers and podman's storage-only ones: the
/// project's, after the leftovers with its names are removed.
pub async fn sort_out(
    backend: &Arc<dyn Backend>,
    project: Option<&Project>,
    (containers, leftovers): (Vec<ContainerInfo>, Vec<String>),
    output: &Output,
) -> Result<Vec<ContainerInfo>, EngineError> {
    let Some(project) = project else {
        return Ok(containers);
    };
    let ours: Vec<String> = leftovers
        .into_iter()
        .filter(|l| is_projects(project, l))
        .collect();
    if !ours.is_empty() {
        backend.remove(&ours, false).await?;
        for l in &ours {
            output.emit(Event::Notice(format!(
                "removed {l}: a container left in podman's storage by a podman run that \
                 failed half-way, which held the name"
            )));
        }
    }
    Ok(containers)
}

/// Containers of services no longer in the files: removed with `--remove-orphans`,
/// else pointed out. Returns the rest, by name.
pub(super) async fn handle_orphans(
    stack: &Stack,
    existing: Vec<ContainerInfo>,
    remove: bool,
) -> Result<BTreeMap<String, ContainerInfo>, EngineError> {
    let (orphans, known): (Vec<ContainerInfo>, Vec<ContainerInfo>) =
        existing.into_iter().partition(|c| {
            let service = c.label(LABEL_SERVICE).unwrap_or_default();
            !stack.project.services.contains_key(service) && c.label(COMPOSE_ONEOFF) != Some("True")
        });
    if !orphans.is_empty() {
        let names: Vec<String> = orphans.iter().map(|c| c.name.clone()).collect();
        if remove {
            stack.backend.remove(&names, false).await?;
            for n in &names {
                stack
                    .output
                    .emit(Event::container(n, Resource::RemovedOrphan));
            }
        } else {
            stack.output.warn(&format!(
                "found containers of services that are no longer in the files ({}); \
                 `sidepod up --remove-orphans` removes them",
                names.join(", ")
            ));
        }
    }
    Ok(known.into_iter().map(|c| (c.name.clone(), c)).collect())
}

/// Replicas past a selected service's count (`--scale`, or a smaller `replicas:`) are
/// stopped and removed, the highest numbers first as Compose does. Returns the rest.
pub(super) async fn scale_down(
    stack: &Stack,
    selected: &[String],
    mut existing: BTreeMap<String, ContainerInfo>,
) -> Result<BTreeMap<String, ContainerInfo>, EngineError> {
    let surplus: Vec<String> = existing
        .values()
        .filter(|c| c.label(COMPOSE_ONEOFF) != Some("True"))
        .filter(|c| {
            let service = c.label(LABEL_SERVICE).unwrap_or_default();
            let number: u32 = c
                .label(COMPOSE_NUMBER)
                .and_then(|n| n.parse().ok())
                .unwrap_or(1);
            selected.iter().any(|s| s == service)
                && stack
                    .project
                    .services
                    .get(service)
                    .is_some_and(|s| number > s.replicas)
        })
        .map(|c| c.name.clone())
        .collect();
    if !surplus.is_empty() {
        stack.backend.stop(&surplus, None).await?;
        stack.backend.remove(&surplus, false).await?;
        for name in &surplus {
            existing.remove(name);
            stack.output.emit(Event::container(name, Resource::Removed));
        }
    }
    Ok(existing)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Service;

    #[test]
    fn only_the_projects_container_names_are_its() {
        let service = |name: &str, container_name: Option<&str>| Service {
            name: name.into(),
            container_name: container_name.map(str::to_string),
            ..Service::default()
        };
        let project = Project {
            name: "shop".into(),
            services: [
                ("web".to_string(), service("web", None)),
                ("db".to_string(), service("db", Some("pg"))),
            ]
            .into(),
            ..Project::default()
        };
        for (name, ours) in [
            ("shop-web-1", true),
            ("shop-web-12", true),
            ("pg", true),
            ("shop-db-1", true),
            ("shop-web-", false),
            ("shop-web-1x", false),
            ("shop-cache-1", false),
            ("shop-web-web-1", false),
            ("shopx-web-1", false),
            ("ada5baaf653f-infra", false),
        ] {
            assert_eq!(is_projects(&project, name), ours, "{name}");
        }
    }
}
