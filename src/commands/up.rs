//! `sidepod up`: start the stack; with `-d` return, else stream its logs until it stops
//! or Ctrl-C stops it.

use std::time::Duration;

use crate::cli::UpArgs;
use crate::engine::{self, AttachOptions, EngineError, UpOptions};
use crate::error::Error;
use crate::session::Session;

pub async fn up(s: &Session, args: &UpArgs) -> Result<i32, Error> {
    let stack = s.compose_stack()?;
    if let Some(unknown) = args
        .exit_code_from
        .as_ref()
        .filter(|name| !stack.project.services.contains_key(*name))
    {
        return Err(EngineError::no_such_service(unknown, &stack.project).into());
    }
    let mut shutdown = s.shutdown()?;
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
    let attach = AttachOptions {
        abort_on_exit: args.abort_on_container_exit,
        abort_on_failure: args.abort_on_container_failure,
        exit_code_from: args.exit_code_from.clone(),
    };
    Ok(engine::up_attached(&stack, &opts, &attach, args.detach, &mut shutdown).await?)
}
