//! `exec` and `run`: a command in a service container, or a one-off container, in the
//! foreground; the command's exit code is sidepod's.

use std::collections::BTreeMap;
use std::io::IsTerminal;

use crate::backend::{ContainerState, ExecSpec};
use crate::cli::{ExecArgs, RunArgs};
use crate::compose;
use crate::engine::{self, EngineError, RunOptions};
use crate::error::Error;
use crate::exit;
use crate::plan::{COMPOSE_NUMBER, COMPOSE_ONEOFF, LABEL_PROJECT, LABEL_SERVICE};
use crate::session::Session;

/// `-e KEY=VALUE`, or `-e KEY` for sidepod's own value of KEY.
fn env_flags(flags: &[String]) -> BTreeMap<String, String> {
    flags
        .iter()
        .map(|f| match f.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (f.clone(), std::env::var(f).unwrap_or_default()),
        })
        .collect()
}

pub async fn exec(s: &Session, args: &ExecArgs) -> Result<i32, Error> {
    let stack = s.compose_stack()?;
    if !stack.project.services.contains_key(&args.service) {
        return Err(EngineError::no_such_service(&args.service, &stack.project).into());
    }
    let index = args.index.to_string();
    let container = stack
        .backend
        .containers(LABEL_PROJECT, &stack.project.name)
        .await?
        .into_iter()
        .find(|c| {
            c.label(LABEL_SERVICE) == Some(args.service.as_str())
                && c.label(COMPOSE_NUMBER) == Some(index.as_str())
                && c.label(COMPOSE_ONEOFF) != Some("True")
        });
    let container = match container {
        Some(c) if c.state == ContainerState::Running => c,
        _ => {
            return Err(EngineError::ServiceFailed {
                service: args.service.clone(),
                reason: format!("has no running container #{index}; start it with `sidepod up`"),
                detail: String::new(),
            }
            .into())
        }
    };
    let spec = ExecSpec {
        container: container.name,
        command: args.command.clone(),
        env: env_flags(&args.env),
        workdir: args.workdir.clone(),
        user: args.user.clone(),
        tty: !args.no_tty && !args.detach && std::io::stdin().is_terminal(),
        interactive: !args.detach,
        privileged: args.privileged,
        detach: args.detach,
    };
    let _held = crate::signal::hold()?;
    s.output.close();
    Ok(exit::passed_on(stack.backend.exec(&spec).await?))
}

pub async fn run(s: &Session, args: &RunArgs) -> Result<i32, Error> {
    let stack = s.compose_stack_with(|project| {
        let service = project.services.get_mut(&args.service);
        if let (Some(policy), Some(service)) = (super::up::pull_flag(args.pull.as_deref()), service)
        {
            service.pull_policy = Some(policy);
        }
        Ok(())
    })?;
    let mut shutdown = s.shutdown()?;
    let bad =
        |flag: &str, value: &str, why: String| Error::Usage(format!("run {flag} {value:?}: {why}"));
    let mut mounts = Vec::new();
    for v in &args.volume {
        let m = compose::cli_mount(v, &stack.project.directory).map_err(|e| bad("-v", v, e))?;
        mounts.push(m);
    }
    let mut ports = Vec::new();
    for p in &args.publish {
        ports.extend(compose::cli_ports(p).map_err(|e| bad("-p", p, e))?);
    }
    let mut labels = BTreeMap::new();
    for l in &args.label {
        let (k, v) = l.split_once('=').unwrap_or((l.as_str(), ""));
        labels.insert(k.to_string(), v.to_string());
    }
    let opts = RunOptions {
        command: (!args.command.is_empty()).then(|| args.command.clone()),
        entrypoint: args.entrypoint.as_ref().map(|e| vec![e.clone()]),
        env: env_flags(&args.env),
        workdir: args.workdir.clone(),
        user: args.user.clone(),
        name: args.name.clone(),
        remove: args.rm,
        no_deps: args.no_deps,
        tty: !args.no_tty && std::io::stdin().is_terminal(),
        detach: args.detach,
        labels,
        cap_add: args.cap_add.clone(),
        cap_drop: args.cap_drop.clone(),
        mounts,
        ports,
        service_ports: args.service_ports,
        use_aliases: args.use_aliases,
        build: args.build,
        remove_orphans: args.remove_orphans,
    };
    Ok(exit::passed_on(
        engine::run_oneoff(&stack, &args.service, &opts, &mut shutdown).await?,
    ))
}
