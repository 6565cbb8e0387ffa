//! `start`, `stop`, `restart`, `kill`: act on the services' existing containers.

use std::time::Duration;

use crate::app::{load_compose, shutdown_on_signals, stack};
use crate::cli::{GlobalOptions, KillArgs, ServicesArgs, StopArgs, WaitArgs};
use crate::engine::{self, DownOptions};
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

/// `wait`: the exit code is the first non-zero code among the containers (in the order
/// they stopped), else 0; with `--down-project`, the first container's, after `down`.
pub async fn wait(g: &GlobalOptions, args: &WaitArgs) -> Result<i32, Error> {
    let (project, plan) = load_compose(g)?;
    let stack = stack(g, project, plan)?;
    let mut shutdown = shutdown_on_signals();
    let exited =
        engine::wait_stopped(&stack, &args.services, args.down_project, &mut shutdown).await?;
    let code = exited.iter().map(|e| e.code).find(|&c| c != 0).unwrap_or(0);
    if args.down_project {
        engine::down(
            stack.backend.as_ref(),
            &stack.project.name,
            Some((&stack.project, &stack.plan)),
            &DownOptions::default(),
            &stack.output,
            &mut shutdown,
        )
        .await?;
    }
    Ok(i32::try_from(code).unwrap_or(exit::RUNTIME))
}
