//! `start`, `stop`, `restart`, `kill`: act on the services' existing containers.

use std::time::Duration;

use crate::cli::{
    KillArgs, PortArgs, RestartArgs, RmArgs, ServicesArgs, StartArgs, StopArgs, WaitArgs,
};
use crate::engine::{self, Teardown};
use crate::error::Error;
use crate::exit;
use crate::model::Protocol;
use crate::output::{self, Event};
use crate::session::Session;

pub async fn start(s: &Session, args: &StartArgs) -> Result<i32, Error> {
    let stack = s.compose_stack()?;
    engine::start(&stack, &args.services).await?;
    if args.wait {
        // Every container exists and runs now: `up` keeps them and waits, as for
        // `up --wait`.
        let opts = engine::UpOptions {
            services: args.services.clone(),
            wait: true,
            wait_timeout: args.wait_timeout.map(Duration::from_secs),
            no_recreate: true,
            no_build: true,
            ..engine::UpOptions::default()
        };
        let mut shutdown = s.shutdown()?;
        let attach = engine::AttachOptions::default();
        engine::up_attached(&stack, &opts, &attach, true, &mut shutdown).await?;
    }
    Ok(exit::SUCCESS)
}

pub async fn stop(s: &Session, args: &StopArgs) -> Result<i32, Error> {
    let stack = s.compose_stack()?;
    let mut shutdown = s.shutdown()?;
    let timeout = args.timeout.map(Duration::from_secs);
    engine::stop(&stack, &args.services, timeout, &mut shutdown).await?;
    Ok(exit::SUCCESS)
}

pub async fn restart(s: &Session, args: &RestartArgs) -> Result<i32, Error> {
    let stack = s.compose_stack()?;
    let timeout = args.timeout.map(Duration::from_secs);
    engine::restart(&stack, &args.services, timeout, !args.no_deps).await?;
    Ok(exit::SUCCESS)
}

pub async fn kill(s: &Session, args: &KillArgs) -> Result<i32, Error> {
    let stack = s.compose_stack()?;
    engine::kill(&stack, &args.services, &args.signal).await?;
    Ok(exit::SUCCESS)
}

/// `wait`: the exit code is the first non-zero code among the containers (in the order
/// they stopped), else 0; with `--down-project`, the first container's, after `down`.
pub async fn wait(s: &Session, args: &WaitArgs) -> Result<i32, Error> {
    let stack = s.compose_stack()?;
    let mut shutdown = s.shutdown()?;
    let exited =
        engine::wait_stopped(&stack, &args.services, args.down_project, &mut shutdown).await?;
    let code = exited.iter().map(|e| e.code).find(|&c| c != 0).unwrap_or(0);
    if args.down_project {
        let how = Teardown::Remove {
            volumes: false,
            timeout: None,
            all_in_pod: false,
        };
        engine::teardown(&stack, &how, &mut shutdown).await?;
    }
    Ok(exit::passed_on(code))
}

pub async fn pause(s: &Session, args: &ServicesArgs) -> Result<i32, Error> {
    let stack = s.compose_stack()?;
    engine::pause(&stack, &args.services).await?;
    Ok(exit::SUCCESS)
}

pub async fn unpause(s: &Session, args: &ServicesArgs) -> Result<i32, Error> {
    let stack = s.compose_stack()?;
    engine::unpause(&stack, &args.services).await?;
    Ok(exit::SUCCESS)
}

pub async fn rm(s: &Session, args: &RmArgs) -> Result<i32, Error> {
    let stack = s.compose_stack()?;
    let mut shutdown = s.shutdown()?;
    let removed = engine::remove_stopped(
        &stack,
        &args.services,
        args.stop,
        args.volumes,
        &mut shutdown,
    )
    .await?;
    if removed == 0 {
        stack
            .output
            .emit(Event::Notice("No stopped containers".into()));
    }
    Ok(exit::SUCCESS)
}

/// `port`: the first host address, as Compose prints it.
pub async fn port(s: &Session, args: &PortArgs) -> Result<i32, Error> {
    let stack = s.compose_stack()?;
    let protocol = match args.protocol.as_str() {
        "udp" => Protocol::Udp,
        "sctp" => Protocol::Sctp,
        _ => Protocol::Tcp,
    };
    let addresses = engine::port(
        &stack,
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

pub async fn top(s: &Session, args: &ServicesArgs) -> Result<i32, Error> {
    let stack = s.compose_stack()?;
    let tables = engine::top(&stack, &args.services).await?;
    let text: Vec<String> = tables
        .iter()
        .map(|(name, table)| format!("{name}\n{}", table.trim_end()))
        .collect();
    if !text.is_empty() {
        output::print(&format!("{}\n", text.join("\n\n"))).map_err(Error::Output)?;
    }
    Ok(exit::SUCCESS)
}
