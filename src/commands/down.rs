//! `sidepod down`: stop and remove everything the project has, found by label.

use std::time::Duration;

use crate::cli::DownArgs;
use crate::engine::{self, Teardown};
use crate::error::Error;
use crate::exit;
use crate::output::{Event, Resource, ResourceKind};
use crate::plan::image_name;
use crate::session::Session;

pub async fn down(s: &Session, args: &DownArgs) -> Result<i32, Error> {
    let target = s.target()?;
    let backend = s.backend()?;
    let mut shutdown = s.shutdown()?;
    let how = Teardown::Remove {
        volumes: args.volumes,
        timeout: args.timeout.map(Duration::from_secs),
        all_in_pod: false,
    };
    // Leftovers of job runs whose sidepod was killed go too, whatever their project.
    engine::reap_stale(&backend, &s.output).await?;
    let known = target.known.as_ref().map(|(p, plan)| (p, plan));
    engine::remove_project(
        &backend,
        &target.name,
        known,
        &how,
        &s.output,
        &mut shutdown,
    )
    .await?;
    if let Some(which) = &args.rmi {
        remove_images(s, &backend, target.known.as_ref().map(|(p, _)| p), which).await?;
    }
    Ok(exit::SUCCESS)
}

/// `down --rmi`: the services' images that are here, each said as it goes.
async fn remove_images(
    s: &Session,
    backend: &std::sync::Arc<dyn crate::backend::Backend>,
    project: Option<&crate::model::Project>,
    which: &str,
) -> Result<(), Error> {
    let Some(project) = project else {
        s.output
            .warn("--rmi needs the project's files to know its images; none are removed");
        return Ok(());
    };
    let mut images = std::collections::BTreeSet::new();
    for service in project.services.values() {
        if which == "all" || (service.build.is_some() && service.image.is_none()) {
            images.insert(image_name(&project.name, service));
        }
    }
    for image in images {
        if backend.image_id(&image).await?.is_none() {
            continue;
        }
        // An image another container still uses stays, as podman keeps it.
        match backend.image_remove(std::slice::from_ref(&image)).await {
            Ok(()) => s.output.emit(Event::resource(
                ResourceKind::Image,
                &image,
                Resource::Removed,
            )),
            Err(e) => s.output.warn(&format!("image {image} is kept: {e}")),
        }
    }
    Ok(())
}
