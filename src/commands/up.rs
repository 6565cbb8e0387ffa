//! `sidepod up`: start the stack; with `-d` return, else stream its logs until it stops
//! or Ctrl-C stops it. `sidepod watch`: start it in the background, then act on
//! `develop.watch` changes until Ctrl-C, which leaves the services running.

use std::time::Duration;

use clap::{Args, FromArgMatches};

use crate::cli::{CreateArgs, ScaleArgs, UpArgs, WatchArgs};
use crate::compose::limits::MAX_REPLICAS;
use crate::engine::{self, AttachOptions, EngineError, Replacing, UpOptions, WatchOptions};
use crate::error::Error;
use crate::model::{Project, PullPolicy};
use crate::session::Session;

pub async fn up(s: &Session, args: &UpArgs) -> Result<i32, Error> {
    let stack = s.compose_stack_with(|project| adjust(project, args))?;
    let project = &stack.project;
    let named = (args.exit_code_from.iter())
        .chain(&args.attach)
        .chain(&args.no_attach);
    if let Some(unknown) = named
        .into_iter()
        .find(|name| !project.services.contains_key(*name))
    {
        return Err(EngineError::no_such_service(unknown, project).into());
    }
    s.output.set_log_style(args.no_color, args.no_log_prefix);
    let mut shutdown = s.shutdown()?;
    let opts = UpOptions {
        services: args.services.clone(),
        no_deps: args.no_deps,
        wait: args.wait,
        wait_timeout: args.wait_timeout.map(Duration::from_secs),
        build: args.build,
        force_recreate: args.force_recreate,
        no_recreate: args.no_recreate,
        no_build: args.no_build,
        remove_orphans: args.remove_orphans,
        labels: Default::default(),
        ports_ready: false,
        no_start: args.no_start,
        renew_anon_volumes: args.renew_anon_volumes,
        always_recreate_deps: args.always_recreate_deps,
        ..UpOptions::default()
    };
    let shown = (!args.attach.is_empty() || !args.no_attach.is_empty()).then(|| {
        let all = project.services.keys();
        all.filter(|n| args.attach.is_empty() || args.attach.contains(n))
            .filter(|n| !args.no_attach.contains(n))
            .cloned()
            .collect()
    });
    let attach = AttachOptions {
        abort_on_exit: args.abort_on_container_exit,
        abort_on_failure: args.abort_on_container_failure,
        exit_code_from: args.exit_code_from.clone(),
        replacing: None,
        watch: args.watch.then(|| WatchOptions {
            services: args.services.clone(),
            prune: true,
        }),
        shown,
        timestamps: args.timestamps,
        stop_timeout: args.timeout.map(Duration::from_secs),
    };
    // Nothing started is nothing to attach to.
    let detach = args.detach || args.no_start;
    Ok(engine::up_attached(&stack, &opts, &attach, detach, &mut shutdown).await?)
}

/// `scale SERVICE=N...`: `up -d --scale` of those services.
pub async fn scale(s: &Session, args: &ScaleArgs) -> Result<i32, Error> {
    let argv = ["up", "-d"]
        .into_iter()
        .map(String::from)
        .chain(
            args.scale
                .iter()
                .flat_map(|e| ["--scale".to_string(), e.clone()]),
        )
        .chain(args.no_deps.then(|| "--no-deps".to_string()))
        .chain(
            args.scale
                .iter()
                .map(|e| e.split('=').next().unwrap_or(e).to_string()),
        );
    up_as(s, argv).await
}

/// `create`: `up --no-start` with the same flags.
pub async fn create(s: &Session, args: &CreateArgs) -> Result<i32, Error> {
    let flags = [
        (args.build, "--build"),
        (args.no_build, "--no-build"),
        (args.force_recreate, "--force-recreate"),
        (args.no_recreate, "--no-recreate"),
        (args.remove_orphans, "--remove-orphans"),
        (args.quiet_pull, "--quiet-pull"),
    ];
    let argv = ["up", "--no-start"]
        .into_iter()
        .map(String::from)
        .chain(
            flags
                .iter()
                .filter(|(on, _)| *on)
                .map(|(_, f)| f.to_string()),
        )
        .chain(
            args.pull
                .iter()
                .flat_map(|p| ["--pull".to_string(), p.clone()]),
        )
        .chain(
            args.scale
                .iter()
                .flat_map(|e| ["--scale".to_string(), e.clone()]),
        )
        .chain(args.services.iter().cloned());
    up_as(s, argv).await
}

/// `up` with the flags of another command, as `up` reads them.
async fn up_as(s: &Session, argv: impl IntoIterator<Item = String>) -> Result<i32, Error> {
    let matches = UpArgs::augment_args(clap::Command::new("up"))
        .try_get_matches_from(argv)
        .map_err(|e| Error::Usage(e.to_string()))?;
    let up = UpArgs::from_arg_matches(&matches).map_err(|e| Error::Usage(e.to_string()))?;
    self::up(s, &up).await
}

/// What `up`'s flags say over the files: `--scale SERVICE=N`, and `--pull` for every
/// service that pulls its image.
fn adjust(project: &mut Project, args: &UpArgs) -> Result<(), Error> {
    for entry in &args.scale {
        let (name, n) = entry
            .split_once('=')
            .and_then(|(name, n)| Some((name, n.parse::<u32>().ok()?)))
            .filter(|(_, n)| *n <= MAX_REPLICAS)
            .ok_or_else(|| {
                Error::Usage(format!(
                    "--scale {entry:?}: give SERVICE=N, with N from 0 to {MAX_REPLICAS}"
                ))
            })?;
        match project.services.get_mut(name) {
            Some(service) => service.replicas = n,
            None => return Err(EngineError::no_such_service(name, project).into()),
        }
    }
    if let Some(policy) = pull_flag(args.pull.as_deref()) {
        for service in project.services.values_mut().filter(|s| s.build.is_none()) {
            service.pull_policy = Some(policy);
        }
    }
    Ok(())
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

/// `--pull always|missing|never` of `up`, `create` and `run`.
pub(super) fn pull_flag(flag: Option<&str>) -> Option<PullPolicy> {
    match flag {
        Some("always") => Some(PullPolicy::Always),
        Some("missing") => Some(PullPolicy::Missing),
        Some("never") => Some(PullPolicy::Never),
        _ => None,
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
