//! `start`, `stop`, `restart`, `kill`: act on the services' existing containers.

use std::time::Duration;

use crate::app::{load_compose, shutdown_on_signals, stack};
use crate::cli::{GlobalOptions, KillArgs, ServicesArgs, StopArgs};
use crate::engine;
use crate::error::{exit, Error};

pub async fn start(g: &GlobalOptions, args: &ServicesArgs) -> Result<i32, Error> {
    let (project, plan) = load_compose(g)?;
    engine::start(&stack(g, project, plan)?, &args.services).await?;
    Ok(exit::SUCCESS)
}

pub async fn stop(g: &GlobalOptions, args: &StopArgs) -> Result<i32, Error> {
    let (project, plan) = load_compose(g)?;
    let mut shutdown = shutdown_on_signals();
    let timeout = args.timeout.map(Duration::from_secs);
    engine::stop(
        &stack(g, project, plan)?,
        &args.services,
        timeout,
        &mut shutdown,
    )
    .await?;
    Ok(exit::SUCCESS)
}

pub async fn restart(g: &GlobalOptions, args: &StopArgs) -> Result<i32, Error> {
    let (project, plan) = load_compose(g)?;
    let timeout = args.timeout.map(Duration::from_secs);
    engine::restart(&stack(g, project, plan)?, &args.services, timeout).await?;
    Ok(exit::SUCCESS)
}

pub async fn kill(g: &GlobalOptions, args: &KillArgs) -> Result<i32, Error> {
    let (project, plan) = load_compose(g)?;
    engine::kill(&stack(g, project, plan)?, &args.services, &args.signal).await?;
    Ok(exit::SUCCESS)
}
