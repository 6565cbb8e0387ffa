//! A service's wait strategies (`x-sidepod-wait`, a job file's `wait:`): a port, a log
//! line, an HTTP answer or a command, each with its own time limit. All must pass, on
//! every container of the service.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use super::{log_tail, EngineError, Shutdown};
use crate::backend::{Backend, ContainerState, ExecSpec, LogOptions};
use crate::model::{format_duration, HealthTest, WaitCheck, WaitStrategy};

/// Why a strategy did not pass, and what to show about it.
pub(super) struct NotReady {
    pub reason: String,
    pub detail: String,
}

/// The run's readiness limit, for strategies without their own.
pub(super) struct Limit {
    pub deadline: Option<Instant>,
    pub timeout: Option<Duration>,
}

/// Runs each strategy on the container in turn (a strategy that passed stays passed:
/// ports stay open, the log keeps its lines), each against its own deadline, counted
/// from `began`.
pub(super) async fn await_strategies(
    backend: &dyn Backend,
    container: &str,
    strategies: &[WaitStrategy],
    began: Instant,
    limit: &Limit,
    shutdown: &mut Shutdown,
) -> Result<Result<(), NotReady>, EngineError> {
    for strategy in strategies {
        let (deadline, allowed) = match (strategy.timeout, limit.deadline) {
            (Some(t), _) => (began + t, t),
            (None, Some(d)) => (d, limit.timeout.unwrap_or_default()),
            (None, None) => (
                began + WaitStrategy::DEFAULT_TIMEOUT,
                WaitStrategy::DEFAULT_TIMEOUT,
            ),
        };
        let passed = tokio::select! {
            r = check(backend, container, strategy) => r?,
            _ = shutdown.requested() => {
                return Err(EngineError::Interrupted(shutdown.last_signal()))
            }
            _ = tokio::time::sleep_until(deadline) => Err(Failure::TimedOut),
        };
        let what = strategy.describe();
        let not_ready = match passed {
            Ok(()) => continue,
            Err(Failure::Exited(code)) => NotReady {
                reason: format!("exited with code {code} before its wait for {what} passed"),
                detail: log_tail(backend, container, 10).await,
            },
            Err(Failure::TimedOut) => NotReady {
                reason: format!(
                    "did not pass its wait for {what} within {}",
                    format_duration(allowed)
                ),
                detail: last_seen(backend, container, strategy)
                    .await
                    .unwrap_or_default(),
            },
        };
        return Ok(Err(not_ready));
    }
    Ok(Ok(()))
}

enum Failure {
    Exited(i64),
    TimedOut,
}

/// Checks until the strategy passes or the container stops; never times out itself.
async fn check(
    backend: &dyn Backend,
    container: &str,
    strategy: &WaitStrategy,
) -> Result<Result<(), Failure>, EngineError> {
    if let WaitCheck::Log { pattern, times } = &strategy.check {
        return follow_log(backend, container, pattern, *times).await;
    }
    // Whether it still runs is asked of podman every few tries only: that call costs
    // more than a port check, and would stretch the interval.
    for tries in 0u64.. {
        let passed = match &strategy.check {
            WaitCheck::Port(port) => backend.listening(container).await?.contains(port),
            WaitCheck::Http(h) => backend.http_status(container, h).await? == Some(h.status),
            WaitCheck::Command(test) => run_command(backend, container, test).await?.0 == 0,
            WaitCheck::Log { .. } => unreachable!("followed above"),
        };
        if passed {
            return Ok(Ok(()));
        }
        if tries % EXIT_CHECK_EVERY == EXIT_CHECK_EVERY - 1 {
            if let Some(code) = exited(backend, container).await? {
                return Ok(Err(Failure::Exited(code)));
            }
        }
        tokio::time::sleep(strategy.interval).await;
    }
    unreachable!("the tries never run out")
}

/// How many tries of a polled strategy go by between asking whether it still runs.
const EXIT_CHECK_EVERY: u64 = 4;

async fn exited(backend: &dyn Backend, container: &str) -> Result<Option<i64>, EngineError> {
    let info = backend.inspect(&[container.to_string()]).await?;
    Ok(info
        .into_iter()
        .find(|i| i.state == ContainerState::Exited)
        .map(|i| i.exit_code))
}

/// Follows the container's output from its start until `times` lines match.
async fn follow_log(
    backend: &dyn Backend,
    container: &str,
    pattern: &str,
    times: u32,
) -> Result<Result<(), Failure>, EngineError> {
    // Checked when the file was loaded.
    let re = regex::Regex::new(pattern).map_err(|e| EngineError::ServiceFailed {
        service: container.to_string(),
        reason: format!("has an invalid log pattern: {e}"),
        detail: String::new(),
    })?;
    let (tx, mut rx) = mpsc::channel(256);
    let opts = LogOptions {
        follow: true,
        ..LogOptions::default()
    };
    let follow = backend.logs(container, &opts, tx);
    tokio::pin!(follow);
    let mut seen = 0;
    let mut ended = false;
    loop {
        tokio::select! {
            line = rx.recv() => match line {
                Some(line) if re.is_match(&line.text) => {
                    seen += 1;
                    if seen >= times {
                        return Ok(Ok(()));
                    }
                }
                Some(_) => {}
                // The output ended: the container stopped.
                None => break,
            },
            r = &mut follow, if !ended => {
                r?;
                ended = true;
            }
        }
    }
    // The output ends when the container stops; until podman says it has, no verdict.
    loop {
        if let Some(code) = exited(backend, container).await? {
            return Ok(Err(Failure::Exited(code)));
        }
        tokio::time::sleep(WaitStrategy::DEFAULT_INTERVAL).await;
    }
}

async fn run_command(
    backend: &dyn Backend,
    container: &str,
    test: &HealthTest,
) -> Result<(i64, String), EngineError> {
    let command = match test {
        HealthTest::Cmd(argv) => argv.clone(),
        HealthTest::Shell(s) => vec!["/bin/sh".into(), "-c".into(), s.clone()],
    };
    let spec = ExecSpec {
        container: container.to_string(),
        command,
        env: Default::default(),
        workdir: None,
        user: None,
        ..ExecSpec::default()
    };
    let (tx, mut rx) = mpsc::channel::<crate::backend::LogLine>(64);
    let collect = async {
        let mut lines = Vec::new();
        while let Some(line) = rx.recv().await {
            lines.push(line.text);
        }
        lines
    };
    let (code, lines) = tokio::join!(backend.exec_stream(&spec, tx), collect);
    let tail: Vec<String> = lines.iter().rev().take(10).rev().cloned().collect();
    Ok((code?, tail.join("\n")))
}

/// What a timed-out strategy last saw, for the error.
async fn last_seen(backend: &dyn Backend, container: &str, s: &WaitStrategy) -> Option<String> {
    match &s.check {
        WaitCheck::Port(_) => None,
        WaitCheck::Log { .. } => Some(log_tail(backend, container, 10).await),
        WaitCheck::Http(h) => Some(match backend.http_status(container, h).await {
            Ok(Some(status)) => format!("the last answer was HTTP {status}"),
            Ok(None) => "nothing accepted the connection".to_string(),
            Err(e) => e.to_string(),
        }),
        WaitCheck::Command(test) => match run_command(backend, container, test).await {
            Ok((code, out)) if out.is_empty() => Some(format!("the last run exited with {code}")),
            Ok((code, out)) => Some(format!("the last run exited with {code}:\n{out}")),
            Err(e) => Some(e.to_string()),
        },
    }
}
