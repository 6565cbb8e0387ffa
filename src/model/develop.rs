//! `develop.watch`: what `sidepod watch` (and `up --watch`) does when a file changes.

use std::path::PathBuf;

use super::Hook;

/// One `develop.watch` rule of a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchRule {
    /// The watched file or directory on the host, absolute.
    pub path: PathBuf,
    pub action: WatchAction,
    /// Where `path` is synced to in the container (the sync actions; required there).
    pub target: Option<String>,
    /// Patterns, `.dockerignore` syntax, relative to `path`: changes they match are
    /// left alone.
    pub ignore: Vec<String>,
    /// When given, only changes these patterns match count.
    pub include: Vec<String>,
    /// The sync actions: copy the whole of `path` in when watching starts.
    pub initial_sync: bool,
    /// `sync+exec`: the command run in the container after each sync.
    pub exec: Option<Hook>,
}

impl WatchRule {
    /// A rule with no target, patterns, initial sync or command yet.
    pub fn new(path: PathBuf, action: WatchAction, target: Option<&str>) -> WatchRule {
        WatchRule {
            path,
            action,
            target: target.map(String::from),
            ignore: Vec::new(),
            include: Vec::new(),
            initial_sync: false,
            exec: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum WatchAction {
    /// Copy changed files into the running container.
    Sync,
    /// Sync, then restart the container.
    SyncRestart,
    /// Sync, then run `exec` in the container.
    SyncExec,
    /// Restart the container.
    Restart,
    /// Build the image again and recreate the service's containers.
    Rebuild,
}

impl WatchAction {
    pub fn parse(s: &str) -> Option<WatchAction> {
        Some(match s {
            "sync" => WatchAction::Sync,
            "sync+restart" => WatchAction::SyncRestart,
            "sync+exec" => WatchAction::SyncExec,
            "restart" => WatchAction::Restart,
            "rebuild" => WatchAction::Rebuild,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            WatchAction::Sync => "sync",
            WatchAction::SyncRestart => "sync+restart",
            WatchAction::SyncExec => "sync+exec",
            WatchAction::Restart => "restart",
            WatchAction::Rebuild => "rebuild",
        }
    }

    /// It copies files into the container (and so needs a `target`).
    pub fn syncs(self) -> bool {
        matches!(
            self,
            WatchAction::Sync | WatchAction::SyncRestart | WatchAction::SyncExec
        )
    }
}
