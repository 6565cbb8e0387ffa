//! The project's containers as the listing commands (`ps`, `logs`, `images`) see them:
//! found by label, those of the named services only, by name.

use std::sync::Arc;

use crate::backend::{Backend, ContainerInfo};
use crate::engine::EngineError;
use crate::error::Error;
use crate::plan::{COMPOSE_NUMBER, COMPOSE_ONEOFF, LABEL_PROJECT, LABEL_SERVICE};
use crate::session::{Session, Target};

/// The target project (its files, when there are some), the backend, and the
/// containers of `services` (all when empty), sorted by name. A service the files do
/// not have is an error.
pub(super) async fn containers(
    s: &Session,
    services: &[String],
) -> Result<(Target, Arc<dyn Backend>, Vec<ContainerInfo>), Error> {
    let target = s.target()?;
    if let Some((project, _)) = &target.known {
        EngineError::check_services(services, project)?;
    }
    let backend = s.backend()?;
    let mut found = backend.containers(LABEL_PROJECT, &target.name).await?;
    found.retain(|c| {
        services.is_empty()
            || services
                .iter()
                .any(|s| Some(s.as_str()) == c.label(LABEL_SERVICE))
    });
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok((target, backend, found))
}

/// Replica `index` of a service (not a one-off `run` container): `cp`, `attach`,
/// `export` and the other commands of one container.
pub(super) async fn replica(
    s: &Session,
    service: &str,
    index: u32,
) -> Result<(Arc<dyn Backend>, ContainerInfo), Error> {
    let one = [service.to_string()];
    let (_, backend, found) = containers(s, &one).await?;
    let index = index.to_string();
    let container = found
        .into_iter()
        .find(|c| {
            c.label(COMPOSE_NUMBER) == Some(index.as_str())
                && c.label(COMPOSE_ONEOFF) != Some("True")
        })
        .ok_or_else(|| EngineError::ServiceFailed {
            service: service.to_string(),
            reason: format!("has no container #{index}; create it with `sidepod up`"),
            detail: String::new(),
        })?;
    Ok((backend, container))
}
