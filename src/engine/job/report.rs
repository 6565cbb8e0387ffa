//! What a job tells after it ran: each step's result, and after a failure the sidecars'
//! last log lines and health; `--logs-dir` writes every container's whole log.

use std::path::Path;
use std::time::Duration;

use tokio::sync::mpsc;

use super::Run;
use crate::backend::{LogLine, LogOptions};
use crate::engine::{log_lines, StartedContainer};
use crate::model::MAIN;
use crate::output::mask::mask;
use crate::output::{Event, HealthReport, StepRow, StepStatus};
use crate::plan::{LABEL_PROJECT, LABEL_SERVICE};

/// How a step went, with its last lines of output.
#[derive(Debug, Clone)]
pub struct StepReport {
    pub name: String,
    pub status: StepStatus,
    pub duration: Duration,
    pub output: Vec<String>,
}

impl StepReport {
    pub fn new(name: &str, status: StepStatus, duration: Duration) -> StepReport {
        StepReport {
            name: name.to_string(),
            status,
            duration,
            output: Vec::new(),
        }
    }

    pub fn row(&self) -> StepRow {
        StepRow {
            name: self.name.clone(),
            status: self.status.clone(),
            seconds: self.duration.as_secs_f64(),
        }
    }
}

impl Run<'_> {
    /// After a failure: each sidecar's last 30 log lines, and the health log of the
    /// unhealthy ones.
    pub(super) async fn explain(&self) {
        let stack = self.stack;
        let backend = stack.backend.as_ref();
        let Ok(containers) = backend.containers(LABEL_PROJECT, &stack.project.name).await else {
            return;
        };
        let sidecars: Vec<String> = containers
            .iter()
            .filter(|c| c.label(LABEL_SERVICE) != Some(MAIN))
            .map(|c| c.name.clone())
            .collect();
        let infos = backend.inspect(&sidecars).await.unwrap_or_default();
        for name in &sidecars {
            let health = infos
                .iter()
                .find(|i| &i.name == name)
                .and_then(|i| i.health.clone())
                .filter(|h| h.status != "healthy")
                .map(|h| HealthReport {
                    status: h.status,
                    failing_streak: h.failing_streak,
                    log: h
                        .log
                        .iter()
                        .rev()
                        .take(5)
                        .rev()
                        .map(|e| (e.exit_code, e.output.clone()))
                        .collect(),
                });
            stack.output.emit(Event::SidecarReport {
                container: name.clone(),
                log: log_lines(backend, name, 30).await,
                health,
            });
        }
    }

    /// `--logs-dir`: every container's whole log, one file per service.
    pub(super) async fn write_logs(&self, dir: &Path) {
        let stack = self.stack;
        if let Err(e) = std::fs::create_dir_all(dir) {
            stack
                .output
                .warn(&format!("cannot create {}: {e}", dir.display()));
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
            if let Err(e) = std::fs::write(&file, mask(&text).as_bytes()) {
                stack
                    .output
                    .warn(&format!("cannot write {}: {e}", file.display()));
            }
        }
    }
}
