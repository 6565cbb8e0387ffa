//! Lifecycle hooks: `post_start` and `pre_stop` run in the service's container with
//! `podman exec` (the hook's user, privileges, directory and variables over the
//! container's), `pre_start` in a one-off container of its own before the service's
//! container is created. A hook that fails fails its service with its output shown;
//! a failing `pre_stop` is said, and the container is stopped all the same.

use std::sync::Arc;

use tokio::sync::mpsc;

use super::EngineError;
use crate::backend::{Backend, ContainerSpec, ExecSpec, LogLine, LogOptions};
use crate::model::{Hook, RestartPolicy};

/// The lines of output a failure shows.
const SHOWN: usize = 30;

/// Runs `hooks` (a service's `which` hooks) in `container`, in order; the first that
/// fails is the service's failure.
pub async fn run_in(
    backend: &Arc<dyn Backend>,
    service: &str,
    which: &str,
    container: &str,
    hooks: &[Hook],
) -> Result<(), EngineError> {
    for hook in hooks {
        let spec = ExecSpec {
            container: container.to_string(),
            command: hook.command.clone(),
            env: hook.environment.clone(),
            workdir: hook.working_dir.clone(),
            user: hook.user.clone(),
            privileged: hook.privileged,
            ..ExecSpec::default()
        };
        let (tx, rx) = mpsc::channel::<LogLine>(256);
        let (code, output) = tokio::join!(backend.exec_stream(&spec, tx), collect(rx));
        check(service, which, hook, code?, output)?;
    }
    Ok(())
}

/// Runs a service's `pre_start` hooks, each in a one-off container made from `base` (the
/// service's container: its volumes, network and variables) with the hook's image and
/// command; it is removed after.
pub async fn run_before(
    backend: &Arc<dyn Backend>,
    service: &str,
    base: &ContainerSpec,
    hooks: &[Hook],
) -> Result<(), EngineError> {
    for (i, hook) in hooks.iter().enumerate() {
        let mut spec = base.clone();
        spec.name = format!("{}-pre-start-{}", base.name, i + 1);
        if let Some(image) = &hook.image {
            spec.image = image.clone();
        }
        spec.entrypoint = Some(hook.command.clone());
        spec.command = None;
        spec.env.extend(hook.environment.clone());
        spec.working_dir = hook.working_dir.clone().or(spec.working_dir);
        spec.user = hook.user.clone().or(spec.user);
        spec.privileged |= hook.privileged;
        spec.health = None;
        spec.no_healthcheck = true;
        spec.restart = RestartPolicy::No;
        spec.tty = false;
        spec.interactive = false;
        if let Some(n) = &mut spec.network {
            n.ports.clear();
        }
        backend.run(&spec).await?;
        let names = [spec.name.clone()];
        let (tx, rx) = mpsc::channel::<LogLine>(256);
        let follow = LogOptions {
            follow: true,
            ..LogOptions::default()
        };
        let (logs, output, code) = tokio::join!(
            backend.logs(&spec.name, &follow, tx),
            collect(rx),
            backend.wait(&spec.name)
        );
        if let Err(e) = logs {
            tracing::debug!("following {}: {e}", spec.name);
        }
        let removed = backend.remove(&names, true).await;
        let outcome = check(service, "pre_start", hook, code?, output);
        removed?;
        outcome?;
    }
    Ok(())
}

async fn collect(mut rx: mpsc::Receiver<LogLine>) -> Vec<String> {
    let mut lines = Vec::new();
    while let Some(line) = rx.recv().await {
        lines.push(line.text);
        if lines.len() > SHOWN {
            lines.remove(0);
        }
    }
    lines
}

fn check(
    service: &str,
    which: &str,
    hook: &Hook,
    code: i64,
    output: Vec<String>,
) -> Result<(), EngineError> {
    if code == 0 {
        return Ok(());
    }
    Err(EngineError::ServiceFailed {
        service: service.to_string(),
        reason: format!(
            "failed its {which} hook `{}` with exit code {code}",
            crate::backend::shell_join(&hook.command)
        ),
        detail: output
            .iter()
            .map(|l| format!("  {l}"))
            .collect::<Vec<_>>()
            .join("\n"),
    })
}
