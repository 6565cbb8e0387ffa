//! `sidepod up`: start the stack; with `-d` return, else stream its logs until it stops
//! or Ctrl-C stops it.

use std::time::Duration;

use crate::app::{load_compose, shutdown_on_signals, stack};
use crate::cli::{GlobalOptions, UpArgs};
use crate::engine::{self, AttachOptions, EngineError, UpOptions};
use crate::error::{exit, Error};

pub async fn up(g: &GlobalOptions, args: &UpArgs) -> Result<i32, Error> {
    let (project, plan) = load_compose(g)?;
    if let Some(s) = args
        .exit_code_from
        .as_ref()
        .filter(|s| !project.services.contains_key(*s))
    {
        return Err(EngineError::no_such_service(s, &project).into());
    }
    let stack = stack(g, project, plan)?;
    let mut shutdown = shutdown_on_signals();
    let opts = UpOptions {
        services: args.services.clone(),
        no_deps: args.no_deps,
        wait: args.wait,
        wait_timeout: args.wait_timeout.map(Duration::from_secs),
        build: args.build,
        force_recreate: args.force_recreate,
        remove_orphans: args.remove_orphans,
        labels: Default::default(),
    };
    let started = match engine::up(&stack, &opts, &mut shutdown).await {
        Ok(started) => started,
        Err(EngineError::Interrupted(sig)) => {
            engine::stop_stack(&stack, None, &mut shutdown).await?;
            return Err(EngineError::Interrupted(sig).into());
        }
        Err(e) => return Err(e.into()),
    };
    if args.detach {
        return Ok(exit::SUCCESS);
    }
    let attach = AttachOptions {
        abort_on_exit: args.abort_on_container_exit,
        abort_on_failure: args.abort_on_container_failure,
        exit_code_from: args.exit_code_from.clone(),
    };
    match engine::attach(&stack, &started, &attach, &mut shutdown).await {
        Ok(code) => Ok(code),
        Err(EngineError::Interrupted(sig)) => {
            engine::stop_stack(&stack, None, &mut shutdown).await?;
            Err(EngineError::Interrupted(sig).into())
        }
        Err(e) => Err(e.into()),
    }
}
