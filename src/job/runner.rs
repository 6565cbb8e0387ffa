//! The job runner: sidecars until each is ready, then the main container, then each step
//! in order, watched all along; a report; and teardown on every path (success, failure,
//! timeout, Ctrl-C, SIGTERM, a podman error) unless `--keep`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::junit::junit_xml;
use super::{Job, MAIN};
use crate::backend::{Backend, ExecSpec, LogLine, LogOptions};
use crate::engine::{
    self, log_tail, DownOptions, EngineError, Shutdown, Stack, StartedContainer, UpOptions,
};
use crate::model::{format_duration, Mount, MountKind, Project, RestartPolicy, Service};
use crate::output::Output;
use crate::plan::{Plan, PlanError, LABEL_OWNER, LABEL_PROJECT};

#[derive(Debug, Clone, Default)]
pub struct JobOptions {
    pub keep: bool,
    /// Run only these steps (by name); the others are reported as skipped.
    pub steps: Vec<String>,
    pub junit: Option<PathBuf>,
    pub logs_dir: Option<PathBuf>,
    pub timeout: Option<Duration>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepResult {
    Passed,
    Failed(i64),
    TimedOut,
    Skipped,
    NotRun,
}

#[derive(Debug, Clone)]
pub struct StepReport {
    pub name: String,
    pub result: StepResult,
    pub duration: Duration,
    /// The step's last lines of output.
    pub output: Vec<String>,
}

/// How the job ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    StepFailed { step: String, code: i64 },
    StepTimedOut { step: String, after: Duration },
    JobTimedOut(Duration),
    SidecarNotReady { service: String, reason: String },
    SidecarDied { service: String, code: i64 },
    Interrupted(i32),
    Failed(String),
}

/// How long a sidecar without its own `stop_grace_period` gets to stop at teardown.
const TEARDOWN_GRACE: Duration = Duration::from_secs(2);

/// The timeout exit code, as `timeout(1)` uses it.
pub const TIMED_OUT: i32 = 124;

impl Outcome {
    pub fn exit_code(&self) -> i32 {
        match self {
            Outcome::Passed => 0,
            Outcome::StepFailed { code, .. } => i32::try_from(*code)
                .ok()
                .filter(|c| (1..=255).contains(c))
                .unwrap_or(1),
            Outcome::StepTimedOut { .. } | Outcome::JobTimedOut(_) => TIMED_OUT,
            Outcome::SidecarNotReady { .. } | Outcome::SidecarDied { .. } => {
                crate::error::exit::SERVICE
            }
            Outcome::Interrupted(sig) => 128 + sig,
            Outcome::Failed(_) => crate::error::exit::RUNTIME,
        }
    }

    fn describe(&self) -> String {
        match self {
            Outcome::Passed => "passed".into(),
            Outcome::StepFailed { step, code } => {
                format!("failed: step {step:?} exited with code {code}")
            }
            Outcome::StepTimedOut { step, after } => format!(
                "failed: step {step:?} timed out after {}",
                format_duration(*after)
            ),
            Outcome::JobTimedOut(after) => format!(
                "failed: the job timed out after {}",
                format_duration(*after)
            ),
            Outcome::SidecarNotReady { service, reason } => {
                format!("failed: sidecar {service:?} {reason}")
            }
            Outcome::SidecarDied { service, code } => {
                format!("failed: sidecar {service:?} died (exit code {code}) while steps ran")
            }
            Outcome::Interrupted(sig) => format!("stopped by signal {sig}"),
            Outcome::Failed(why) => format!("failed: {why}"),
        }
    }
}

/// Who runs a job: `pid@host`; `kept:` in front when `--keep` asks to leave it.
pub fn owner(keep: bool) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".into());
    let prefix = if keep { "kept:" } else { "" };
    format!("{prefix}{}@{host}", std::process::id())
}

/// Whether an owner label names a sidepod process that still runs (on another host,
/// it cannot be known: assume it does).
fn owner_alive(owner: &str) -> bool {
    let Some((pid, host)) = owner.trim_start_matches("kept:").split_once('@') else {
        return false;
    };
    let here = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default();
    host != here || Path::new("/proc").join(pid).exists()
}

/// Removes the leftovers of job runs whose sidepod process is gone (killed with SIGKILL,
/// or its machine's session ended), except those kept on purpose.
pub async fn reap_stale(backend: &dyn Backend, output: &Output) -> Result<(), EngineError> {
    for pod in backend.pods(LABEL_OWNER, "").await? {
        let owner = pod.labels.get(LABEL_OWNER).cloned().unwrap_or_default();
        if owner.starts_with("kept:") || owner_alive(&owner) {
            continue;
        }
        let project = pod
            .labels
            .get(LABEL_PROJECT)
            .cloned()
            .unwrap_or(pod.name.clone());
        output.status(&format!(
            "Removing the leftovers of job {project} (its sidepod process {owner} is gone)"
        ));
        let opts = DownOptions {
            volumes: true,
            timeout: Some(Duration::ZERO),
        };
        // Another sidepod may be reaping the same leftovers right now: what it removes
        // first makes some of these calls fail, which is no reason to fail this run.
        if let Err(e) = engine::down(
            backend,
            &project,
            None,
            &opts,
            output,
            &mut Shutdown::never(),
        )
        .await
        {
            tracing::debug!("reaping {project}: {e}");
        }
    }
    Ok(())
}

/// The job as one project: the sidecars, and the main container as service `main`, with
/// the workspace mounted (read-write in `main`, read-only in the sidecars).
pub fn job_project(job: &Job) -> Project {
    let mut project = job.project.clone();
    let workdir = job
        .container
        .working_dir
        .clone()
        .unwrap_or_else(|| super::DEFAULT_WORKDIR.into());
    let workspace = |read_only: bool| Mount {
        kind: MountKind::Bind,
        source: Some(project.directory.to_string_lossy().into_owned()),
        target: workdir.clone(),
        read_only,
        options: Vec::new(),
        create_host_path: false,
        tmpfs_size: None,
    };
    for s in project.services.values_mut() {
        if !s.volumes.iter().any(|m| m.target == workdir) {
            s.volumes.push(workspace(true));
        }
    }
    let mut main: Service = job.container.clone();
    main.volumes.retain(|m| m.target != workdir);
    main.volumes.push(workspace(false));
    // Kept alive for the steps; an init makes it stop at once.
    main.entrypoint = Some(vec!["sleep".into()]);
    main.command = Some(vec!["1000000000".into()]);
    main.init = true;
    main.restart = RestartPolicy::No;
    main.depends_on.clear();
    project.services.insert(MAIN.into(), main);
    project
}

/// Plans the job's project: every config error surfaces here, before anything exists.
pub fn plan_job(job: &Job) -> Result<(Project, Plan), PlanError> {
    let project = job_project(job);
    let plan = Plan::new(&project)?;
    Ok((project, plan))
}

struct Run<'a> {
    stack: &'a Stack,
    job: &'a Job,
    opts: &'a JobOptions,
    owner: BTreeMap<String, String>,
    steps: Vec<StepReport>,
    sidecars: Vec<StartedContainer>,
    main: Option<StartedContainer>,
}

/// Runs the job; returns the exit code. Teardown has finished when it returns.
pub async fn run_job(
    stack: &Stack,
    job: &Job,
    opts: &JobOptions,
    shutdown: &mut Shutdown,
) -> Result<i32, EngineError> {
    let backend = stack.backend.as_ref();
    reap_stale(backend, &stack.output).await?;
    if let Some(pod) = backend
        .pods(LABEL_PROJECT, &stack.project.name)
        .await?
        .first()
    {
        let who = pod
            .labels
            .get(LABEL_OWNER)
            .map_or("not a job".to_string(), |o| o.clone());
        return Err(EngineError::Busy(stack.project.name.clone(), who));
    }
    let began = Instant::now();
    let mut run = Run {
        stack,
        job,
        opts,
        owner: [(LABEL_OWNER.to_string(), owner(opts.keep))].into(),
        steps: Vec::new(),
        sidecars: Vec::new(),
        main: None,
    };
    let deadline = opts.timeout.map(|t| began + t);
    let outcome = {
        let body = run.body(shutdown);
        match deadline {
            Some(d) => tokio::select! {
                o = body => o,
                _ = tokio::time::sleep_until(d) => Outcome::JobTimedOut(opts.timeout.unwrap_or_default()),
            },
            None => body.await,
        }
    };
    run.finish_steps();
    if outcome != Outcome::Passed && !matches!(outcome, Outcome::Interrupted(_)) {
        run.explain().await;
    }
    if let Some(dir) = &opts.logs_dir {
        run.write_logs(dir).await;
    }
    if opts.keep {
        run.tell_how_to_remove();
    } else {
        // CI removes service containers promptly: a sidecar gets the grace period it
        // asks for, else a short one.
        let grace = stack
            .project
            .services
            .values()
            .filter_map(|s| s.stop_grace_period)
            .max()
            .unwrap_or(TEARDOWN_GRACE);
        let down = DownOptions {
            volumes: true,
            timeout: Some(grace),
        };
        engine::down(
            backend,
            &stack.project.name,
            Some((&stack.project, &stack.plan)),
            &down,
            &stack.output,
            shutdown,
        )
        .await?;
    }
    let total = began.elapsed();
    if let Some(path) = &opts.junit {
        let xml = junit_xml(&stack.project.name, &run.steps, total);
        if let Err(e) = std::fs::write(path, xml) {
            crate::output::warn(&format!("cannot write {}: {e}", path.display()));
        }
    }
    run.summary(&outcome, total);
    Ok(outcome.exit_code())
}

impl Run<'_> {
    async fn body(&mut self, shutdown: &mut Shutdown) -> Outcome {
        let stack = self.stack;
        let sidecar_names: Vec<String> = stack
            .project
            .services
            .keys()
            .filter(|n| *n != MAIN)
            .cloned()
            .collect();
        if !sidecar_names.is_empty() {
            let up_opts = UpOptions {
                services: sidecar_names,
                no_deps: true,
                wait: true,
                labels: self.owner.clone(),
                ..UpOptions::default()
            };
            match engine::up(stack, &up_opts, shutdown).await {
                Ok(started) => self.sidecars = started,
                Err(e) => return self.failure(e),
            }
            for c in &self.sidecars {
                let how = if c.healthy { "healthy" } else { "running" };
                stack.output.status(&format!(
                    "Sidecar {} ready ({how}) in {}",
                    c.service,
                    short(c.ready_after)
                ));
            }
        }
        let main_opts = UpOptions {
            services: vec![MAIN.into()],
            no_deps: true,
            labels: self.owner.clone(),
            ..UpOptions::default()
        };
        match engine::up(stack, &main_opts, shutdown).await {
            Ok(mut started) => self.main = started.pop(),
            Err(e) => return self.failure(e),
        }
        let Some(main) = self.main.clone() else {
            return Outcome::Failed("the main container did not start".into());
        };
        let mut watchers = JoinSet::new();
        for c in &self.sidecars {
            if stack.project.services[&c.service].restart != RestartPolicy::No {
                continue;
            }
            let backend = stack.backend.clone();
            let c = c.clone();
            watchers.spawn(async move { (c.service.clone(), backend.wait(&c.name).await) });
        }
        let total = self.job.steps.len();
        for (index, step) in self.job.steps.iter().enumerate() {
            if !self.opts.steps.is_empty() && !self.opts.steps.contains(&step.name) {
                self.steps.push(StepReport {
                    name: step.name.clone(),
                    result: StepResult::Skipped,
                    duration: Duration::ZERO,
                    output: Vec::new(),
                });
                continue;
            }
            stack.output.status(&format!(
                "\u{25b6} Step {}/{total}: {}",
                index + 1,
                step.name
            ));
            let workdir = main_workdir(self.job, step.working_dir.as_deref());
            let spec = ExecSpec {
                container: main.name.clone(),
                command: vec!["sh".into(), "-c".into(), step.run.clone()],
                env: step.env.clone(),
                workdir: Some(workdir),
                ..ExecSpec::default()
            };
            let started = Instant::now();
            let tail = Arc::new(std::sync::Mutex::new(Vec::new()));
            let exec = run_step(stack.backend.clone(), &spec, tail.clone());
            tokio::pin!(exec);
            let step_timeout = async {
                match step.timeout {
                    Some(t) => tokio::time::sleep(t).await,
                    None => std::future::pending().await,
                }
            };
            tokio::pin!(step_timeout);
            let result = loop {
                tokio::select! {
                    r = &mut exec => break r.map_err(|e| Outcome::Failed(e.to_string())),
                    _ = &mut step_timeout => break Err(Outcome::StepTimedOut { step: step.name.clone(), after: step.timeout.unwrap_or_default() }),
                    _ = shutdown.requested() => break Err(Outcome::Interrupted(shutdown.signal().unwrap_or(2))),
                    Some(done) = watchers.join_next(), if !watchers.is_empty() => {
                        let Ok((service, Ok(code))) = done else { continue };
                        if code == 0 {
                            stack.output.status(&format!("Sidecar {service} finished (exit code 0)"));
                            continue;
                        }
                        break Err(Outcome::SidecarDied { service, code });
                    }
                }
            };
            let duration = started.elapsed();
            let (result, outcome) = match result {
                Ok(0) => (StepResult::Passed, None),
                Ok(code) => (
                    StepResult::Failed(code),
                    Some(Outcome::StepFailed {
                        step: step.name.clone(),
                        code,
                    }),
                ),
                Err(o @ Outcome::StepTimedOut { .. }) => (StepResult::TimedOut, Some(o)),
                Err(o) => (StepResult::Failed(-1), Some(o)),
            };
            let mark = if result == StepResult::Passed {
                "\u{2714}"
            } else {
                "\u{2718}"
            };
            let said = match &result {
                StepResult::Passed => "passed".to_string(),
                StepResult::Failed(code) if *code >= 0 => format!("failed with exit code {code}"),
                StepResult::TimedOut => "timed out".to_string(),
                _ => "stopped".to_string(),
            };
            stack.output.status(&format!(
                "{mark} {} {said} in {}",
                step.name,
                short(duration)
            ));
            let output = std::mem::take(&mut *tail.lock().unwrap_or_else(|e| e.into_inner()));
            self.steps.push(StepReport {
                name: step.name.clone(),
                result,
                duration,
                output,
            });
            if let Some(o) = outcome {
                return o;
            }
        }
        Outcome::Passed
    }

    fn failure(&self, e: EngineError) -> Outcome {
        match e {
            EngineError::Interrupted(sig) => Outcome::Interrupted(sig),
            EngineError::ServiceFailed {
                service,
                reason,
                detail,
            } => {
                if !detail.is_empty() {
                    self.stack.output.status(&detail);
                }
                Outcome::SidecarNotReady { service, reason }
            }
            other => Outcome::Failed(other.to_string()),
        }
    }

    /// Steps that never ran (the job stopped first) are reported as such.
    fn finish_steps(&mut self) {
        for step in self.job.steps.iter().skip(self.steps.len()) {
            self.steps.push(StepReport {
                name: step.name.clone(),
                result: StepResult::NotRun,
                duration: Duration::ZERO,
                output: Vec::new(),
            });
        }
    }

    /// After a failure: each sidecar's last 30 log lines, and the health log of the
    /// unhealthy ones.
    async fn explain(&self) {
        let stack = self.stack;
        let backend = stack.backend.as_ref();
        let Ok(containers) = backend.containers(LABEL_PROJECT, &stack.project.name).await else {
            return;
        };
        let sidecars: Vec<String> = containers
            .iter()
            .filter(|c| c.label(crate::plan::LABEL_SERVICE) != Some(MAIN))
            .map(|c| c.name.clone())
            .collect();
        let infos = backend.inspect(&sidecars).await.unwrap_or_default();
        for name in &sidecars {
            let tail = log_tail(backend, name, 30).await;
            stack
                .output
                .status(&format!("\u{2500}\u{2500} sidecar {name} \u{2500}\u{2500}"));
            stack.output.status(if tail.is_empty() {
                "(no output)"
            } else {
                &tail
            });
            let health = infos
                .iter()
                .find(|i| &i.name == name)
                .and_then(|i| i.health.clone());
            if let Some(h) = health.filter(|h| h.status != "healthy") {
                stack.output.status(&format!(
                    "health: {} ({} failing in a row)",
                    h.status, h.failing_streak
                ));
                for entry in h.log.iter().rev().take(5).rev() {
                    stack.output.status(&format!(
                        "  exit {}: {}",
                        entry.exit_code,
                        entry.output.trim()
                    ));
                }
            }
        }
    }

    /// `--logs-dir`: every container's whole log, one file per service.
    async fn write_logs(&self, dir: &Path) {
        let stack = self.stack;
        if let Err(e) = std::fs::create_dir_all(dir) {
            crate::output::warn(&format!("cannot create {}: {e}", dir.display()));
            return;
        }
        let containers: Vec<&StartedContainer> =
            self.sidecars.iter().chain(self.main.iter()).collect();
        for c in containers {
            let (tx, mut rx) = mpsc::channel::<LogLine>(1024);
            let collect = async {
                let mut text = String::new();
                while let Some(line) = rx.recv().await {
                    text.push_str(&line.text);
                    text.push('\n');
                }
                text
            };
            let whole = LogOptions::default();
            let (_, text) = tokio::join!(stack.backend.logs(&c.name, &whole, tx), collect);
            let file = dir.join(format!("{}.log", c.prefix));
            if let Err(e) = std::fs::write(&file, text) {
                crate::output::warn(&format!("cannot write {}: {e}", file.display()));
            }
        }
    }

    fn tell_how_to_remove(&self) {
        let name = &self.stack.project.name;
        let main = self
            .main
            .as_ref()
            .map_or(format!("{name}-{MAIN}-1"), |m| m.name.clone());
        self.stack.output.status(&format!(
            "Kept job {name} (--keep). Enter the main container: podman exec -it {main} sh\n\
             Remove everything: sidepod -p {name} down -v"
        ));
    }

    fn summary(&self, outcome: &Outcome, total: Duration) {
        let mut rows: Vec<[String; 3]> = vec![["STEP".into(), "RESULT".into(), "TIME".into()]];
        for s in &self.steps {
            let result = match &s.result {
                StepResult::Passed => "passed".to_string(),
                StepResult::Failed(c) if *c >= 0 => format!("failed (exit {c})"),
                StepResult::Failed(_) => "stopped".to_string(),
                StepResult::TimedOut => "timed out".to_string(),
                StepResult::Skipped => "skipped".to_string(),
                StepResult::NotRun => "not run".to_string(),
            };
            let time = if matches!(s.result, StepResult::Skipped | StepResult::NotRun) {
                "-".into()
            } else {
                short(s.duration)
            };
            rows.push([s.name.clone(), result, time]);
        }
        if !self.sidecars.is_empty() {
            rows.push(["SIDECAR".into(), "READY".into(), "AFTER".into()]);
            for c in &self.sidecars {
                rows.push([
                    c.service.clone(),
                    if c.healthy { "healthy" } else { "running" }.into(),
                    short(c.ready_after),
                ]);
            }
        }
        let widths: Vec<usize> = (0..2)
            .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
            .collect();
        let mut text = format!(
            "Job {}: {} in {}\n",
            self.stack.project.name,
            outcome.describe(),
            short(total)
        );
        for r in &rows {
            text.push_str(&format!(
                "  {:<w0$}  {:<w1$}  {}\n",
                r[0],
                r[1],
                r[2],
                w0 = widths[0],
                w1 = widths[1]
            ));
        }
        self.stack.output.status(text.trim_end());
    }
}

/// A step's working directory: its own, relative to the container's, or the container's.
fn main_workdir(job: &Job, step: Option<&str>) -> String {
    let base = job
        .container
        .working_dir
        .clone()
        .unwrap_or_else(|| super::DEFAULT_WORKDIR.into());
    match step {
        Some(w) if w.starts_with('/') => w.to_string(),
        Some(w) => format!("{}/{w}", base.trim_end_matches('/')),
        None => base,
    }
}

/// Runs one step, printing its output on stdout as it comes and keeping its last lines
/// in `tail` (shared: a step stopped by a timeout keeps what it printed).
async fn run_step(
    backend: Arc<dyn Backend>,
    spec: &ExecSpec,
    tail: Arc<std::sync::Mutex<Vec<String>>>,
) -> Result<i64, EngineError> {
    let (tx, mut rx) = mpsc::channel::<LogLine>(256);
    let print = async {
        while let Some(line) = rx.recv().await {
            let _ = crate::output::print(&format!("{}\n", line.text));
            let mut tail = tail.lock().unwrap_or_else(|e| e.into_inner());
            tail.push(line.text);
            if tail.len() > 50 {
                tail.remove(0);
            }
        }
    };
    let (code, ()) = tokio::join!(backend.exec_stream(spec, tx), print);
    Ok(code?)
}

fn short(d: Duration) -> String {
    format!("{:.1}s", d.as_secs_f64())
}
