//! The project's containers as the listing commands (`ps`, `logs`, `images`) see them:
//! found by label, those of the named services only, by name.

use std::sync::Arc;

use crate::backend::{Backend, ContainerInfo};
use crate::engine::EngineError;
use crate::error::Error;
use crate::plan::{LABEL_PROJECT, LABEL_SERVICE};
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
