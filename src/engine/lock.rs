//! One `up` or `down` of a project at a time. Two at once would each see the other's
//! containers half-made: a `podman run` that has put its container in storage but not yet
//! in podman's list looks exactly like the leftover of a run that failed half-way, and
//! removing it breaks the other run. So the part of `up` after its images (the pod, the
//! volumes, the containers), and all of `down`, hold an advisory lock on a file of the project's, which the kernel releases
//! when sidepod ends, however it ends.

use std::collections::HashSet;
use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::output::{Event, Output};

/// The projects this process holds the lock of: a nested `up` or `down` (a job's end,
/// `up --abort-on-container-exit`) already has it, and must not wait for itself.
static HELD: Mutex<Option<HashSet<String>>> = Mutex::new(None);

/// The lock of one project, held until dropped.
pub struct ProjectLock {
    held: Option<(String, File)>,
}

impl Drop for ProjectLock {
    fn drop(&mut self) {
        if let Some((name, _file)) = self.held.take() {
            if let Some(set) = HELD.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
                set.remove(&name);
            }
            // Closing the file releases the lock.
            #[cfg(test)]
            {
                let _ = std::fs::remove_file(dir().join(format!("{name}.lock")));
                let _ = std::fs::remove_dir(dir());
                let _ = dir().parent().map(std::fs::remove_dir);
            }
        }
    }
}

/// `$XDG_RUNTIME_DIR/sidepod/locks`, else a directory of this user's under the temporary
/// directory: where the podman of this user keeps its own run-time state, one per user.
#[cfg(not(test))]
fn dir() -> PathBuf {
    match std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        Some(d) => PathBuf::from(d).join("sidepod/locks"),
        None => std::env::temp_dir().join(format!(
            "sidepod-{}/locks",
            // SAFETY: getuid has no preconditions and cannot fail.
            unsafe { libc::getuid() }
        )),
    }
}

/// Unit tests, each its own process under nextest, bring up projects of the same names
/// over the fake backend at once: each process has its own locks, so that none waits
/// for another's (under paused time such a wait runs the clock on by seconds).
#[cfg(test)]
fn dir() -> PathBuf {
    std::env::temp_dir().join(format!("sidepod-unit-{}/locks", std::process::id()))
}

/// How long a wait goes before it is said in a notice.
const QUIET: Duration = Duration::from_secs(1);

/// Takes the lock of project `name`, waiting for another sidepod that holds it. When the
/// lock file cannot be made (a read-only or foreign directory) the work goes on unlocked,
/// as it did before there was a lock: the lock guards a rare race, not the common path.
pub async fn project(name: &str, output: &Output) -> ProjectLock {
    {
        let mut held = HELD.lock().unwrap_or_else(|e| e.into_inner());
        let set = held.get_or_insert_with(HashSet::new);
        if !set.insert(name.to_string()) {
            return ProjectLock { held: None };
        }
    }
    let unheld = |why: String| {
        tracing::debug!("working on project {name} without its lock: {why}");
        if let Some(set) = HELD.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
            set.remove(name);
        }
        ProjectLock { held: None }
    };
    let file = match open(name) {
        Ok(f) => f,
        Err((path, e)) => return unheld(format!("{}: {e}", path.display())),
    };
    let began = Instant::now();
    let mut said = false;
    loop {
        // SAFETY: the descriptor is open for as long as `file` lives.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
            return ProjectLock {
                held: Some((name.to_string(), file)),
            };
        }
        let e = std::io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EWOULDBLOCK) {
            return unheld(e.to_string());
        }
        if !said && began.elapsed() >= QUIET {
            said = true;
            output.emit(Event::Notice(format!(
                "waiting for another sidepod that is bringing project {name} up or down"
            )));
        }
        wait_a_little().await;
    }
}

/// Between two looks at a lock another holds.
#[cfg(not(test))]
async fn wait_a_little() {
    tokio::time::sleep(Duration::from_millis(20)).await;
}

/// Unit tests run over paused time, many in one process, and one of them can find the
/// lock still held for a moment while another test's lock is dropped on another thread.
/// A timer here would run the clock of the waiting test on by seconds, for as long as
/// that other thread takes in real time, and break what it measures: the wait is real.
#[cfg(test)]
async fn wait_a_little() {
    std::thread::sleep(Duration::from_millis(1));
}

fn open(name: &str) -> Result<File, (PathBuf, std::io::Error)> {
    use std::os::unix::fs::DirBuilderExt;
    let dir = dir();
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)
        .map_err(|e| (dir.clone(), e))?;
    // Project names are lower-case letters, digits, '-' and '_': safe as a file name.
    let path = dir.join(format!("{name}.lock"));
    File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| (path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_second_holder_waits_and_a_nested_one_does_not() {
        let name = format!("locktest-{}", std::process::id());
        let output = Output::new(crate::cli::Ansi::Never, crate::output::ProgressStyle::Quiet);
        let first = project(&name, &output).await;
        assert!(first.held.is_some());
        // The same process again: nested, no wait.
        let nested = tokio::time::timeout(Duration::from_secs(1), project(&name, &output))
            .await
            .expect("a nested lock waited for itself");
        assert!(nested.held.is_none());
        drop(nested);
        // Another open file of the lock is another holder: it waits until the first ends.
        let other = open(&name).unwrap();
        // SAFETY: the descriptor is open.
        let busy = unsafe { libc::flock(other.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        assert_eq!(busy, -1, "the lock was not held");
        drop(first);
        // SAFETY: the descriptor is open.
        let free = unsafe { libc::flock(other.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        assert_eq!(free, 0, "the lock was not released");
        let _ = std::fs::remove_file(dir().join(format!("{name}.lock")));
    }
}
