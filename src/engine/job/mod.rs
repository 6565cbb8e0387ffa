//! The job runner: sidecars until each is ready, then the main container, then each step
//! in order, watched all along; a report; and the one teardown on every path (success,
//! failure, timeout, Ctrl-C, SIGTERM, SIGHUP, a podman error) unless `--keep`.

mod junit;
mod matrix;
mod report;
mod steps;

#[cfg(test)]
mod teardown_tests;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::health::record_health;
use super::{teardown, up, EngineError, Shutdown, Stack, StartedContainer, Teardown, UpOptions};
use crate::backend::{Backend, VolumeSpec};
use crate::exit;
use crate::model::{format_duration, Job, MAIN};
use crate::output::mask::mask;
use crate::output::{Event, Output, Readiness, Resource, ResourceKind, SidecarRow, StepStatus};
use crate::plan::{pod_spec, LABEL_CACHE, LABEL_CACHE_PATH, LABEL_OWNER, LABEL_PROJECT};

pub use matrix::{run_matrix, Variant};
pub use report::StepReport;

#[derive(Debug, Clone)]
pub struct JobOptions {
    pub keep: bool,
    /// Printed before each line of step output: a matrix combination's label.
    pub label: Option<String>,
    /// Run only these steps (by name); the others are reported as skipped.
    pub steps: Vec<String>,
    pub junit: Option<PathBuf>,
    pub logs_dir: Option<PathBuf>,
    pub timeout: Option<Duration>,
    /// How long the sidecars may take to be ready.
    pub ready_timeout: Duration,
    /// Stop everything in its grace period at the end, instead of removing it at once.
    pub graceful_stop: bool,
}

impl Default for JobOptions {
    fn default() -> Self {
        JobOptions {
            keep: false,
            label: None,
            steps: Vec::new(),
            junit: None,
            logs_dir: None,
            timeout: None,
            ready_timeout: crate::model::DEFAULT_READY_TIMEOUT,
            graceful_stop: false,
        }
    }
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

impl Outcome {
    pub fn exit_code(&self) -> i32 {
        match self {
            Outcome::Passed => exit::SUCCESS,
            Outcome::StepFailed { code, .. } => exit::step(*code),
            Outcome::StepTimedOut { .. } | Outcome::JobTimedOut(_) => exit::TIMED_OUT,
            Outcome::SidecarNotReady { .. } | Outcome::SidecarDied { .. } => exit::SERVICE,
            Outcome::Interrupted(sig) => exit::signal(*sig),
            Outcome::Failed(_) => exit::RUNTIME,
        }
    }

    /// The result as one word, for scripts.
    fn result(&self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::StepFailed { .. } => "step_failed",
            Outcome::StepTimedOut { .. } => "step_timed_out",
            Outcome::JobTimedOut(_) => "job_timed_out",
            Outcome::SidecarNotReady { .. } => "sidecar_not_ready",
            Outcome::SidecarDied { .. } => "sidecar_died",
            Outcome::Interrupted(_) => "interrupted",
            Outcome::Failed(_) => "failed",
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

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".into())
}

/// Who runs a job: `pid@host`; `kept:` in front when `--keep` asks to leave it.
pub fn owner(keep: bool) -> String {
    let prefix = if keep { "kept:" } else { "" };
    format!("{prefix}{}@{}", std::process::id(), hostname())
}

/// Whether an owner label names a sidepod process that still runs (on another host,
/// it cannot be known: assume it does).
fn owner_alive(owner: &str) -> bool {
    let Some((pid, host)) = owner.trim_start_matches("kept:").split_once('@') else {
        return false;
    };
    host != hostname() || Path::new("/proc").join(pid).exists()
}

/// Removes the leftovers of job runs whose sidepod process is gone (killed with SIGKILL,
/// or its machine's session ended), except those kept on purpose.
pub async fn reap_stale(backend: &Arc<dyn Backend>, output: &Output) -> Result<(), EngineError> {
    let mut stale: Vec<(String, String)> = Vec::new();
    // Bridge mode's jobs have networks where others have a pod: both asked at once.
    let (pods, networks) = tokio::join!(
        backend.pods(LABEL_OWNER, ""),
        backend.networks(LABEL_OWNER, "")
    );
    for pod in pods? {
        let owner = pod.labels.get(LABEL_OWNER).cloned().unwrap_or_default();
        let project = pod
            .labels
            .get(LABEL_PROJECT)
            .cloned()
            .unwrap_or(pod.name.clone());
        stale.push((project, owner));
    }
    for network in networks? {
        let label = |k: &str| network.labels.get(k).cloned().unwrap_or_default();
        stale.push((label(LABEL_PROJECT), label(LABEL_OWNER)));
    }
    stale.sort();
    stale.dedup();
    for (project, owner) in stale {
        if owner.starts_with("kept:") || owner_alive(&owner) {
            continue;
        }
        output.emit(Event::Notice(format!(
            "Removing the leftovers of job {project} (its sidepod process {owner} is gone)"
        )));
        let how = Teardown::Remove {
            volumes: true,
            timeout: Some(Duration::ZERO),
            all_in_pod: false,
        };
        // Another sidepod may be reaping the same leftovers right now: what it removes
        // first makes some of these calls fail, which is no reason to fail this run.
        if let Err(e) = super::remove_project(
            backend,
            &project,
            None,
            &how,
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

/// Creates the job's pod, which claims its name: podman creates one pod of a name, so of
/// two runs started at once exactly one gets it. The other is refused, and touches
/// nothing, naming the run that owns the pod.
async fn claim_pod(stack: &Stack, owner: &BTreeMap<String, String>) -> Result<(), EngineError> {
    if stack.plan.layout.is_bridge() {
        return claim_networks(stack, owner).await;
    }
    let spec = pod_spec(&stack.plan, owner);
    match stack.backend.pod_create(&spec).await {
        Ok(()) => {
            stack.output.emit(Event::resource(
                ResourceKind::Pod,
                &spec.name,
                Resource::Created,
            ));
            Ok(())
        }
        Err(e) if e.already_exists() => {
            let pods = stack.backend.pods(LABEL_PROJECT, &spec.name).await?;
            let who = pods
                .iter()
                .find_map(|p| p.labels.get(LABEL_OWNER).cloned())
                .map_or_else(
                    || "by `sidepod up`, not a job".to_string(),
                    |o| format!("by the job run {}", o.trim_start_matches("kept:")),
                );
            Err(EngineError::Busy(spec.name.clone(), who))
        }
        Err(e) => Err(e.into()),
    }
}

/// Bridge mode: the job's networks claim its name as its pod would. Of two runs at once,
/// the one that creates the first network runs; the other is refused.
async fn claim_networks(
    stack: &Stack,
    owner: &BTreeMap<String, String>,
) -> Result<(), EngineError> {
    crate::engine::pod::say_bridge(stack);
    for (i, spec) in crate::plan::network_specs(&stack.project)
        .into_iter()
        .enumerate()
    {
        let mut spec = spec;
        spec.labels.extend(owner.clone());
        match stack.backend.network_create(&spec).await {
            Ok(()) => stack.output.emit(Event::resource(
                ResourceKind::Network,
                &spec.name,
                Resource::Created,
            )),
            Err(e) if e.already_exists() && i == 0 => {
                return Err(EngineError::Busy(
                    stack.project.name.clone(),
                    format!("by another run (its network {} exists)", spec.name),
                ))
            }
            Err(e) if e.already_exists() => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Files the steps wrote into the workspace as a container user other than root belong,
/// rootless, to a subordinate uid that the CI runner cannot delete: they are given back
/// to the user sidepod runs as.
async fn give_back_workspace(stack: &Stack, job: &Job) {
    let dir = &job.project.directory;
    let problem = match stack.backend.reclaim(dir).await {
        Ok(None) => return,
        Ok(Some(complaint)) => complaint,
        Err(e) => e.to_string(),
    };
    stack.output.warn(&format!(
        "some files in the workspace {} could not be given back to you: {problem}",
        dir.display()
    ));
}

/// The job's cache volumes: each found again under its key, or made empty. They carry
/// no project label, so teardown leaves them; `sidepod cache` lists and prunes them.
async fn restore_caches(stack: &Stack, job: &Job) -> Result<(), EngineError> {
    for cache in &job.caches {
        let hit = stack.backend.volume_exists(&cache.volume).await?;
        if !hit {
            let labels = [
                (LABEL_CACHE.to_string(), cache.key.clone()),
                (LABEL_CACHE_PATH.to_string(), cache.path.clone()),
            ];
            let spec = VolumeSpec {
                name: cache.volume.clone(),
                labels: labels.into(),
                ..VolumeSpec::default()
            };
            match stack.backend.volume_create(&spec).await {
                // Another run with the same key made it a moment ago.
                Err(e) if e.already_exists() => {}
                other => other?,
            }
        }
        let state = Resource::Cache {
            hit,
            key: cache.key.clone(),
        };
        stack
            .output
            .emit(Event::resource(ResourceKind::Volume, &cache.volume, state));
    }
    Ok(())
}

/// One run of a job, as it goes.
struct Run<'a> {
    stack: &'a Stack,
    job: &'a Job,
    opts: &'a JobOptions,
    owner: BTreeMap<String, String>,
    steps: Vec<StepReport>,
    sidecars: Vec<StartedContainer>,
    main: Option<StartedContainer>,
    /// When the job must end (`--timeout`), and that limit.
    deadline: Option<(Instant, Duration)>,
    /// The project's containers, listed beside the claim (`UpOptions::listed`).
    listed: Option<super::up::Listing>,
}

/// How a run of a job ended: its exit code, its steps, and how long it took.
#[derive(Debug, Clone)]
pub struct Finished {
    pub code: i32,
    pub steps: Vec<StepReport>,
    pub took: Duration,
}

/// Runs the job over its stack (`Job::project`, planned); returns the exit code.
/// Teardown has finished when it returns.
pub async fn run_job(
    stack: &Stack,
    job: &Job,
    opts: &JobOptions,
    shutdown: &mut Shutdown,
) -> Result<i32, EngineError> {
    run_job_finished(stack, job, opts, shutdown)
        .await
        .map(|f| f.code)
}

/// `run_job`, with the steps' reports (for a matrix's table and JUnit file).
pub async fn run_job_finished(
    stack: &Stack,
    job: &Job,
    opts: &JobOptions,
    shutdown: &mut Shutdown,
) -> Result<Finished, EngineError> {
    let services: Vec<String> = stack.project.services.keys().cloned().collect();
    crate::engine::preflight::check(stack.backend.as_ref(), &stack.project, &services).await?;
    let owner: BTreeMap<String, String> = [(LABEL_OWNER.to_string(), owner(opts.keep))].into();
    // Before anything else: the pod's creation claims the name, at once for all runs. It
    // is not cut short by a stop request: what it makes, the teardown below removes.
    // Dead runs' leftovers are reaped meanwhile; one that holds this job's name refuses
    // the claim until it is gone, and then the name is claimed again. The project's
    // containers are listed meanwhile too: when the name was free, nothing of the
    // project was in a pod of it to go since, and `up` takes that listing as its own.
    let project = &stack.project.name;
    let (reaped, claimed, listed) = tokio::join!(
        reap_stale(&stack.backend, &stack.output),
        claim_pod(stack, &owner),
        stack
            .backend
            .containers_and_leftovers(LABEL_PROJECT, project)
    );
    reaped?;
    let listed = match claimed {
        Err(EngineError::Busy(..)) => {
            claim_pod(stack, &owner).await?;
            None
        }
        other => other.map(|()| listed.ok())?,
    };
    let began = Instant::now();
    let mut run = Run {
        stack,
        job,
        opts,
        owner,
        steps: Vec::new(),
        sidecars: Vec::new(),
        main: None,
        deadline: opts.timeout.map(|t| (began + t, t)),
        listed,
    };
    let outcome = match opts.timeout {
        Some(limit) => tokio::select! {
            o = run.body(shutdown) => o,
            _ = tokio::time::sleep_until(began + limit) => Outcome::JobTimedOut(limit),
        },
        None => run.body(shutdown).await,
    };
    run.finish_steps();
    if outcome != Outcome::Passed && !matches!(outcome, Outcome::Interrupted(_)) {
        run.explain().await;
    }
    if let Some(dir) = &opts.logs_dir {
        run.write_logs(dir).await;
    }
    // The steps are over, so the workspace is given back while the stack goes: nothing
    // writes to it any more.
    let how = run.teardown();
    let (torn_down, ()) = tokio::join!(
        teardown(stack, &how, shutdown),
        give_back_workspace(stack, job)
    );
    let total = began.elapsed();
    if let Some(path) = &opts.junit {
        let xml = junit::junit_xml(&stack.project.name, &run.steps, total);
        if let Err(e) = std::fs::write(path, mask(&xml).as_bytes()) {
            stack
                .output
                .warn(&format!("cannot write {}: {e}", path.display()));
        }
    }
    run.summary(&outcome, total);
    let finished = Finished {
        code: outcome.exit_code(),
        steps: run.steps.clone(),
        took: total,
    };
    match torn_down {
        Ok(()) => Ok(finished),
        // The job's own end decides its exit code; a teardown that failed on top of it
        // is said, and `sidepod down` removes what it left.
        Err(e) if outcome != Outcome::Passed => {
            stack.output.warn(&format!(
                "teardown did not finish ({e}); `sidepod -p {} down -v` removes what is left",
                stack.project.name
            ));
            Ok(finished)
        }
        Err(e) => Err(e),
    }
}

impl Run<'_> {
    async fn body(&mut self, shutdown: &mut Shutdown) -> Outcome {
        if let Err(e) = restore_caches(self.stack, self.job).await {
            return self.failure(e);
        }
        if let Err(e) = steps::fetch_step_images(self.stack, self.job).await {
            return self.failure(e);
        }
        let main = match self.start_containers(shutdown).await {
            Ok(main) => main,
            Err(o) => return o,
        };
        // The sidecars are removed at the end, unless `--keep` leaves them to be looked
        // at: then podman records their health, while the steps run, not before them.
        let healthy: Vec<String> = self
            .sidecars
            .iter()
            .filter(|c| self.opts.keep && c.ready == Readiness::Healthy)
            .map(|c| c.name.clone())
            .collect();
        let backend = self.stack.backend.clone();
        let (outcome, ()) = tokio::join!(
            steps::run_steps(self, &main, shutdown),
            record_health(backend.as_ref(), &healthy)
        );
        outcome
    }

    /// The sidecars and the main container, in one `up`: the main container is started
    /// as soon as the sidecars' containers are, while they get ready, not after that;
    /// the steps wait until every sidecar is ready.
    async fn start_containers(
        &mut self,
        shutdown: &mut Shutdown,
    ) -> Result<StartedContainer, Outcome> {
        let stack = self.stack;
        let up_opts = UpOptions {
            services: stack.project.services.keys().cloned().collect(),
            no_deps: true,
            wait: true,
            wait_timeout: Some(self.opts.ready_timeout),
            ports_ready: true,
            labels: self.owner.clone(),
            unawaited: [MAIN.to_string()].into(),
            pod_claimed: !stack.plan.layout.is_bridge(),
            listed: self.listed.take(),
            defer_health_record: true,
            watched_after: true,
            ..UpOptions::default()
        };
        let started = up(stack, &up_opts, shutdown)
            .await
            .map_err(|e| self.failure(e))?;
        let (main, sidecars): (Vec<_>, Vec<_>) =
            started.into_iter().partition(|c| c.service == MAIN);
        self.sidecars = sidecars;
        self.main = main.into_iter().next();
        for c in &self.sidecars {
            stack.output.emit(Event::SidecarReady {
                service: c.service.clone(),
                ready: c.ready,
                seconds: c.ready_after.as_secs_f64(),
            });
        }
        self.main
            .clone()
            .ok_or_else(|| Outcome::Failed("the main container did not start".into()))
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
                    self.stack.output.emit(Event::Notice(detail));
                }
                Outcome::SidecarNotReady { service, reason }
            }
            other => Outcome::Failed(other.to_string()),
        }
    }

    /// CI removes service containers by force, at once: so does this, unless the job
    /// asks for graceful stops, when a sidecar gets the grace period it asks for, else a
    /// short one. With `--keep`, everything stays, and the user is told how to get in
    /// and to remove it.
    fn teardown(&self) -> Teardown {
        let stack = self.stack;
        if self.opts.keep {
            let name = &stack.project.name;
            let main = self
                .main
                .as_ref()
                .map_or(format!("{name}-{MAIN}-1"), |m| m.name.clone());
            stack.output.emit(Event::Kept {
                project: name.clone(),
                main,
            });
            return Teardown::Keep;
        }
        if !self.opts.graceful_stop {
            // Its stack came up whole: each container is one podman knows, in the pod.
            return Teardown::Remove {
                volumes: true,
                timeout: Some(Duration::ZERO),
                all_in_pod: self.main.is_some(),
            };
        }
        let grace = stack
            .project
            .services
            .values()
            .filter_map(|s| s.stop_grace_period)
            .max()
            .unwrap_or(TEARDOWN_GRACE);
        Teardown::Remove {
            volumes: true,
            timeout: Some(grace),
            all_in_pod: false,
        }
    }

    fn summary(&self, outcome: &Outcome, total: Duration) {
        let report = crate::output::JobReport {
            project: self.stack.project.name.clone(),
            result: outcome.result(),
            description: outcome.describe(),
            exit_code: outcome.exit_code(),
            seconds: total.as_secs_f64(),
            steps: self.steps.iter().map(StepReport::row).collect(),
            sidecars: self
                .sidecars
                .iter()
                .map(|c| SidecarRow {
                    service: c.service.clone(),
                    ready: c.ready,
                    seconds: c.ready_after.as_secs_f64(),
                })
                .collect(),
        };
        self.stack.output.emit(Event::Job(report));
    }

    /// Steps that never ran (the job stopped first) are reported as such.
    fn finish_steps(&mut self) {
        for step in self.job.steps.iter().skip(self.steps.len()) {
            self.steps.push(StepReport::new(
                &step.name,
                StepStatus::NotRun,
                Duration::ZERO,
            ));
        }
    }
}
