//! Which containers `watch` is restarting or recreating right now, for an attached
//! `up --watch`: a log follower whose stream ends because of it waits for the new
//! container instead of reporting an exit.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

#[derive(Debug, Clone, Default)]
pub struct Replacing {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// By container: whether it is being replaced now, and how often it was.
    state: Mutex<BTreeMap<String, Entry>>,
    changed: Notify,
}

#[derive(Debug, Default, Clone, Copy)]
struct Entry {
    busy: bool,
    done: u64,
    /// The last replacement made a new container (a new log), not a restart.
    recreated: bool,
}

/// What a follower finds after its log stream ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replaced {
    /// The container was not replaced: it exited by itself.
    No,
    /// It was restarted: the same log goes on.
    Restarted,
    /// It was removed and created again: a new log.
    Recreated,
}

impl Replacing {
    pub fn begin(&self, names: &[String]) {
        let mut state = self.inner.state.lock().unwrap_or_else(|e| e.into_inner());
        for n in names {
            state.entry(n.clone()).or_default().busy = true;
        }
    }

    /// The replacement is over (done or failed): the followers go on.
    pub fn end(&self, names: &[String], recreated: bool) {
        {
            let mut state = self.inner.state.lock().unwrap_or_else(|e| e.into_inner());
            for n in names {
                let e = state.entry(n.clone()).or_default();
                e.busy = false;
                e.done += 1;
                e.recreated = recreated;
            }
        }
        self.inner.changed.notify_waiters();
    }

    /// Called when `name`'s log stream has ended; `seen` is how many replacements the
    /// caller already followed. Waits while a replacement is under way.
    pub async fn settled(&self, name: &str, seen: &mut u64) -> Replaced {
        loop {
            let changed = self.inner.changed.notified();
            let entry = {
                let state = self.inner.state.lock().unwrap_or_else(|e| e.into_inner());
                state.get(name).copied().unwrap_or_default()
            };
            if !entry.busy {
                if entry.done == *seen {
                    return Replaced::No;
                }
                *seen = entry.done;
                return if entry.recreated {
                    Replaced::Recreated
                } else {
                    Replaced::Restarted
                };
            }
            changed.await;
        }
    }
}
