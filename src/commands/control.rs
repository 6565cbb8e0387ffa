//! `start`, `stop`, `restart`, `kill`: act on the services' existing containers.

use std::time::Duration;

use crate::app::{load_compose, shutdown_on_signals, stack};
use crate::cli::{GlobalOptions, KillArgs, PortArgs, RmArgs, ServicesArgs, StopArgs, WaitArgs};
use crate::engine::{self, DownOptions};
use crate::error::{exit, Error};
use crate::model::Protocol;
use crate::output;

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

pub async fn pause(g: &GlobalOptions, args: &ServicesArgs) -> Result<i32, Error> {
    let (project, plan) = load_compose(g)?;
    engine::pause(&stack(g, project, plan)?, &args.services).await?;
    Ok(exit::SUCCESS)
}

pub async fn unpause(g: &GlobalOptions, args: &ServicesArgs) -> Result<i32, Error> {
    let (project, plan) = load_compose(g)?;
    engine::unpause(&stack(g, project, plan)?, &args.services).await?;
    Ok(exit::SUCCESS)
}

pub async fn rm(g: &GlobalOptions, args: &RmArgs) -> Result<i32, Error> {
    let (project, plan) = load_compose(g)?;
    let stack = stack(g, project, plan)?;
    let mut shutdown = shutdown_on_signals();
    let removed = engine::remove_stopped(
        &stack,
        &args.services,
        args.stop,
        args.volumes,
        &mut shutdown,
    )
    .await?;
    if removed == 0 {
        stack.output.status("No stopped containers");
    }
    Ok(exit::SUCCESS)
}

/// `port`: the first host address, as Compose prints it.
pub async fn port(g: &GlobalOptions, args: &PortArgs) -> Result<i32, Error> {
    let (project, plan) = load_compose(g)?;
    let protocol = match args.protocol.as_str() {
        "udp" => Protocol::Udp,
        "sctp" => Protocol::Sctp,
        _ => Protocol::Tcp,
    };
    let addresses = engine::port(
        &stack(g, project, plan)?,
        &args.service,
        args.private_port,
        protocol,
        args.index,
    )
    .await?;
    if let Some(first) = addresses.first() {
        output::print(&format!("{first}\n")).map_err(Error::Output)?;
    }
    Ok(exit::SUCCESS)
}

pub async fn top(g: &GlobalOptions, args: &ServicesArgs) -> Result<i32, Error> {
    let (project, plan) = load_compose(g)?;
    let tables = engine::top(&stack(g, project, plan)?, &args.services).await?;
    let text: Vec<String> = tables
        .iter()
        .map(|(name, table)| format!("{name}\n{}", table.trim_end()))
        .collect();
    if !text.is_empty() {
        output::print(&format!("{}\n", text.join("\n\n"))).map_err(Error::Output)?;
    }
    Ok(exit::SUCCESS)
}
