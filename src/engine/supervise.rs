//! Attached `up`: streams every container's logs while watching them exit, and ends the
//! run the way Compose does with `--abort-on-container-exit`,
//! `--abort-on-container-failure` and `--exit-code-from`.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use tokio::task::JoinSet;
use tokio::time::Instant;

use super::attach::{with_waiting, Prefixes};
use super::follow::{settle, whole_log, Counts, Events, Follower, Seen, Settled};
use super::watch::{watch, Replacing, WatchOptions};
use super::{
    or_teardown, teardown, up, EngineError, Shutdown, Stack, StartedContainer, Teardown, UpOptions,
};
use crate::backend::{ContainerState, LogLine};
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
    // Followed from before the first container starts, so that no exit goes unseen. A
    // dry run prints its commands and ends there: nothing runs to be followed.
    let events = (!detach && !stack.backend.prints_only()).then(|| Events::start(stack));
    let started = or_teardown(stack, &stop, shutdown, up(stack, opts, &mut inner)).await?;
    let Some(events) = events else {
        return Ok(crate::exit::SUCCESS);
    };
    let mut inner = shutdown.clone();
    let Some(watch_opts) = &attach_opts.watch else {
        let attached = attach(stack, &started, attach_opts, events, &mut inner);
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
            code = attach(stack, &started, &attach_opts, events, &mut inner) => code,
            r = watch(stack, watch_opts, &replacing, &mut watching) => {
                r.map(|()| crate::exit::SUCCESS)
            }
        }
    };
    or_teardown(stack, &stop, shutdown, both).await
}

/// Streams logs until every container has stopped for good, or until an abort condition
/// stops them; returns the exit code the run should end with. `events` must have been
/// started before the containers were.
pub async fn attach(
    stack: &Stack,
    started: &[StartedContainer],
    opts: &AttachOptions,
    mut events: Events,
    shutdown: &mut Shutdown,
) -> Result<i32, EngineError> {
    let abort_on_exit = opts.abort_on_exit || opts.exit_code_from.is_some();
    let mut run = Run::new(stack, started, opts);
    // Those that exited before their events were followed, then the logs of the rest.
    run.look().await?;
    run.refollow();
    let mut events_failed = 0;
    while !run.all_over() {
        tokio::select! {
            // Lines first, so that a container's last lines come before its exit.
            biased;
            _ = shutdown.requested() => {
                return Err(EngineError::Interrupted(shutdown.last_signal()));
            }
            line = next_line(&mut run.follower) => match line {
                Some(line) => run.show(line),
                None => run.follower_ended().await?,
            },
            () = sleep_until(run.refollow_at) => run.refollow(),
            event = events.next() => match event {
                Ok(e) if e.action == "died" => run.died(&e.name, e.exit_code.or(Some(0))),
                Ok(_) => {}
                // podman events ended: followed again, after a look at what it missed.
                Err(e) if events_failed < 3 => {
                    events_failed += 1;
                    stack.output.warn(&format!("{e}: following the events again"));
                    events = Events::start(stack);
                    run.look().await?;
                }
                // Given up: the containers are not left running unwatched, but stopped
                // (and kept), as at a stop request.
                Err(e) => {
                    let stop = Teardown::Stop { timeout: opts.stop_timeout };
                    if let Err(t) = teardown(stack, &stop, shutdown).await {
                        stack.output.warn(&format!("cannot stop the containers: {t}"));
                    }
                    return Err(e.into());
                }
            },
            Some(done) = run.settling.join_next() => {
                let Ok((name, seen, settled)) = done else { continue };
                let Some(code) = run.settled(&name, seen, settled).await else { continue };
                if abort_on_exit || (opts.abort_on_failure && code != 0) {
                    stack.output.emit(Event::Notice("Aborting on container exit...".into()));
                    let stop = Teardown::Stop {
                        timeout: opts.stop_timeout,
                    };
                    teardown(stack, &stop, shutdown).await?;
                    // Let the stopped containers' last lines through: the log ends when
                    // they all have stopped.
                    let _ = tokio::time::timeout(Duration::from_secs(5), async {
                        while let Some(line) = next_line(&mut run.follower).await {
                            run.show(line);
                        }
                    })
                    .await;
                    return exit_code(stack, started, opts, code).await;
                }
            }
        }
    }
    exit_code(stack, started, opts, 0).await
}

/// Until `at`; never, when none.
async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The next line of the logs followed; none when they end (never, when none are).
async fn next_line(follower: &mut Option<Follower>) -> Option<LogLine> {
    match follower {
        Some(f) => f.lines.recv().await,
        None => std::future::pending().await,
    }
}

/// One container of an attached run.
struct Followed {
    c: StartedContainer,
    /// Its lines are shown (`--attach`, `--no-attach`).
    shown: bool,
    state: State,
    seen: Seen,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Running,
    /// It died: what becomes of it is being settled.
    Settling,
    /// Exited for good.
    Over,
}

type Settling = JoinSet<(String, Seen, Result<Settled, EngineError>)>;

/// An attached run: its containers, the lines shown of each, the one log follower.
struct Run<'a> {
    stack: &'a Stack,
    opts: &'a AttachOptions,
    prefixes: Prefixes,
    followed: BTreeMap<String, Followed>,
    shown: Counts,
    follower: Option<Follower>,
    /// Follows that failed in a row: after a few, the logs are given up (with a warning).
    failed_follows: u32,
    /// When to follow the logs again, after podman ended while some still ran.
    refollow_at: Option<Instant>,
    settling: Settling,
}

impl<'a> Run<'a> {
    fn new(stack: &'a Stack, started: &[StartedContainer], opts: &'a AttachOptions) -> Self {
        let followed = started
            .iter()
            .map(|c| {
                let shown = opts.shown.as_ref().is_none_or(|s| s.contains(&c.service));
                let f = Followed {
                    c: c.clone(),
                    shown,
                    state: State::Running,
                    seen: Seen::default(),
                };
                (c.name.clone(), f)
            })
            .collect();
        Run {
            stack,
            opts,
            prefixes: Prefixes::new(started.iter().map(|c| (c.name.as_str(), c.prefix.as_str()))),
            followed,
            shown: Counts::default(),
            follower: None,
            failed_follows: 0,
            refollow_at: None,
            settling: JoinSet::new(),
        }
    }

    fn all_over(&self) -> bool {
        self.followed.values().all(|f| f.state == State::Over)
    }

    /// Shows `first` and the lines waiting behind it that were not shown yet.
    fn show(&mut self, first: LogLine) {
        let Some(f) = self.follower.as_mut() else {
            return;
        };
        self.failed_follows = 0;
        let lines = self
            .shown
            .fresh(&mut f.read, with_waiting(first, &mut f.lines));
        self.prefixes.show(&self.stack.output, &lines);
    }

    /// Follows the logs of the shown containers that run, anew: podman replays each log,
    /// and the lines already shown are skipped.
    fn refollow(&mut self) {
        self.refollow_at = None;
        let names = self
            .followed
            .values()
            .filter(|f| f.shown && f.state != State::Over)
            .map(|f| f.c.name.clone())
            .collect();
        self.follower = Follower::start(self.stack, names, self.opts.timestamps);
    }

    /// podman has followed every log to its end: its containers exited, or were
    /// restarted after it looked. A look tells which.
    async fn follower_ended(&mut self) -> Result<(), EngineError> {
        let ended = match self.follower.as_mut() {
            Some(f) => f.ended().await,
            None => Ok(()),
        };
        self.follower = None;
        if let Err(e) = ended {
            self.failed_follows += 1;
            if self.failed_follows == 3 {
                self.stack
                    .output
                    .warn(&format!("cannot follow the logs: {e}"));
            }
        }
        self.look().await?;
        let running = self
            .followed
            .values()
            .any(|f| f.shown && f.state == State::Running);
        if running && self.failed_follows < 3 {
            // Some still run: followed again in a moment (podman may not have seen them
            // restart yet), not at once, which could spin.
            self.refollow_at = Some(Instant::now() + Duration::from_millis(500));
        }
        Ok(())
    }

    /// Inspects the containers thought to run: those that exited (or are gone) died.
    async fn look(&mut self) -> Result<(), EngineError> {
        let names: Vec<String> = self
            .followed
            .values()
            .filter(|f| f.state == State::Running)
            .map(|f| f.c.name.clone())
            .collect();
        if names.is_empty() {
            return Ok(());
        }
        let infos = self.stack.backend.inspect(&names).await?;
        for name in &names {
            match infos.iter().find(|i| &i.name == name) {
                None => self.died(name, Some(-1)),
                Some(i) if i.state == ContainerState::Exited => self.died(name, None),
                Some(_) => {}
            }
        }
        Ok(())
    }

    /// A container died (with this code, when known): what becomes of it is settled
    /// apart, while the others' lines go on.
    fn died(&mut self, name: &str, code: Option<i64>) {
        let Some(f) = self.followed.get_mut(name) else {
            return;
        };
        if f.state != State::Running {
            return;
        }
        f.state = State::Settling;
        let (stack, c, mut seen) = (self.stack.clone(), f.c.clone(), f.seen);
        let replacing = self.opts.replacing.clone();
        self.settling.spawn(async move {
            let settled = settle(&stack, &c, code, replacing.as_ref(), &mut seen).await;
            (c.name, seen, settled)
        });
    }

    /// What became of a container that died; its exit code when it is over.
    async fn settled(
        &mut self,
        name: &str,
        seen: Seen,
        settled: Result<Settled, EngineError>,
    ) -> Option<i64> {
        let f = self.followed.get_mut(name)?;
        let (before, shown, prefix) = (f.seen.restarts, f.shown, f.c.prefix.clone());
        f.seen = seen;
        match settled {
            Err(e) => {
                f.state = State::Over;
                self.stack
                    .output
                    .warn(&format!("{prefix}: cannot follow it: {e}"));
                None
            }
            Ok(Settled::Restarted { by_policy, exited }) => {
                f.state = State::Running;
                let policy = self.stack.project.services[&f.c.service].restart;
                // Each restart once, also those that came and went meanwhile.
                for n in (before + 1..=seen.restarts).filter(|_| by_policy) {
                    self.stack.output.emit(Event::RestartedByPolicy {
                        container: prefix.clone(),
                        policy: policy.to_string(),
                        restart: n,
                    });
                }
                if exited {
                    self.died(name, None);
                }
                if shown {
                    self.refollow();
                }
                None
            }
            Ok(Settled::Recreated) => {
                f.state = State::Running;
                self.shown.forget(name);
                if shown {
                    self.refollow();
                }
                None
            }
            Ok(Settled::Running) => {
                f.state = State::Running;
                None
            }
            Ok(Settled::Over(code)) => {
                f.state = State::Over;
                if shown {
                    self.last_lines(name).await;
                }
                self.stack.output.emit(Event::Exited {
                    container: prefix,
                    code,
                });
                Some(code)
            }
        }
    }

    /// Shows the lines of an exited container that the follower has not brought yet, so
    /// that they come before its exit.
    async fn last_lines(&mut self, name: &str) {
        match whole_log(self.stack, name, self.opts.timestamps).await {
            Ok(lines) => {
                let lines = self.shown.fresh(&mut Counts::default(), lines);
                self.prefixes.show(&self.stack.output, &lines);
            }
            Err(e) => tracing::debug!("{name}: the last lines: {e}"),
        }
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
