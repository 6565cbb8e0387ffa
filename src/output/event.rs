//! The events the engine reports, each rendered as one plain line (or a few, for the
//! reports) or as one JSON object of the documented schema (`docs/events.schema.json`).

use serde_json::{json, Map, Value};

/// What kind of thing a resource event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceKind {
    Pod,
    Container,
    Volume,
    Image,
    Network,
}

impl ResourceKind {
    pub(super) fn word(self) -> &'static str {
        match self {
            ResourceKind::Pod => "Pod",
            ResourceKind::Container => "Container",
            ResourceKind::Volume => "Volume",
            ResourceKind::Image => "Image",
            ResourceKind::Network => "Network",
        }
    }
}

/// A state change of a pod, container, volume or image, as Compose names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    Created,
    Recreating(String),
    Building,
    Built,
    Pulling,
    Pulled,
    Started,
    Running,
    Recreate,
    /// Waited for until healthy (a dependency's `condition: service_healthy`).
    Waiting,
    Healthy,
    Exited(i64),
    Stopping,
    Stopped,
    Restarted(Option<String>),
    Killed(String),
    Paused,
    Unpaused,
    Removed,
    RemovedOrphan,
    /// A job's cache volume: found (a hit) or made empty (a miss), with its key.
    Cache {
        hit: bool,
        key: String,
    },
}

impl Resource {
    pub(super) fn status(&self) -> &'static str {
        match self {
            Resource::Created => "Created",
            Resource::Recreating(_) => "Recreating",
            Resource::Building => "Building",
            Resource::Built => "Built",
            Resource::Pulling => "Pulling",
            Resource::Pulled => "Pulled",
            Resource::Started => "Started",
            Resource::Running => "Running",
            Resource::Recreate => "Recreate",
            Resource::Waiting => "Waiting",
            Resource::Healthy => "Healthy",
            Resource::Exited(_) => "Exited",
            Resource::Stopping => "Stopping",
            Resource::Stopped => "Stopped",
            Resource::Restarted(_) => "Restarted",
            Resource::Killed(_) => "Killed",
            Resource::Paused => "Paused",
            Resource::Unpaused => "Unpaused",
            Resource::Removed | Resource::RemovedOrphan => "Removed",
            Resource::Cache { hit: true, .. } => "Restored",
            Resource::Cache { hit: false, .. } => "Created",
        }
    }

    /// What the plain line adds in parentheses, or after a colon.
    fn detail(&self) -> Option<String> {
        match self {
            Resource::Recreating(why) => Some(why.clone()),
            Resource::Cache { hit, key } => Some(format!(
                "cache {} for key {key}",
                if *hit { "hit" } else { "miss" }
            )),
            Resource::Exited(code) => Some(code.to_string()),
            Resource::Restarted(Some(after)) => Some(format!("after {after}")),
            Resource::Killed(signal) => Some(signal.clone()),
            Resource::RemovedOrphan => Some("orphan".into()),
            _ => None,
        }
    }
}

/// How a step stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepStatus {
    Started,
    Passed,
    Failed(i64),
    TimedOut,
    /// Ended by something else: a signal, a dying sidecar, the job's timeout.
    Stopped,
    Skipped,
    NotRun,
}

impl StepStatus {
    fn word(&self) -> &'static str {
        match self {
            StepStatus::Started => "started",
            StepStatus::Passed => "passed",
            StepStatus::Failed(_) => "failed",
            StepStatus::TimedOut => "timed_out",
            StepStatus::Stopped => "stopped",
            StepStatus::Skipped => "skipped",
            StepStatus::NotRun => "not_run",
        }
    }

    /// How the summary table says it.
    fn summary(&self) -> String {
        match self {
            StepStatus::Failed(c) => format!("failed (exit {c})"),
            StepStatus::TimedOut => "timed out".into(),
            StepStatus::NotRun => "not run".into(),
            other => other.word().into(),
        }
    }
}

/// One row of a job's summary: a step.
#[derive(Debug, Clone, PartialEq)]
pub struct StepRow {
    pub name: String,
    pub status: StepStatus,
    pub seconds: f64,
}

/// What made a sidecar ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Readiness {
    /// It runs, and has neither a healthcheck nor a port to wait for.
    #[default]
    Running,
    /// Its healthcheck (the file's or its image's) passed.
    Healthy,
    /// Every port it declares accepts connections.
    PortsOpen,
    /// Its wait strategies (`x-sidepod-wait`, a job file's `wait:`) passed.
    Waited,
}

impl Readiness {
    /// How the summary says it.
    pub fn word(self) -> &'static str {
        match self {
            Readiness::Running => "running",
            Readiness::Healthy => "healthy",
            Readiness::PortsOpen => "ports open",
            Readiness::Waited => "wait passed",
        }
    }

    /// How the JSON form says it.
    fn key(self) -> &'static str {
        match self {
            Readiness::Running => "running",
            Readiness::Healthy => "healthcheck",
            Readiness::PortsOpen => "ports",
            Readiness::Waited => "wait",
        }
    }
}

/// One row of a job's summary: a sidecar and when it was ready.
#[derive(Debug, Clone, PartialEq)]
pub struct SidecarRow {
    pub service: String,
    pub ready: Readiness,
    pub seconds: f64,
}

/// A job's end: its result, steps and sidecars.
#[derive(Debug, Clone, PartialEq)]
pub struct JobReport {
    pub project: String,
    /// `passed`, `step_failed`, `step_timed_out`, `job_timed_out`, `sidecar_not_ready`,
    /// `sidecar_died`, `interrupted` or `failed`.
    pub result: &'static str,
    /// The same in words: `failed: step "Test" exited with code 3`.
    pub description: String,
    pub exit_code: i32,
    pub seconds: f64,
    pub steps: Vec<StepRow>,
    pub sidecars: Vec<SidecarRow>,
}

/// The health of a sidecar that was not healthy, for the report after a failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthReport {
    pub status: String,
    pub failing_streak: u32,
    /// The last checks: exit code and output.
    pub log: Vec<(i64, String)>,
}

/// Everything the engine tells the user about, besides container logs and results.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Resource {
        kind: ResourceKind,
        name: String,
        state: Resource,
    },
    /// An attached container exited (`db-1 exited with code 0`).
    Exited {
        container: String,
        code: i64,
    },
    /// Its `restart:` policy started an attached container again.
    RestartedByPolicy {
        container: String,
        policy: String,
        restart: u32,
    },
    Step {
        index: usize,
        total: usize,
        name: String,
        status: StepStatus,
        seconds: f64,
    },
    SidecarReady {
        service: String,
        ready: Readiness,
        seconds: f64,
    },
    SidecarFinished {
        service: String,
        code: i64,
    },
    /// After a failed job: a sidecar's last log lines and, when unhealthy, its health.
    SidecarReport {
        container: String,
        log: Vec<String>,
        health: Option<HealthReport>,
    },
    Job(JobReport),
    /// `job --keep`: what is left, and how to get in and to remove it.
    Kept {
        project: String,
        main: String,
    },
    /// `watch` acts on changed files: `sync`, `restart`, `rebuild` (`develop.watch`).
    Watch {
        service: String,
        action: String,
        files: usize,
    },
    /// A line of information that is not a state change (`Aborting on container exit...`).
    Notice(String),
    Warning(String),
    /// The error a command ends with, with its `caused by:` lines.
    Error(String),
}

fn short(seconds: f64) -> String {
    format!("{seconds:.1}s")
}

impl Event {
    pub fn container(name: &str, state: Resource) -> Event {
        Event::Resource {
            kind: ResourceKind::Container,
            name: name.to_string(),
            state,
        }
    }

    pub fn resource(kind: ResourceKind, name: &str, state: Resource) -> Event {
        Event::Resource {
            kind,
            name: name.to_string(),
            state,
        }
    }

    /// The plain form: one line, or a few for the reports.
    pub fn plain(&self) -> String {
        match self {
            Event::Resource { kind, name, state } => {
                let head = format!("{} {name}  {}", kind.word(), state.status());
                match (state, state.detail()) {
                    (Resource::Recreating(_), Some(why)) => format!("{head}: {why}"),
                    (_, Some(detail)) => format!("{head} ({detail})"),
                    (_, None) => head,
                }
            }
            Event::Exited { container, code } => format!("{container} exited with code {code}"),
            Event::RestartedByPolicy {
                container,
                policy,
                restart,
            } => format!("{container} restarted by its policy ({policy}): restart {restart}"),
            Event::Step {
                index,
                total,
                name,
                status,
                seconds,
            } => step_line(*index, *total, name, status, *seconds),
            Event::SidecarReady {
                service,
                ready,
                seconds,
            } => format!(
                "Sidecar {service} ready ({}) in {}",
                ready.word(),
                short(*seconds)
            ),
            Event::SidecarFinished { service, code } => {
                format!("Sidecar {service} finished (exit code {code})")
            }
            Event::SidecarReport {
                container,
                log,
                health,
            } => sidecar_report(container, log, health.as_ref()),
            Event::Job(report) => job_summary(report),
            Event::Kept { project, main } => format!(
                "Kept job {project} (--keep). Enter the main container: podman exec -it {main} sh\n\
                 Remove everything: sidepod -p {project} down -v"
            ),
            Event::Watch {
                service,
                action,
                files,
            } => {
                let verb = match action.as_str() {
                    "sync" => "Syncing",
                    "restart" => "Restarting",
                    "rebuild" => "Rebuilding",
                    other => other,
                };
                let s = if *files == 1 { "" } else { "s" };
                format!("{verb} service {service} after {files} changed file{s}")
            }
            Event::Notice(message) => message.clone(),
            Event::Warning(message) => format!("warning: {message}"),
            Event::Error(report) => report.clone(),
        }
    }

    /// The JSON form, one object, as `docs/events.schema.json` describes it.
    pub fn json(&self) -> Value {
        match self {
            Event::Resource { kind, name, state } => {
                let mut m = Map::new();
                m.insert("type".into(), json!(kind.word().to_ascii_lowercase()));
                m.insert("id".into(), json!(format!("{} {name}", kind.word())));
                m.insert("name".into(), json!(name));
                m.insert("status".into(), json!(state.status()));
                match state {
                    Resource::Exited(code) => {
                        m.insert("exit_code".into(), json!(code));
                    }
                    other => {
                        if let Some(d) = other.detail() {
                            m.insert("detail".into(), json!(d));
                        }
                    }
                }
                Value::Object(m)
            }
            Event::Exited { container, code } => {
                json!({"type": "exited", "container": container, "exit_code": code})
            }
            Event::RestartedByPolicy {
                container,
                policy,
                restart,
            } => json!({"type": "restarted", "container": container, "policy": policy,
                        "restart": restart}),
            Event::Step {
                index,
                total,
                name,
                status,
                seconds,
            } => {
                let mut v = json!({"type": "step", "index": index, "total": total, "name": name,
                                   "status": status.word()});
                if *status != StepStatus::Started {
                    v["seconds"] = json!(seconds);
                }
                if let StepStatus::Failed(code) = status {
                    v["exit_code"] = json!(code);
                }
                v
            }
            Event::SidecarReady {
                service,
                ready,
                seconds,
            } => json!({"type": "sidecar", "service": service, "status": "ready",
                        "healthy": *ready == Readiness::Healthy, "ready_by": ready.key(),
                        "seconds": seconds}),
            Event::SidecarFinished { service, code } => {
                json!({"type": "sidecar", "service": service, "status": "finished",
                       "exit_code": code})
            }
            Event::SidecarReport {
                container,
                log,
                health,
            } => {
                let mut v = json!({"type": "sidecar_report", "container": container, "log": log});
                if let Some(h) = health {
                    let checks: Vec<Value> = h
                        .log
                        .iter()
                        .map(|(code, output)| json!({"exit_code": code, "output": output}))
                        .collect();
                    v["health"] = json!({"status": h.status, "failing_streak": h.failing_streak,
                                         "log": checks});
                }
                v
            }
            Event::Job(r) => job_json(r),
            Event::Kept { project, main } => {
                json!({"type": "kept", "project": project, "main": main})
            }
            Event::Watch {
                service,
                action,
                files,
            } => json!({"type": "watch", "service": service, "action": action, "files": files}),
            Event::Notice(message) => json!({"type": "notice", "message": message}),
            Event::Warning(message) => json!({"type": "warning", "message": message}),
            Event::Error(report) => json!({"type": "error", "message": report}),
        }
    }
}

fn step_line(index: usize, total: usize, name: &str, status: &StepStatus, seconds: f64) -> String {
    let said = match status {
        StepStatus::Started => return format!("\u{25b6} Step {index}/{total}: {name}"),
        StepStatus::Passed => "passed".to_string(),
        StepStatus::Failed(code) => format!("failed with exit code {code}"),
        StepStatus::TimedOut => "timed out".to_string(),
        _ => "stopped".to_string(),
    };
    let mark = if *status == StepStatus::Passed {
        "\u{2714}"
    } else {
        "\u{2718}"
    };
    format!("{mark} {name} {said} in {}", short(seconds))
}

fn sidecar_report(container: &str, log: &[String], health: Option<&HealthReport>) -> String {
    let mut lines = vec![format!(
        "\u{2500}\u{2500} sidecar {container} \u{2500}\u{2500}"
    )];
    if log.is_empty() {
        lines.push("(no output)".into());
    } else {
        lines.push("last log lines:".into());
        lines.extend(log.iter().map(|l| format!("  {container} | {l}")));
    }
    if let Some(h) = health {
        lines.push(format!(
            "health: {} ({} failing in a row)",
            h.status, h.failing_streak
        ));
        lines.extend(
            h.log
                .iter()
                .map(|(code, output)| format!("  exit {code}: {}", output.trim())),
        );
    }
    lines.join("\n")
}

fn job_summary(r: &JobReport) -> String {
    let mut rows: Vec<[String; 3]> = vec![["STEP".into(), "RESULT".into(), "TIME".into()]];
    for s in &r.steps {
        let time = if matches!(s.status, StepStatus::Skipped | StepStatus::NotRun) {
            "-".into()
        } else {
            short(s.seconds)
        };
        rows.push([s.name.clone(), s.status.summary(), time]);
    }
    if !r.sidecars.is_empty() {
        rows.push(["SIDECAR".into(), "READY".into(), "AFTER".into()]);
        for c in &r.sidecars {
            rows.push([c.service.clone(), c.ready.word().into(), short(c.seconds)]);
        }
    }
    let widths: Vec<usize> = (0..2)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut text = format!(
        "Job {}: {} in {}\n",
        r.project,
        r.description,
        short(r.seconds)
    );
    for row in &rows {
        text.push_str(&format!(
            "  {:<w0$}  {:<w1$}  {}\n",
            row[0],
            row[1],
            row[2],
            w0 = widths[0],
            w1 = widths[1]
        ));
    }
    text.trim_end().to_string()
}

fn job_json(r: &JobReport) -> Value {
    let steps: Vec<Value> = r
        .steps
        .iter()
        .map(|s| {
            let mut v = json!({"name": s.name, "status": s.status.word(), "seconds": s.seconds});
            if let StepStatus::Failed(code) = s.status {
                v["exit_code"] = json!(code);
            }
            v
        })
        .collect();
    let sidecars: Vec<Value> = r
        .sidecars
        .iter()
        .map(|c| {
            json!({"service": c.service, "healthy": c.ready == Readiness::Healthy,
                   "ready_by": c.ready.key(), "seconds": c.seconds})
        })
        .collect();
    json!({"type": "job", "project": r.project, "result": r.result,
           "description": r.description, "exit_code": r.exit_code, "seconds": r.seconds,
           "steps": steps, "sidecars": sidecars})
}

#[cfg(test)]
mod tests;
