//! A matrix of jobs: each combination in its own pod, up to `parallel` at once; with
//! fail-fast, those not started after a failure are not run. Then one table of
//! combinations × steps, and one JUnit file with a suite per combination.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::junit::junit_suites;
use super::{run_job_finished, Finished, JobOptions, StepReport};
use crate::engine::{Shutdown, Stack};
use crate::exit;
use crate::model::Job;
use crate::output::mask::mask;
use crate::output::StepStatus;

/// One combination, loaded and planned.
pub struct Variant {
    pub label: String,
    pub stack: Stack,
    pub job: Job,
}

/// What became of one combination.
enum Ran {
    Finished(Finished),
    /// Not started: an earlier combination failed, with fail-fast.
    Cancelled,
    Failed(String),
}

/// Runs every combination; returns 0 when all passed, else the first failing one's code
/// (in the matrix's order).
pub async fn run_matrix(
    variants: Vec<Variant>,
    opts: &JobOptions,
    parallel: usize,
    fail_fast: bool,
    shutdown: &Shutdown,
) -> i32 {
    let output = variants[0].stack.output.clone();
    let labels: Vec<String> = variants.iter().map(|v| v.label.clone()).collect();
    let gate = Arc::new(Semaphore::new(parallel.max(1)));
    let failed = Arc::new(AtomicBool::new(false));
    let mut tasks = JoinSet::new();
    let mut results: Vec<Option<Ran>> = (0..labels.len()).map(|_| None).collect();
    for (i, v) in variants.into_iter().enumerate() {
        // Started in the matrix's order, each when a place is free.
        let Ok(permit) = gate.clone().acquire_owned().await else {
            break;
        };
        if (fail_fast && failed.load(Ordering::SeqCst)) || shutdown.is_requested() {
            results[i] = Some(Ran::Cancelled);
            continue;
        }
        let failed = failed.clone();
        let mut shutdown = shutdown.clone();
        let opts = JobOptions {
            label: Some(v.label.clone()),
            junit: None,
            // One directory per combination, named after its pod.
            logs_dir: opts
                .logs_dir
                .as_ref()
                .map(|d| d.join(&v.stack.project.name)),
            ..opts.clone()
        };
        tasks.spawn(async move {
            let _permit = permit;
            v.stack.output.say(&format!(
                "Matrix {} runs as {}",
                v.label, v.stack.project.name
            ));
            let ran = match run_job_finished(&v.stack, &v.job, &opts, &mut shutdown).await {
                Ok(f) => Ran::Finished(f),
                Err(e) => Ran::Failed(e.to_string()),
            };
            let ok = matches!(&ran, Ran::Finished(f) if f.code == exit::SUCCESS);
            if !ok {
                failed.store(true, Ordering::SeqCst);
            }
            (i, ran)
        });
    }
    while let Some(done) = tasks.join_next().await {
        if let Ok((i, ran)) = done {
            results[i] = Some(ran);
        }
    }
    let results: Vec<Ran> = results
        .into_iter()
        .map(|r| r.unwrap_or(Ran::Failed("its task ended early".into())))
        .collect();
    output.say(&format!("Matrix summary\n{}", table(&labels, &results)));
    if let Some(path) = &opts.junit {
        write_junit(path, &labels, &results, &output);
    }
    results
        .iter()
        .find_map(|r| match r {
            Ran::Finished(f) if f.code != exit::SUCCESS => Some(f.code),
            Ran::Failed(_) => Some(exit::RUNTIME),
            _ => None,
        })
        .unwrap_or(exit::SUCCESS)
}

fn cell(status: &StepStatus) -> String {
    match status {
        StepStatus::Passed => "passed".into(),
        StepStatus::Failed(code) => format!("failed ({code})"),
        StepStatus::TimedOut => "timed out".into(),
        StepStatus::Stopped | StepStatus::Started => "stopped".into(),
        StepStatus::Skipped | StepStatus::NotRun => "-".into(),
    }
}

/// Combinations × steps, and each one's result.
fn table(labels: &[String], results: &[Ran]) -> String {
    let steps: Vec<String> = results
        .iter()
        .find_map(|r| match r {
            Ran::Finished(f) => Some(f.steps.iter().map(|s| s.name.clone()).collect()),
            _ => None,
        })
        .unwrap_or_default();
    let mut rows = vec![std::iter::once("COMBINATION".to_string())
        .chain(steps.iter().cloned())
        .chain(["RESULT".to_string()])
        .collect::<Vec<_>>()];
    for (label, r) in labels.iter().zip(results) {
        let (cells, result): (Vec<String>, String) = match r {
            Ran::Finished(f) => (
                f.steps.iter().map(|s| cell(&s.status)).collect(),
                if f.code == 0 {
                    "passed".into()
                } else {
                    format!("failed (exit {})", f.code)
                },
            ),
            Ran::Cancelled => (
                vec!["-".into(); steps.len()],
                "cancelled (fail-fast)".into(),
            ),
            Ran::Failed(e) => (vec!["-".into(); steps.len()], format!("error: {e}")),
        };
        let mut row = vec![label.clone()];
        row.extend(cells);
        row.resize(steps.len() + 1, "-".into());
        row.push(result);
        rows.push(row);
    }
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    rows.iter()
        .map(|r| {
            let line: Vec<String> = r
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c:<w$}"))
                .collect();
            format!("  {}", line.join("   ").trim_end())
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn write_junit(path: &Path, labels: &[String], results: &[Ran], output: &crate::output::Output) {
    let empty: Vec<StepReport> = Vec::new();
    let suites: Vec<(String, &[StepReport], Duration)> = labels
        .iter()
        .zip(results)
        .map(|(label, r)| match r {
            Ran::Finished(f) => (label.clone(), f.steps.as_slice(), f.took),
            _ => (label.clone(), empty.as_slice(), Duration::ZERO),
        })
        .collect();
    let xml = junit_suites(&suites);
    if let Err(e) = std::fs::write(path, mask(&xml).as_bytes()) {
        output.warn(&format!("cannot write {}: {e}", path.display()));
    }
}
