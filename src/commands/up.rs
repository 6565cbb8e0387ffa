//! `sidepod up`: start the stack; with `-d` return, else stream its logs until it stops
//! or Ctrl-C stops it. `sidepod watch`: start it in the background, then act on
//! `develop.watch` changes until Ctrl-C, which leaves the services running.

use std::time::Duration;

use crate::cli::{UpArgs, WatchArgs};
use crate::engine::{self, AttachOptions, EngineError, Replacing, UpOptions, WatchOptions};
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
        ports_ready: false,
    };
    let attach = AttachOptions {
        abort_on_exit: args.abort_on_container_exit,
        abort_on_failure: args.abort_on_container_failure,
        exit_code_from: args.exit_code_from.clone(),
        replacing: None,
        watch: args.watch.then(|| WatchOptions {
            services: args.services.clone(),
            prune: true,
        }),
    };
    Ok(engine::up_attached(&stack, &opts, &attach, args.detach, &mut shutdown).await?)
}

pub async fn watch(s: &Session, args: &WatchArgs) -> Result<i32, Error> {
    let stack = s.compose_stack()?;
    let opts = WatchOptions {
        services: args.services.clone(),
        prune: args.prune,
    };
    // Before anything starts: a rule that cannot work is a config error.
    engine::check_watch(&stack, &opts)?;
    let mut shutdown = s.shutdown()?;
    if !args.no_up {
        let up = UpOptions {
            services: args.services.clone(),
            ..UpOptions::default()
        };
        let attach = AttachOptions::default();
        engine::up_attached(&stack, &up, &attach, true, &mut shutdown).await?;
    }
    match engine::watch(&stack, &opts, &Replacing::default(), &mut shutdown).await {
        // Ctrl-C ends watching; the services keep running, as `up -d` left them.
        Ok(()) | Err(EngineError::Interrupted(_)) => Ok(crate::exit::SUCCESS),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use clap::Parser;

    use super::*;
    use crate::backend::{Call, FakeBackend};
    use crate::cli::{Ansi, Cli, Command};
    use crate::output::{Output, ProgressStyle};
    use crate::signal::Shutdown;

    /// The whole command, from its command line, over the fake backend: Ctrl-C while
    /// attached reaches teardown, which stops the containers, dependents first.
    #[tokio::test(start_paused = true)]
    async fn ctrl_c_during_an_attached_up_command_reaches_teardown() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("compose.yaml");
        std::fs::write(
            &file,
            "name: shop\nservices:\n  db: {image: img}\n  web: {image: img, depends_on: [db]}\n",
        )
        .unwrap();
        let cli = Cli::parse_from(["sidepod", "-f", file.to_str().unwrap(), "up"]);
        let Command::Up(args) = cli.command else {
            unreachable!("parsed as up")
        };
        let fake = Arc::new(FakeBackend::new());
        let (trigger, shutdown) = Shutdown::new();
        let output = Arc::new(Output::new(Ansi::Never, ProgressStyle::Quiet));
        let session = Session::with_parts(cli.global, output, fake.clone(), shutdown);
        let fire = async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            trigger.fire(crate::signal::SIGTERM);
        };
        let (result, ()) = tokio::join!(up(&session, &args), fire);
        assert!(
            matches!(result, Err(Error::Engine(EngineError::Interrupted(15)))),
            "{result:?}"
        );
        let stops = fake.calls_where(|c| matches!(c, Call::Stop(_)));
        assert_eq!(
            stops,
            [Call::stop(&["shop-web-1"]), Call::stop(&["shop-db-1"])]
        );
    }
}
