//! Attached `up`: streams every container's logs while watching them exit, and ends the
//! run the way Compose does with `--abort-on-container-exit`,
//! `--abort-on-container-failure` and `--exit-code-from`.

use std::collections::BTreeSet;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::attach::{with_waiting, Prefixes};
use super::watch::{watch, Replaced, Replacing, WatchOptions};
use super::{
    or_teardown, teardown, up, EngineError, Shutdown, Stack, StartedContainer, Teardown, UpOptions,
};
use crate::backend::{ContainerState, LogLine, LogOptions, Stream};
use crate::model::RestartPolicy;
use crate::output::Event;

#[derive(Debug, Clone, Default)]
pub struct AttachOptions {
    /// Stop everything when any container exits.
    pub abort_on_exit: bool,
    /// Stop everything when any container exits with a non-zero code.
    pub abort_on_failure: bool,
    /// Return this service's exit code (implies `abort_on_exit`).
    pub exit_code_from: Option<String>,
    /// `up --watch`: the containers the watcher restarts or recreates, whose followers
    /// go on with the new ones instead of reporting an exit.
    pub replacing: Option<Replacing>,
    /// `up --watch`: watch files as `sidepod watch` does while attached.
    pub watch: Option<WatchOptions>,
    /// The services whose lines are shown (`--attach`, `--no-attach`); none: all.
    pub shown: Option<BTreeSet<String>>,
    /// Each line with podman's timestamp.
    pub timestamps: bool,
    /// How long each container gets to stop when the run ends (else its own grace).
    pub stop_timeout: Option<Duration>,
}

/// `up`: brings the stack up, then, unless `detach`, follows it until it ends. A stop
/// request at any point stops the containers (and keeps them, as Compose does) before
/// the interruption is returned. Returns the exit code the run ends with.
pub async fn up_attached(
    stack: &Stack,
    opts: &UpOptions,
    attach_opts: &AttachOptions,
    detach: bool,
    shutdown: &mut Shutdown,
) -> Result<i32, EngineError> {
    let stop = Teardown::Stop {
        timeout: attach_opts.stop_timeout,
    };
    let mut inner = shutdown.clone();
    if let Some(w) = &attach_opts.watch {
        super::watch::check(stack, w)?;
    }
    let started = or_teardown(stack, &stop, shutdown, up(stack, opts, &mut inner)).await?;
    if detach {
        return Ok(crate::exit::SUCCESS);
    }
    let mut inner = shutdown.clone();
    let Some(watch_opts) = &attach_opts.watch else {
        let attached = attach(stack, &started, attach_opts, &mut inner);
        return or_teardown(stack, &stop, shutdown, attached).await;
    };
    // Attached and watching: the log followers learn from the watcher which containers
    // it replaces. Either ending ends both.
    let replacing = Replacing::default();
    let attach_opts = AttachOptions {
        replacing: Some(replacing.clone()),
        ..attach_opts.clone()
    };
    let mut watching = shutdown.clone();
    let both = async {
        tokio::select! {
            code = attach(stack, &started, &attach_opts, &mut inner) => code,
            r = watch(stack, watch_opts, &replacing, &mut watching) => {
                r.map(|()| crate::exit::SUCCESS)
            }
        }
    };
    or_teardown(stack, &stop, shutdown, both).await
}

/// Streams logs until every container has stopped for good, or until an abort condition
/// stops them; returns the exit code the run should end with.
pub async fn attach(
    stack: &Stack,
    started: &[StartedContainer],
    opts: &AttachOptions,
    shutdown: &mut Shutdown,
) -> Result<i32, EngineError> {
    let abort_on_exit = opts.abort_on_exit || opts.exit_code_from.is_some();
    let prefixes = Prefixes::new(started.iter().map(|c| (c.name.as_str(), c.prefix.as_str())));
    let hidden: BTreeSet<&str> = started
        .iter()
        .filter(|c| opts.shown.as_ref().is_some_and(|s| !s.contains(&c.service)))
        .map(|c| c.name.as_str())
        .collect();
    let show = |mut lines: Vec<LogLine>| {
        lines.retain(|l| !hidden.contains(l.container.as_str()));
        prefixes.show(&stack.output, &lines)
    };
    let (tx, mut rx) = mpsc::channel(512);
    let mut followers = JoinSet::new();
    let timestamps = opts.timestamps;
    for c in started {
        let stack = stack.clone();
        let c = c.clone();
        let tx = tx.clone();
        let replacing = opts.replacing.clone();
        followers.spawn(async move {
            let code = follow(&stack, &c, replacing.as_ref(), timestamps, tx).await;
            (c, code)
        });
    }
    drop(tx);
    let mut lines_open = true;
    // Until every container has exited for good and its last lines are out.
    while lines_open || !followers.is_empty() {
        tokio::select! {
            // Lines first, so that a container's last lines come before its exit.
            biased;
            _ = shutdown.requested() => {
                followers.abort_all();
                return Err(EngineError::Interrupted(shutdown.last_signal()));
            }
            line = rx.recv(), if lines_open => match line {
                Some(line) => show(with_waiting(line, &mut rx)),
                None => lines_open = false,
            },
            Some(done) = followers.join_next(), if !followers.is_empty() => {
                let Ok((container, code)) = done else { continue };
                let code = match code {
                    Ok(code) => code,
                    Err(e) => {
                        stack.output.warn(&format!("{}: cannot follow it: {e}", container.prefix));
                        continue;
                    }
                };
                stack.output.emit(Event::Exited { container: container.prefix.clone(), code });
                if abort_on_exit || (opts.abort_on_failure && code != 0) {
                    stack.output.emit(Event::Notice("Aborting on container exit...".into()));
                    let stop = Teardown::Stop {
                        timeout: opts.stop_timeout,
                    };
                    teardown(stack, &stop, shutdown).await?;
                    // Let the stopped containers' last lines through: their streams end
                    // now, and each follower with them.
                    let _ = tokio::time::timeout(Duration::from_secs(5), async {
                        while let Some(line) = rx.recv().await {
                            show(with_waiting(line, &mut rx));
                        }
                    })
                    .await;
                    followers.abort_all();
                    return exit_code(stack, started, opts, code).await;
                }
            }
        }
    }
    exit_code(stack, started, opts, 0).await
}

/// Streams a container's output until it has exited for good; returns its exit code.
/// `podman logs --follow` ends when the container exits, and podman restarts it under
/// its `restart:` policy inside one `podman wait`; so after each exit, the restart count
/// tells whether the policy started it again: then the restart is reported and the log
/// followed again. podman replays a log from its start, so the lines already shown (of
/// each stream: stdout and stderr keep their order) are skipped.
async fn follow(
    stack: &Stack,
    c: &StartedContainer,
    replacing: Option<&Replacing>,
    timestamps: bool,
    sink: mpsc::Sender<LogLine>,
) -> Result<i64, EngineError> {
    let policy = stack.project.services[&c.service].restart;
    let opts = LogOptions {
        follow: true,
        timestamps,
        ..LogOptions::default()
    };
    let mut shown = [0usize; 2];
    let mut restarts = 0;
    let mut replaced = 0;
    loop {
        let (tx, mut rx) = mpsc::channel::<LogLine>(64);
        let mut read = [0usize; 2];
        let forward = async {
            while let Some(line) = rx.recv().await {
                let stream = usize::from(line.stream == Stream::Stderr);
                read[stream] += 1;
                if read[stream] > shown[stream] && sink.send(line).await.is_err() {
                    return;
                }
            }
        };
        let (streamed, ()) = tokio::join!(stack.backend.logs(&c.name, &opts, tx), forward);
        streamed?;
        shown = [shown[0].max(read[0]), shown[1].max(read[1])];
        if let Some(r) = replacing {
            match r.settled(&c.name, &mut replaced).await {
                Replaced::No => {}
                Replaced::Restarted => {
                    let info = stack.backend.inspect(std::slice::from_ref(&c.name)).await?;
                    restarts = info.first().map_or(restarts, |i| i.restart_count);
                    continue;
                }
                Replaced::Recreated => {
                    (shown, restarts) = ([0, 0], 0);
                    continue;
                }
            }
        }
        if policy == RestartPolicy::No {
            return Ok(stack.backend.wait(&c.name).await?);
        }
        let before = restarts;
        let over = after_exit(stack, c, &mut restarts).await?;
        // Each restart once, also those that came and went while the log was followed.
        for n in before + 1..=restarts {
            stack.output.emit(Event::RestartedByPolicy {
                container: c.prefix.clone(),
                policy: policy.to_string(),
                restart: n,
            });
        }
        if let AfterExit::Over(code) = over {
            return Ok(code);
        }
    }
}

enum AfterExit {
    /// Its policy started it again (the restart count grew).
    Restarted,
    /// It stays exited (for a few looks in a row), with this exit code.
    Over(i64),
}

async fn after_exit(
    stack: &Stack,
    c: &StartedContainer,
    restarts: &mut u32,
) -> Result<AfterExit, EngineError> {
    let mut exited_looks = 0;
    loop {
        let info = stack.backend.inspect(std::slice::from_ref(&c.name)).await?;
        let Some(info) = info.first() else {
            return Ok(AfterExit::Over(-1));
        };
        if info.restart_count > *restarts {
            *restarts = info.restart_count;
            return Ok(AfterExit::Restarted);
        }
        exited_looks = if info.state == ContainerState::Exited {
            exited_looks + 1
        } else {
            0
        };
        if exited_looks >= 3 {
            return Ok(AfterExit::Over(info.exit_code));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn exit_code(
    stack: &Stack,
    started: &[StartedContainer],
    opts: &AttachOptions,
    default: i64,
) -> Result<i32, EngineError> {
    let code = match &opts.exit_code_from {
        None => default,
        Some(service) => {
            let names: Vec<String> = started
                .iter()
                .filter(|c| &c.service == service)
                .map(|c| c.name.clone())
                .collect();
            stack
                .backend
                .inspect(&names)
                .await?
                .first()
                .map_or(default, |i| i.exit_code)
        }
    };
    Ok(crate::exit::passed_on(code))
}
