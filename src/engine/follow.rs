//! What an attached `up` follows its containers with, two podman processes whatever
//! their number: one `podman events` stream, which tells when a container dies, and one
//! `podman logs --follow` of all of them, started again when a restart changes the set.
//! A log is replayed from its start each time it is followed again, so the lines already
//! shown are counted, by container and stream, and skipped.

use std::collections::HashMap;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::watch::{Replaced, Replacing};
use super::{EngineError, Stack, StartedContainer};
use crate::backend::{BackendError, ContainerEvent, ContainerState, LogLine, LogOptions, Stream};
use crate::model::RestartPolicy;
use crate::plan::LABEL_PROJECT;

/// Lines of each container's stdout and stderr: shown so far, or read from one replay.
#[derive(Debug, Default)]
pub struct Counts(HashMap<String, [usize; 2]>);

impl Counts {
    fn bump(&mut self, line: &LogLine) -> usize {
        let stream = usize::from(line.stream == Stream::Stderr);
        let n = match self.0.get_mut(line.container.as_str()) {
            Some(n) => n,
            None => self.0.entry(line.container.clone()).or_default(),
        };
        n[stream] += 1;
        n[stream]
    }

    /// Of `lines`, read from a log replayed from its start (`read` counts that replay),
    /// those not shown yet; they count as shown from now on.
    pub fn fresh(&mut self, read: &mut Counts, mut lines: Vec<LogLine>) -> Vec<LogLine> {
        lines.retain(|line| {
            let nth = read.bump(line);
            let stream = usize::from(line.stream == Stream::Stderr);
            let shown = self.0.entry(line.container.clone()).or_default();
            let new = nth > shown[stream];
            shown[stream] = shown[stream].max(nth);
            new
        });
        lines
    }

    /// A container made anew has a new log.
    pub fn forget(&mut self, container: &str) {
        self.0.remove(container);
    }
}

/// One `podman logs --follow` of some containers, and what it has sent so far. Dropping
/// it ends podman.
pub struct Follower {
    pub lines: mpsc::Receiver<LogLine>,
    pub read: Counts,
    task: JoinHandle<Result<(), BackendError>>,
}

impl Follower {
    pub fn start(stack: &Stack, names: Vec<String>, timestamps: bool) -> Option<Follower> {
        if names.is_empty() {
            return None;
        }
        let (tx, lines) = mpsc::channel(512);
        let backend = stack.backend.clone();
        let opts = LogOptions {
            follow: true,
            timestamps,
            ..LogOptions::default()
        };
        let task = tokio::spawn(async move { backend.logs_many(&names, &opts, tx).await });
        Some(Follower {
            lines,
            read: Counts::default(),
            task,
        })
    }

    /// After its last line: how podman ended.
    pub async fn ended(&mut self) -> Result<(), BackendError> {
        (&mut self.task).await.unwrap_or(Ok(()))
    }
}

impl Drop for Follower {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The project's container events, from `podman events`, followed from the moment it
/// is started: before `up`, so that no exit goes unseen. Dropping it ends podman.
pub struct Events {
    rx: mpsc::Receiver<ContainerEvent>,
    task: JoinHandle<Result<(), BackendError>>,
}

impl Events {
    pub fn start(stack: &Stack) -> Events {
        let (tx, rx) = mpsc::channel(256);
        let backend = stack.backend.clone();
        let project = stack.project.name.clone();
        let task = tokio::spawn(async move { backend.events(LABEL_PROJECT, &project, tx).await });
        Events { rx, task }
    }

    /// The next event; when the stream has ended, how podman ended.
    pub async fn next(&mut self) -> Result<ContainerEvent, BackendError> {
        if let Some(e) = self.rx.recv().await {
            return Ok(e);
        }
        match (&mut self.task).await {
            Ok(Err(e)) => Err(e),
            _ => Err(BackendError::Output {
                argv: vec!["podman".into(), "events".into()],
                message: "the stream of events ended".into(),
            }),
        }
    }
}

impl Drop for Events {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What became of a container that died.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    /// Started again: by its restart policy, or by the watcher. `exited`: it had
    /// already died again at the last look.
    Restarted { by_policy: bool, exited: bool },
    /// Removed and created again by the watcher: a new container, with a new log.
    Recreated,
    /// It runs, and its policy did not restart it: the death reported was of a container
    /// that has since been replaced (by the watcher) or started again.
    Running,
    /// It stays exited, with this exit code.
    Over(i64),
}

/// How many replacements by the watcher and restarts by the policy were followed.
#[derive(Debug, Clone, Copy, Default)]
pub struct Seen {
    pub restarts: u32,
    pub replaced: u64,
}

/// Tells what becomes of `c` after it died with `code` (when known): the watcher may
/// be replacing it, and podman restarts it under its `restart:` policy; the restart
/// count tells.
pub async fn settle(
    stack: &Stack,
    c: &StartedContainer,
    code: Option<i64>,
    replacing: Option<&Replacing>,
    seen: &mut Seen,
) -> Result<Settled, EngineError> {
    if let Some(r) = replacing {
        match r.settled(&c.name, &mut seen.replaced).await {
            Replaced::No => {}
            Replaced::Restarted => {
                let info = stack.backend.inspect(std::slice::from_ref(&c.name)).await?;
                seen.restarts = info.first().map_or(seen.restarts, |i| i.restart_count);
                let exited = info
                    .first()
                    .is_some_and(|i| i.state == ContainerState::Exited);
                return Ok(Settled::Restarted {
                    by_policy: false,
                    exited,
                });
            }
            Replaced::Recreated => {
                seen.restarts = 0;
                return Ok(Settled::Recreated);
            }
        }
    }
    let policy = stack.project.services[&c.service].restart;
    // Under a watcher, podman's report of a death may come after the replacement it was
    // part of has been followed: the container that has the name now tells, below.
    if let (RestartPolicy::No, Some(code), None) = (policy, code, replacing) {
        return Ok(Settled::Over(code));
    }
    let (mut looks, mut exited_looks) = (0, 0);
    loop {
        let info = stack.backend.inspect(std::slice::from_ref(&c.name)).await?;
        let Some(info) = info.first() else {
            return Ok(Settled::Over(code.unwrap_or(-1)));
        };
        let exited = info.state == ContainerState::Exited;
        if policy == RestartPolicy::No && exited {
            return Ok(Settled::Over(info.exit_code));
        }
        if info.restart_count > seen.restarts {
            seen.restarts = info.restart_count;
            return Ok(Settled::Restarted {
                by_policy: true,
                exited,
            });
        }
        // Running at the first look, and not restarted by its policy (podman counts a
        // restart before it starts the container): the death reported was of one that
        // has since been replaced or started again. It is followed on, not looked at
        // every half second for as long as it runs.
        if looks == 0 && info.state == ContainerState::Running {
            return Ok(Settled::Running);
        }
        looks += 1;
        exited_looks = if exited { exited_looks + 1 } else { 0 };
        if exited_looks >= 3 {
            return Ok(Settled::Over(info.exit_code));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// All of a container's output so far, from one `podman logs`.
pub async fn whole_log(
    stack: &Stack,
    name: &str,
    timestamps: bool,
) -> Result<Vec<LogLine>, EngineError> {
    let (tx, mut rx) = mpsc::channel(512);
    let opts = LogOptions {
        timestamps,
        ..LogOptions::default()
    };
    let mut lines = Vec::new();
    let collect = async {
        while let Some(line) = rx.recv().await {
            lines.push(line);
        }
    };
    let (read, ()) = tokio::join!(stack.backend.logs(name, &opts, tx), collect);
    read?;
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(container: &str, stream: Stream, text: &str) -> LogLine {
        LogLine {
            container: container.into(),
            stream,
            text: text.into(),
        }
    }

    fn texts(lines: &[LogLine]) -> Vec<&str> {
        lines.iter().map(|l| l.text.as_str()).collect()
    }

    #[test]
    fn a_replayed_log_shows_only_the_lines_beyond_those_shown_of_each_stream() {
        let mut shown = Counts::default();
        let first = vec![
            line("a", Stream::Stdout, "a1"),
            line("b", Stream::Stdout, "b1"),
            line("a", Stream::Stderr, "a-err1"),
        ];
        let mut read = Counts::default();
        assert_eq!(
            texts(&shown.fresh(&mut read, first)),
            ["a1", "b1", "a-err1"]
        );
        // Followed again from the start: what was shown comes again and is skipped;
        // stdout and stderr are counted apart, as they interleave differently.
        let mut read = Counts::default();
        let replay = vec![
            line("a", Stream::Stderr, "a-err1"),
            line("a", Stream::Stdout, "a1"),
            line("a", Stream::Stdout, "a2"),
            line("b", Stream::Stdout, "b1"),
            line("a", Stream::Stderr, "a-err2"),
        ];
        assert_eq!(texts(&shown.fresh(&mut read, replay)), ["a2", "a-err2"]);
        // A one-shot read of a's whole log, while the follower lags behind: the new
        // line once, and the follower's copy of it later is skipped.
        let mut once = Counts::default();
        let whole = vec![
            line("a", Stream::Stdout, "a1"),
            line("a", Stream::Stdout, "a2"),
            line("a", Stream::Stdout, "a3"),
        ];
        assert_eq!(texts(&shown.fresh(&mut once, whole)), ["a3"]);
        assert!(shown
            .fresh(&mut read, vec![line("a", Stream::Stdout, "a3")])
            .is_empty());
        // Made anew: its new log is shown from its first line.
        shown.forget("a");
        let mut read = Counts::default();
        assert_eq!(
            texts(&shown.fresh(&mut read, vec![line("a", Stream::Stdout, "new")])),
            ["new"]
        );
    }
}
