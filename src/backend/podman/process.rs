//! Running podman children: each in its own process group, stdin closed, stdout and
//! stderr drained together, killed when sidepod drops it. In a dry run, a call that would
//! change something is printed instead of run, and a call that only looks runs when
//! podman is there (so that `down` sees what exists) and sees nothing otherwise.
//!
//! Why its own process group: a Ctrl-C in the terminal goes to the foreground process
//! group. If podman children shared sidepod's group, they would all die at the first
//! Ctrl-C, before sidepod could stop the stack in order; in their own group, only
//! sidepod hears the signal and decides what to stop, and when.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde::Deserialize;
use std::sync::Arc;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;
use tokio::sync::{mpsc, Semaphore};

use super::userns::Namespaces;
use crate::backend::{is_already_gone, shell_join, BackendError, LogLine, Stream};

/// A finished call: exit status (none when killed by a signal), stdout, cleaned stderr.
pub type Finished = (Option<i32>, String, String);

pub struct Process {
    program: PathBuf,
    /// Print what would change instead of running it.
    dry_run: bool,
    /// Whether podman is there to answer the calls that only look.
    can_look: bool,
    /// Variables given to podman in its environment, not its argv (secret values:
    /// `--env NAME` then takes each from there).
    env: Vec<(String, String)>,
    /// How many calls that contend on podman's locks may run at once (`None`: any).
    calls: Option<Arc<Semaphore>>,
}

/// The podman calls that take podman's locks briefly: many at once only queue on them
/// (20 `podman run` at once take 3 s each, against 0.14 s alone). Calls that wait (for
/// a container to exit or stop, a pull, a build, a log or event stream) are not
/// counted: holding a place while they wait would only delay the others.
fn contends(args: &[String]) -> bool {
    let word = |i: usize| args.get(i).map(String::as_str).unwrap_or_default();
    match word(0) {
        "run" => !args.iter().any(|a| a == "--rm"),
        "create" | "start" | "ps" | "port" | "top" | "kill" | "pause" | "unpause" | "cp" => true,
        "pod" => matches!(word(1), "create" | "start" | "ps" | "exists"),
        "network" | "volume" => matches!(word(1), "create" | "ls" | "rm" | "exists" | "inspect"),
        "container" | "image" => matches!(word(1), "inspect" | "exists"),
        _ => false,
    }
}

/// The default number of contending podman calls at once: measured on 2 cores, 2 to 4
/// at once start 50 containers about twice as fast as all at once; more cores take more.
pub fn default_call_limit() -> usize {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    (cores * 2).clamp(2, 8)
}

impl Process {
    /// Uses `explicit` (from `--podman` or `SIDEPOD_PODMAN`) or finds `podman` on PATH.
    /// A dry run works without podman: it then sees an empty host.
    pub fn locate(explicit: Option<&Path>, dry_run: bool) -> Result<Self, BackendError> {
        let found = match explicit {
            Some(p) => which::which(p).map_err(|_| BackendError::NotFound {
                searched: Some(p.to_path_buf()),
            }),
            None => which::which("podman").map_err(|_| BackendError::NotFound { searched: None }),
        };
        match found {
            Ok(program) => Ok(Process {
                program,
                dry_run,
                can_look: true,
                env: Vec::new(),
                calls: Some(Arc::new(Semaphore::new(default_call_limit()))),
            }),
            Err(_) if dry_run => Ok(Process {
                program: PathBuf::from("podman"),
                dry_run,
                can_look: false,
                env: Vec::new(),
                calls: None,
            }),
            Err(e) => Err(e),
        }
    }

    pub fn program(&self) -> &Path {
        &self.program
    }

    pub fn dry_run(&self) -> bool {
        self.dry_run
    }

    /// A podman call. Rootless, it starts inside podman's pause-process namespaces, as
    /// podman's own re-executed child would (userns.rs): one process instead of two, about
    /// 30 ms sooner on every call, and half the memory of a stream that lasts.
    fn command(&self, args: &[String]) -> Command {
        let mut cmd = Self::command_of(&self.program, args);
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
        if let Some(ns) = Namespaces::of_pause_process() {
            ns.enter(&mut cmd);
        }
        cmd
    }

    /// This process runner, with these variables in podman's environment.
    pub fn with_env(&self, env: Vec<(String, String)>) -> Process {
        Process {
            program: self.program.clone(),
            dry_run: self.dry_run,
            can_look: self.can_look,
            env,
            calls: self.calls.clone(),
        }
    }

    /// At most `limit` contending podman calls at once (`None`: any number).
    pub fn with_call_limit(mut self, limit: Option<usize>) -> Process {
        self.calls = limit.map(|n| Arc::new(Semaphore::new(n.max(1))));
        self
    }

    fn command_of(program: &Path, args: &[String]) -> Command {
        let mut cmd = Command::new(program);
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        dies_with_sidepod(&mut cmd);
        cmd
    }

    fn spawn_error(&self, source: std::io::Error) -> BackendError {
        BackendError::Spawn {
            program: self.program.display().to_string(),
            source,
        }
    }

    /// In a dry run, prints the command; true when it did (and nothing is to be run).
    fn printed(&self, args: &[String]) -> bool {
        if self.dry_run {
            let _ = crate::output::print(&format!("podman {}\n", shell_join(args)));
        }
        self.dry_run
    }

    /// Runs podman to completion, whatever its exit status.
    pub async fn status(&self, args: &[String]) -> Result<Finished, BackendError> {
        let _place = match &self.calls {
            Some(calls) if contends(args) => calls.acquire().await.ok(),
            _ => None,
        };
        let started = Instant::now();
        let output = self
            .command(args)
            .output()
            .await
            .map_err(|e| self.spawn_error(e))?;
        tracing::debug!(
            "podman {} ({} ms, exit {})",
            shell_join(args),
            started.elapsed().as_millis(),
            output
                .status
                .code()
                .map_or("signal".into(), |c| c.to_string())
        );
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = clean_stderr(&String::from_utf8_lossy(&output.stderr));
        Ok((output.status.code(), stdout, stderr))
    }

    /// Runs sidepod itself with `args` (a helper such as the HTTP probe): rootless, inside
    /// podman's user namespace, where the pod's namespaces may be entered (joined
    /// directly, else through `podman unshare`); rootful, directly.
    pub async fn helper(&self, args: &[String]) -> Result<Finished, BackendError> {
        let exe = std::env::current_exe().map_err(|e| self.spawn_error(e))?;
        // SAFETY: geteuid has no preconditions and cannot fail.
        let rootless = unsafe { libc::geteuid() } != 0;
        let joined = Namespaces::of_pause_process();
        let mut cmd = if let Some(ns) = joined {
            let mut cmd = Self::command_of(&exe, args);
            ns.enter(&mut cmd);
            cmd
        } else if rootless {
            let mut all = vec!["unshare".to_string(), exe.display().to_string()];
            all.extend_from_slice(args);
            self.command(&all)
        } else {
            Self::command_of(&exe, args)
        };
        let output = cmd.output().await.map_err(|e| self.spawn_error(e))?;
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = clean_stderr(&String::from_utf8_lossy(&output.stderr));
        Ok((output.status.code(), stdout, stderr))
    }

    /// Runs podman; a non-zero exit is an error carrying argv, status and stderr.
    pub async fn call(&self, args: &[String]) -> Result<String, BackendError> {
        let (status, stdout, stderr) = self.status(args).await?;
        succeeded(args, status, stderr).map(|()| stdout)
    }

    /// A call that only looks; `None` in a dry run without podman.
    pub async fn look(&self, args: &[String]) -> Result<Option<Finished>, BackendError> {
        if !self.can_look {
            return Ok(None);
        }
        self.status(args).await.map(Some)
    }

    /// A looking call whose JSON output is read; `None` in a dry run without podman.
    pub async fn look_json<T: for<'de> Deserialize<'de>>(
        &self,
        args: &[String],
    ) -> Result<Option<T>, BackendError> {
        if !self.can_look {
            return Ok(None);
        }
        let out = self.call(args).await?;
        let text = if out.trim().is_empty() {
            "[]"
        } else {
            out.trim()
        };
        serde_json::from_str(text)
            .map(Some)
            .map_err(|e| BackendError::Output {
                argv: argv(args),
                message: e.to_string(),
            })
    }

    /// A call that changes something; `None` when a dry run printed it instead.
    pub async fn change(&self, args: &[String]) -> Result<Option<Finished>, BackendError> {
        if self.printed(args) {
            return Ok(None);
        }
        self.status(args).await.map(Some)
    }

    /// A changing call that must succeed; its stdout (`None` in a dry run).
    pub async fn change_ok(&self, args: &[String]) -> Result<Option<String>, BackendError> {
        match self.change(args).await? {
            Some((status, stdout, stderr)) => {
                succeeded(args, status, stderr).map(|()| Some(stdout))
            }
            None => Ok(None),
        }
    }

    /// A removal (`rm --force`, `pod rm --force`), tried again when podman 4 trips over a
    /// mount that is still busy while a container goes away (its known EBUSY race, seen
    /// most with rootless pods): the container's stop has finished a moment later. What
    /// the first try removed is gone on the next, which is fine for a forced removal.
    pub async fn removal(&self, args: &[String]) -> Result<(), BackendError> {
        if self.printed(args) {
            return Ok(());
        }
        let mut pause = Duration::from_millis(250);
        let mut attempt = 1;
        loop {
            match self.call(args).await {
                Err(BackendError::Command { ref stderr, .. })
                    if attempt > 1 && is_already_gone(stderr) =>
                {
                    return Ok(())
                }
                Err(BackendError::Command { ref stderr, .. })
                    if attempt < 5 && stderr.contains("device or resource busy") =>
                {
                    tracing::debug!("removal hit a busy mount; trying again in {pause:?}");
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                    attempt += 1;
                }
                result => return result.map(drop),
            }
        }
    }

    /// Runs podman with its output sent to `sink` line by line, as it comes (stdout and
    /// stderr read together); returns its exit code (0 in a dry run).
    pub async fn stream(
        &self,
        args: &[String],
        container: &str,
        sink: mpsc::Sender<LogLine>,
    ) -> Result<i64, BackendError> {
        if self.printed(args) {
            return Ok(0);
        }
        tracing::debug!("podman {}", shell_join(args));
        let mut cmd = self.command(args);
        let mut child = cmd.spawn().map_err(|e| self.spawn_error(e))?;
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();
        tokio::join!(
            forward_lines(stdout, Stream::Stdout, container, &sink),
            forward_lines(stderr, Stream::Stderr, container, &sink)
        );
        let status = child.wait().await.map_err(|e| self.spawn_error(e))?;
        Ok(status.code().map_or(-1, i64::from))
    }

    /// Runs podman in the foreground with the terminal: stdin, stdout and stderr are
    /// sidepod's, and it stays in sidepod's process group so that it can use the terminal
    /// (a background process group could not read from it). Returns podman's exit code,
    /// which for `run` and `exec` is the command's (0 in a dry run).
    pub async fn foreground(&self, args: &[String]) -> Result<i64, BackendError> {
        if self.printed(args) {
            return Ok(0);
        }
        tracing::debug!("podman {}", shell_join(args));
        let status = Command::new(&self.program)
            .args(args)
            .status()
            .await
            .map_err(|e| self.spawn_error(e))?;
        Ok(status.code().map_or_else(
            || 128 + i64::from(std::os::unix::process::ExitStatusExt::signal(&status).unwrap_or(0)),
            i64::from,
        ))
    }
}

/// Asks the kernel to kill the child when sidepod dies, however it dies: a SIGKILLed
/// sidepod cannot drop its children, and a `podman wait` or `podman logs -f` left behind
/// would wait forever. (In its own process group, the child does not get the terminal's
/// signals; this is how it still ends with its parent.)
fn dies_with_sidepod(cmd: &mut Command) {
    // SAFETY: the closure runs in the forked child before exec and calls only prctl and
    // getppid, which are async-signal-safe; it allocates nothing and touches no lock.
    let sidepod = std::process::id() as libc::pid_t;
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent may have died between fork and prctl: then nothing will signal.
            if libc::getppid() != sidepod {
                return Err(std::io::Error::other("sidepod ended before podman started"));
            }
            Ok(())
        });
    }
}

async fn forward_lines(
    reader: Option<impl tokio::io::AsyncRead + Unpin>,
    stream: Stream,
    container: &str,
    sink: &mpsc::Sender<LogLine>,
) {
    let Some(reader) = reader else { return };
    let mut lines = BufReader::new(reader).lines();
    while let Ok(Some(text)) = lines.next_line().await {
        let line = LogLine {
            container: container.to_string(),
            stream,
            // Masked at the source: whatever keeps or prints the line never holds a secret.
            text: crate::output::mask::mask(&text).into_owned(),
        };
        if sink.send(line).await.is_err() {
            return;
        }
    }
}

/// A removal that found nothing left to remove.
/// A podman call's exit status as a result: a failure keeps argv, status and stderr.
pub fn succeeded(args: &[String], status: Option<i32>, stderr: String) -> Result<(), BackendError> {
    if status == Some(0) {
        Ok(())
    } else {
        Err(BackendError::Command {
            argv: argv(args),
            status,
            stderr,
        })
    }
}

/// The whole command line of a call, for messages.
pub fn argv(args: &[String]) -> Vec<String> {
    std::iter::once("podman".to_string())
        .chain(args.iter().cloned())
        .collect()
}

/// Drops podman's systemd noise (it has no systemd here and says so on every
/// healthcheck), keeps what explains a failure.
fn clean_stderr(stderr: &str) -> String {
    stderr
        .lines()
        .filter(|l| !l.contains("systemd connection") && !l.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn systemd_noise_is_dropped_from_stderr() {
        let stderr = "time=\"x\" level=error msg=\"unable to get systemd connection to add healthchecks\"\nError: no such container";
        assert_eq!(clean_stderr(stderr), "Error: no such container");
    }

    /// A stand-in podman that fails its first `fail_times` calls with `stderr`, then
    /// succeeds (or fails with `then`); it counts its calls in a file.
    fn flaky_podman(dir: &Path, fail_times: u32, stderr: &str, then: &str) -> Process {
        use std::os::unix::fs::PermissionsExt;
        let script = dir.join("podman");
        let count = dir.join("calls");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\nn=$(( $(cat {count} 2>/dev/null || echo 0) + 1 ))\necho $n > {count}\n\
                 if [ $n -le {fail_times} ]; then echo '{stderr}' >&2; exit 125; fi\n{then}\n",
                count = count.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        Process::locate(Some(&script), false).unwrap()
    }

    fn calls(dir: &Path) -> String {
        std::fs::read_to_string(dir.join("calls"))
            .unwrap()
            .trim()
            .to_string()
    }

    const BUSY: &str = "Error: removing container 2e17 root filesystem: unlinkat \
                        /home/u/.local/share/containers/storage/vfs-containers/2e17/userdata/shm: \
                        device or resource busy";

    fn args(line: &str) -> Vec<String> {
        line.split(' ').map(str::to_string).collect()
    }

    #[tokio::test]
    async fn removals_are_retried_when_podman_trips_over_a_busy_mount() {
        let dir = tempfile::tempdir().unwrap();
        let podman = flaky_podman(dir.path(), 2, BUSY, "exit 0");
        podman.removal(&args("pod rm --force shop")).await.unwrap();
        assert_eq!(calls(dir.path()), "3");

        // A retry that finds the pod already gone has nothing left to do.
        let dir = tempfile::tempdir().unwrap();
        let podman = flaky_podman(
            dir.path(),
            1,
            BUSY,
            "echo 'Error: no such pod shop' >&2; exit 1",
        );
        podman.removal(&args("pod rm --force shop")).await.unwrap();
        assert_eq!(calls(dir.path()), "2");

        // Other failures are not retried.
        let dir = tempfile::tempdir().unwrap();
        let podman = flaky_podman(dir.path(), 1, "Error: no such container x", "exit 0");
        let err = podman.removal(&args("rm --force x")).await.unwrap_err();
        assert!(err.to_string().contains("no such container x"), "{err}");
        assert_eq!(calls(dir.path()), "1");
    }

    #[tokio::test]
    async fn a_dry_run_prints_changes_and_without_podman_sees_nothing() {
        let podman = Process::locate(Some(Path::new("/nonexistent/podman")), true).unwrap();
        assert_eq!(
            podman.change(&args("pod create --name x")).await.unwrap(),
            None
        );
        assert_eq!(podman.look(&args("ps --all")).await.unwrap(), None);
        assert!(Process::locate(Some(Path::new("/nonexistent/podman")), false).is_err());
    }

    /// A stand-in podman that notes how many of its kind run at once, in `dir`/most.
    fn counting_podman(dir: &Path) -> Process {
        use std::os::unix::fs::PermissionsExt;
        let script = dir.join("podman");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\ncd {dir}\nmkdir running 2>/dev/null\ntouch running/$$\n\
                 ls running | wc -l >> seen\nsleep 0.2\nrm running/$$\n",
                dir = dir.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        Process::locate(Some(&script), false).unwrap()
    }

    /// Runs every argv, each on the runner given with it, all at once.
    async fn all_at_once(calls: Vec<(Arc<Process>, Vec<String>)>) {
        let mut set = tokio::task::JoinSet::new();
        for (process, args) in calls {
            set.spawn(async move { process.status(&args).await.unwrap() });
        }
        while set.join_next().await.is_some() {}
    }

    fn most_at_once(dir: &Path) -> usize {
        let seen = std::fs::read_to_string(dir.join("seen")).unwrap();
        let most = seen.lines().filter_map(|l| l.trim().parse().ok()).max();
        std::fs::remove_file(dir.join("seen")).unwrap();
        most.unwrap()
    }

    #[tokio::test]
    async fn contending_calls_are_bounded_and_waiting_ones_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let podman = Arc::new(counting_podman(dir.path()).with_call_limit(Some(2)));
        let argv = |s: String| s.split(' ').map(String::from).collect::<Vec<_>>();
        let on = |p: &Arc<Process>, what: &str, n: usize| -> Vec<(Arc<Process>, Vec<String>)> {
            (0..n)
                .map(|i| (p.clone(), argv(format!("{what} c{i}"))))
                .collect()
        };
        all_at_once(on(&podman, "run -d --name", 6)).await;
        assert_eq!(most_at_once(dir.path()), 2);
        // A clone for a container's secret variables shares the same places.
        let with_env = Arc::new(podman.with_env(vec![("S".into(), "1".into())]));
        let mut mixed = on(&with_env, "run -d --name", 3);
        mixed.extend(on(&podman, "create --name", 3));
        all_at_once(mixed).await;
        assert_eq!(most_at_once(dir.path()), 2);
        // `wait` and `stop` wait on containers: they take no place.
        // (More than the limit at once is the point: a loaded host may start them late.)
        all_at_once(on(&podman, "wait", 4)).await;
        assert!(most_at_once(dir.path()) > 2);
        let unbounded = Arc::new(counting_podman(dir.path()).with_call_limit(None));
        all_at_once(on(&unbounded, "run -d --name", 6)).await;
        assert!(most_at_once(dir.path()) > 2);
    }

    #[test]
    fn the_calls_that_contend_are_the_short_ones_on_podmans_locks() {
        let argv = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
        for (call, counted) in [
            ("run -d --name a img", true),
            ("run --rm --rootfs /r /x", false),
            ("create --name a img", true),
            ("pod create --name p", true),
            ("pod rm --force p", false),
            ("volume create v", true),
            ("network ls --format json", true),
            ("container inspect a", true),
            ("stop --time 10 a", false),
            ("wait a", false),
            ("pull --quiet img", false),
            ("logs --follow a", false),
            ("healthcheck run a", false),
        ] {
            assert_eq!(contends(&argv(call)), counted, "{call}");
        }
        assert!((2..=8).contains(&default_call_limit()));
    }
}
