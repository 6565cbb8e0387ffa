//! Containers that a `podman run` which failed half-way leaves in podman's storage: podman
//! does not know them (no `ps`, no labels), yet each holds its name, so every later `up`
//! of the project would fail with "name already in use". `up` and `down` find them in
//! the same call that lists the project's containers, and remove those with the
//! project's container names.

use std::sync::Arc;

use super::EngineError;
use crate::backend::{Backend, ContainerInfo};
use crate::model::Project;
use crate::output::{Event, Output};
use crate::plan::LABEL_PROJECT;

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
