//! `sidepod down`: stop and remove everything the project has, found by label.

use std::time::Duration;

use crate::app::{backend, load_or_name, output, shutdown_on_signals};
use crate::cli::{DownArgs, GlobalOptions};
use crate::engine::{self, DownOptions};
use crate::error::{exit, Error};

pub async fn down(g: &GlobalOptions, args: &DownArgs) -> Result<i32, Error> {
    let (name, known) = load_or_name(g)?;
    let backend = backend(g)?;
    let output = output(g);
    let mut shutdown = shutdown_on_signals();
    let opts = DownOptions {
        volumes: args.volumes,
        timeout: args.timeout.map(Duration::from_secs),
    };
    // Leftovers of job runs whose sidepod was killed go too, whatever their project.
    crate::job::reap_stale(backend.as_ref(), &output).await?;
    let known = known.as_ref().map(|(p, plan)| (p, plan));
    engine::down(
        backend.as_ref(),
        &name,
        known,
        &opts,
        &output,
        &mut shutdown,
    )
    .await?;
    Ok(exit::SUCCESS)
}
