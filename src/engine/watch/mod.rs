//! `sidepod watch` and `up --watch`: after a quiet moment following file changes under
//! a service's `develop.watch` paths, sync the files into its containers (`podman cp`),
//! remove those that are gone, restart it, run its `exec`, or rebuild its image and
//! recreate it. A failed action is said and watching goes on; a stop request ends it.

mod apply;
mod replacing;
mod rules;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use notify::{EventKind, RecursiveMode, Watcher};
use tokio::sync::mpsc;

use super::{EngineError, Shutdown, Stack};
use crate::output::Event;

pub use replacing::{Replaced, Replacing};
pub use rules::WatchSet;

/// How long the files must be left alone before a batch of changes is acted on: an
/// editor's save, a `git checkout` or a formatter run is one batch.
const QUIET: Duration = Duration::from_millis(500);
/// A stream of changes that never pauses is still acted on this often.
const LONGEST_BATCH: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Default)]
pub struct WatchOptions {
    /// The services whose rules apply (every service with rules when empty).
    pub services: Vec<String>,
    /// Remove the image a rebuild replaced, once nothing uses it.
    pub prune: bool,
}

/// The rules `watch` would follow, checked before anything starts: a missing path, a
/// `rebuild` without a build section, or no rules at all is a config error.
pub fn check(stack: &Stack, opts: &WatchOptions) -> Result<WatchSet, EngineError> {
    EngineError::check_services(&opts.services, &stack.project)?;
    WatchSet::new(&stack.project, &opts.services).map_err(EngineError::Unrunnable)
}

/// Watches until a stop request (returned as the interruption). `replacing`, in an
/// attached `up`, tells the log followers which containers are being restarted or
/// recreated, so that they follow the new ones.
pub async fn watch(
    stack: &Stack,
    opts: &WatchOptions,
    replacing: &Replacing,
    shutdown: &mut Shutdown,
) -> Result<(), EngineError> {
    let set = check(stack, opts)?;
    if stack.backend.prints_only() {
        // A dry run shows what starting would run; no file change will come to act on.
        return Ok(());
    }
    let (tx, mut rx) = mpsc::unbounded_channel::<PathBuf>();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        if matches!(event.kind, EventKind::Access(_) | EventKind::Other) {
            return;
        }
        for path in event.paths {
            let _ = tx.send(path);
        }
    })
    .map_err(|e| watch_error("cannot watch files", e))?;
    for root in set.roots() {
        watcher
            .watch(&root, RecursiveMode::Recursive)
            .map_err(|e| watch_error(&format!("cannot watch {}", root.display()), e))?;
    }
    let act = apply::Actor {
        stack,
        replacing,
        prune: opts.prune,
    };
    for (service, changes) in set.initial() {
        act.apply(&service, &changes, shutdown).await?;
    }
    let names: Vec<&str> = set.services().into_iter().collect();
    stack.output.emit(Event::Notice(format!(
        "Watch enabled for {}; Ctrl-C ends it",
        names.join(", ")
    )));
    loop {
        let first = tokio::select! {
            _ = shutdown.requested() => break,
            path = rx.recv() => path,
        };
        let Some(first) = first else { break };
        let mut changed = BTreeSet::from([first]);
        let longest = tokio::time::Instant::now() + LONGEST_BATCH;
        loop {
            let quiet = tokio::time::sleep(QUIET);
            tokio::select! {
                _ = shutdown.requested() => break,
                _ = quiet => break,
                _ = tokio::time::sleep_until(longest) => break,
                path = rx.recv() => match path {
                    Some(p) => { changed.insert(p); }
                    None => break,
                },
            }
        }
        if shutdown.is_requested() {
            break;
        }
        for (service, changes) in set.changes(&changed) {
            act.apply(&service, &changes, shutdown).await?;
        }
    }
    drop(watcher);
    stack
        .output
        .emit(Event::Notice("Watch disabled".to_string()));
    Err(EngineError::Interrupted(shutdown.last_signal()))
}

fn watch_error(what: &str, e: notify::Error) -> EngineError {
    EngineError::Watch(format!(
        "{what}: {e}; if the host's inotify limits are reached, raise \
         fs.inotify.max_user_watches (sysctl)"
    ))
}

#[cfg(test)]
mod tests;
