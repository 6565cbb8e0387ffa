//! `sidepod down`: stop and remove everything the project has, found by label.

use std::time::Duration;

use crate::cli::DownArgs;
use crate::engine::{self, Teardown};
use crate::error::Error;
use crate::exit;
use crate::session::Session;

pub async fn down(s: &Session, args: &DownArgs) -> Result<i32, Error> {
    let target = s.target()?;
    let backend = s.backend()?;
    let mut shutdown = s.shutdown()?;
    let how = Teardown::Remove {
        volumes: args.volumes,
        timeout: args.timeout.map(Duration::from_secs),
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
    Ok(exit::SUCCESS)
}
