//! A job's steps, one after the other in the main container, while the sidecars are
//! watched. A step that times out or is interrupted has its processes in the container
//! stopped too: dropping the `podman exec` client alone would leave them running, since
//! podman does not pass that on.
//!
//! Each step runs with its own mark in its environment, which every process it starts
//! inherits; stopping a step signals every process in the container that carries it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::report::StepReport;
use super::{Outcome, Run};
use crate::backend::{Backend, ContainerSpec, ExecSpec, LogLine, LogOptions};
use crate::engine::{EngineError, Shutdown, StartedContainer};
use crate::model::{RestartPolicy, StepWhen, MAIN};
use crate::output::{Event, StepStatus};

/// The environment variable that marks a step's processes.
pub const STEP_MARK: &str = "SIDEPOD_STEP";

/// How many of a step's last output lines a report keeps.
const TAIL_LINES: usize = 50;

type Watchers = JoinSet<(String, Result<i64, crate::backend::BackendError>)>;

/// Runs the selected steps in order; the outcome is that of the first that fails.
pub(super) async fn run_steps(
    run: &mut Run<'_>,
    main: &StartedContainer,
    shutdown: &mut Shutdown,
) -> Outcome {
    let mut watchers = watch_sidecars(run);
    let total = run.job.steps.len();
    // The first failure: later steps run only if their condition asks for it.
    let mut failed: Option<Outcome> = None;
    for (index, step) in run.job.steps.iter().enumerate() {
        let runs = match step.when {
            StepWhen::OnSuccess => failed.is_none(),
            StepWhen::OnFailure => failed.is_some(),
            StepWhen::Always => true,
            StepWhen::Never => false,
        };
        let selected = run.opts.steps.is_empty() || run.opts.steps.contains(&step.name);
        if !runs || !selected {
            run.steps.push(StepReport::new(
                &step.name,
                StepStatus::Skipped,
                Duration::ZERO,
            ));
            continue;
        }
        let stack = run.stack;
        let event = |status: StepStatus, seconds: f64| Event::Step {
            index: index + 1,
            total,
            name: step.name.clone(),
            status,
            seconds,
        };
        stack.output.emit(event(StepStatus::Started, 0.0));
        let mark = format!(
            "{}-{}-{}",
            stack.project.name,
            std::process::id(),
            index + 1
        );
        let spec = ExecSpec {
            container: main.name.clone(),
            command: vec!["sh".into(), "-c".into(), step.run.clone()],
            env: step
                .env
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .chain([(STEP_MARK.to_string(), mark.clone())])
                .collect(),
            workdir: Some(run.job.step_workdir(step)),
            ..ExecSpec::default()
        };
        let started = Instant::now();
        let tail = Arc::new(Mutex::new(Vec::new()));
        let limits = Limits {
            step: step.timeout.map(|t| (started + t, t)),
            job: run.deadline,
        };
        let label = run.opts.label.as_deref();
        let own = step
            .image
            .as_ref()
            .map(|image| own_container(stack, &spec, image, index + 1));
        let result = match &own {
            None => {
                let exec = run_step(stack.backend.clone(), &spec, tail.clone(), label);
                watched_step(exec, &step.name, limits, &mut watchers, shutdown).await
            }
            Some(container) => {
                let exec =
                    run_in_own_container(stack.backend.clone(), container, tail.clone(), label);
                watched_step(exec, &step.name, limits, &mut watchers, shutdown).await
            }
        };
        end_step(stack, own.as_ref(), &main.name, &mark, result.is_err()).await;
        let duration = started.elapsed();
        let (status, outcome) = step_status(result, &step.name);
        stack
            .output
            .emit(event(status.clone(), duration.as_secs_f64()));
        let mut report = StepReport::new(&step.name, status, duration);
        report.output = std::mem::take(&mut *tail.lock().unwrap_or_else(|e| e.into_inner()));
        run.steps.push(report);
        match outcome {
            // A failing exit code lets `always` and `failure` steps run; a timeout, an
            // interrupt or a dead sidecar ends the job at once.
            Some(Outcome::StepFailed { .. }) if step.continue_on_error => {}
            Some(o @ Outcome::StepFailed { .. }) => {
                failed.get_or_insert(o);
            }
            Some(o) => return failed.unwrap_or(o),
            None => {}
        }
    }
    failed.unwrap_or(Outcome::Passed)
}

/// What a step leaves behind goes: its own container whatever happened, or, when it
/// ended early, what it started in the main container.
async fn end_step(
    stack: &crate::engine::Stack,
    own: Option<&ContainerSpec>,
    main: &str,
    mark: &str,
    ended_early: bool,
) {
    match own {
        Some(container) => {
            let names = [container.name.clone()];
            if ended_early {
                let _ = stack.backend.kill(&names, "KILL").await;
            }
            if let Err(e) = stack.backend.remove(&names, true).await {
                tracing::debug!("removing step container {}: {e}", container.name);
            }
        }
        None if ended_early => stop_step(stack.backend.as_ref(), main, mark).await,
        None => {}
    }
}

/// A step's status, and the job's outcome when it did not pass.
fn step_status(result: Result<i64, Outcome>, step: &str) -> (StepStatus, Option<Outcome>) {
    match result {
        Ok(0) => (StepStatus::Passed, None),
        Ok(code) => (
            StepStatus::Failed(code),
            Some(Outcome::StepFailed {
                step: step.to_string(),
                code,
            }),
        ),
        Err(o @ Outcome::StepTimedOut { .. }) => (StepStatus::TimedOut, Some(o)),
        Err(o) => (StepStatus::Stopped, Some(o)),
    }
}

/// Watches the sidecars that have no restart policy: one that dies fails the job.
fn watch_sidecars(run: &Run<'_>) -> Watchers {
    let mut watchers = JoinSet::new();
    for c in &run.sidecars {
        if run.stack.project.services[&c.service].restart != RestartPolicy::No {
            continue;
        }
        let backend = run.stack.backend.clone();
        let c = c.clone();
        watchers.spawn(async move { (c.service.clone(), backend.wait(&c.name).await) });
    }
    watchers
}

/// When a step must end: its own timeout, and the job's (each a deadline and its length).
struct Limits {
    step: Option<(Instant, Duration)>,
    job: Option<(Instant, Duration)>,
}

async fn sleep_until(deadline: Option<(Instant, Duration)>) -> Duration {
    match deadline {
        Some((at, length)) => {
            tokio::time::sleep_until(at).await;
            length
        }
        None => std::future::pending().await,
    }
}

/// Waits for a step until it ends, times out, a stop is requested or a sidecar dies.
async fn watched_step(
    exec: impl std::future::Future<Output = Result<i64, EngineError>>,
    name: &str,
    limits: Limits,
    watchers: &mut Watchers,
    shutdown: &mut Shutdown,
) -> Result<i64, Outcome> {
    tokio::pin!(exec);
    loop {
        tokio::select! {
            r = &mut exec => return r.map_err(|e| Outcome::Failed(e.to_string())),
            after = sleep_until(limits.step) => return Err(Outcome::StepTimedOut {
                step: name.to_string(),
                after,
            }),
            after = sleep_until(limits.job) => return Err(Outcome::JobTimedOut(after)),
            _ = shutdown.requested() => return Err(Outcome::Interrupted(shutdown.last_signal())),
            Some(done) = watchers.join_next(), if !watchers.is_empty() => {
                let Ok((service, Ok(code))) = done else { continue };
                if code != 0 {
                    return Err(Outcome::SidecarDied { service, code });
                }
            }
        }
    }
}

/// Runs one step, printing its output on stdout as it comes and keeping its last lines
/// in `tail` (shared: a step stopped early keeps what it printed).
async fn run_step(
    backend: Arc<dyn Backend>,
    spec: &ExecSpec,
    tail: Arc<Mutex<Vec<String>>>,
    label: Option<&str>,
) -> Result<i64, EngineError> {
    let (tx, mut rx) = mpsc::channel::<LogLine>(256);
    let print = async {
        while let Some(line) = rx.recv().await {
            print_line(&line, &tail, label);
        }
    };
    let (code, ()) = tokio::join!(backend.exec_stream(spec, tx), print);
    Ok(code?)
}

/// Pulls the steps' own images that ask for it (`pull: always`, a registry login)
/// before anything starts, each once.
pub(super) async fn fetch_step_images(
    stack: &crate::engine::Stack,
    job: &crate::model::Job,
) -> Result<(), EngineError> {
    let mut seen = std::collections::BTreeSet::new();
    for step in &job.steps {
        let Some(image) = &step.image else { continue };
        if step.when == crate::model::StepWhen::Never || !seen.insert(image) {
            continue;
        }
        crate::engine::images::fetch_image(
            stack,
            &format!("step {:?}", step.name),
            image,
            step.pull,
            step.registry_auth.as_ref(),
        )
        .await?;
    }
    Ok(())
}

/// The container a step with its own image runs in: the main container's settings
/// (the pod, the workspace, caches, environment), its image, and the step's script.
fn own_container(
    stack: &crate::engine::Stack,
    exec: &ExecSpec,
    image: &str,
    number: usize,
) -> ContainerSpec {
    let mut service = stack
        .project
        .services
        .get(MAIN)
        .cloned()
        .unwrap_or_default();
    service.name = format!("step-{number}");
    service.image = Some(image.to_string());
    service.entrypoint = Some(vec!["/bin/sh".into(), "-c".into()]);
    service.command = exec.command.get(2).cloned().map(|run| vec![run]);
    service.working_dir = exec.workdir.clone();
    service.healthcheck = None;
    service.ports.clear();
    service.expose.clear();
    for (k, v) in &exec.env {
        service.environment.insert(k.clone(), Some(v.clone()));
    }
    crate::plan::container_spec(
        &stack.project,
        &stack.plan,
        &service,
        1,
        &Default::default(),
    )
}

/// Runs a step in its own container: its output streamed as it is written, its exit
/// code the step's.
async fn run_in_own_container(
    backend: Arc<dyn Backend>,
    spec: &ContainerSpec,
    tail: Arc<Mutex<Vec<String>>>,
    label: Option<&str>,
) -> Result<i64, EngineError> {
    backend.run(spec).await?;
    let (tx, mut rx) = mpsc::channel::<LogLine>(256);
    let follow = LogOptions {
        follow: true,
        ..LogOptions::default()
    };
    let print = async {
        while let Some(line) = rx.recv().await {
            print_line(&line, &tail, label);
        }
    };
    let (logs, (), code) = tokio::join!(
        backend.logs(&spec.name, &follow, tx),
        print,
        backend.wait(&spec.name)
    );
    if let Err(e) = logs {
        tracing::debug!("following step container {}: {e}", spec.name);
    }
    Ok(code?)
}

fn print_line(line: &LogLine, tail: &Mutex<Vec<String>>, label: Option<&str>) {
    let _ = match label {
        Some(l) => crate::output::print(&format!("[{l}] {}\n", line.text)),
        None => crate::output::print(&format!("{}\n", line.text)),
    };
    let mut tail = tail.lock().unwrap_or_else(|e| e.into_inner());
    tail.push(line.text.clone());
    if tail.len() > TAIL_LINES {
        tail.remove(0);
    }
}

/// The shell script that signals every process carrying the step's mark: SIGTERM, a
/// second to go, then SIGKILL. It needs only `sh`, `tr`, `grep`, `kill` and `/proc`.
pub(super) fn stop_step_script(mark: &str) -> String {
    format!(
        "k() {{ for p in /proc/[0-9]*; do \
         if tr '\\0' '\\n' < \"$p/environ\" 2>/dev/null | grep -qxF '{STEP_MARK}={mark}'; \
         then kill -\"$1\" \"${{p#/proc/}}\" 2>/dev/null; fi; done; }}; \
         k TERM; sleep 1; k KILL; true"
    )
}

/// Stops what a step left running in the main container.
async fn stop_step(backend: &dyn Backend, container: &str, mark: &str) {
    let spec = ExecSpec {
        container: container.to_string(),
        command: vec!["sh".into(), "-c".into(), stop_step_script(mark)],
        ..ExecSpec::default()
    };
    let (tx, mut rx) = mpsc::channel::<LogLine>(16);
    let drain = async { while rx.recv().await.is_some() {} };
    let (stopped, ()) = tokio::join!(backend.exec_stream(&spec, tx), drain);
    if let Err(e) = stopped {
        tracing::debug!("stopping the processes of step {mark}: {e}");
    }
}
