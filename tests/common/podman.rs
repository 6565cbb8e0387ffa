//! Runs sidepod and podman for real: rootful, or rootless as the test user (through
//! `setpriv`, which execs, so signals reach sidepod itself). Each project gets a unique
//! name and a scratch copy of its files, and is cleaned up even when a test fails.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use super::{shared, Outcome};

const TEST_USER: &str = "sidepod-test";
pub const BUSYBOX: &str = "localhost/sidepod-test/busybox:latest";
pub const SERVICES: &str = "localhost/sidepod-test/services:latest";

#[derive(Debug, Clone)]
pub enum Mode {
    /// As the current user (root in CI's rootful pass, or a developer's own user).
    Current,
    /// As the unprivileged test user, from root.
    Rootless { uid: u32, gid: u32, home: String },
}

pub struct Host {
    pub mode: Mode,
}

impl Host {
    /// The host for podman tests; `None` only when SIDEPOD_SKIP_PODMAN_TESTS=1. A skip
    /// must not read as a pass: the test's name is written straight to stderr, which the
    /// test harness does not capture, so every run shows what it skipped.
    pub fn get(test: &str) -> Option<Host> {
        if std::env::var("SIDEPOD_SKIP_PODMAN_TESTS").as_deref() == Ok("1") {
            use std::io::Write;
            let line =
                format!("SKIPPED {test}: SIDEPOD_SKIP_PODMAN_TESTS=1 (not run, not passed)\n");
            let _ = std::io::stderr().write_all(line.as_bytes());
            return None;
        }
        let mode = match std::env::var("SIDEPOD_TEST_MODE").as_deref() {
            Ok("rootless") if is_root() => {
                let id = |flag: &str| -> u32 {
                    let out = Command::new("id")
                        .args([flag, TEST_USER])
                        .output()
                        .expect("run id");
                    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap_or_else(|_| {
                        panic!("no user {TEST_USER} for rootless tests: run contrib/setup-host.sh as root")
                    })
                };
                Mode::Rootless {
                    uid: id("-u"),
                    gid: id("-g"),
                    home: format!("/home/{TEST_USER}"),
                }
            }
            _ => Mode::Current,
        };
        let host = Host { mode };
        let version = host.podman(&["version", "--format", "{{.Client.Version}}"]);
        assert!(
            version.code == 0,
            "podman does not work here ({}): run contrib/setup-host.sh as root (Debian; on Fedora \
             `dnf install podman`), or set SIDEPOD_SKIP_PODMAN_TESTS=1 to skip these tests on purpose",
            version.stderr.trim()
        );
        for image in [BUSYBOX, SERVICES] {
            assert!(
                host.podman(&["image", "exists", image]).code == 0,
                "test image {image} is missing for this user: run contrib/build-test-images.sh{}",
                if matches!(host.mode, Mode::Rootless { .. }) {
                    " --for-user sidepod-test"
                } else {
                    ""
                }
            );
        }
        Some(host)
    }

    pub fn command(
        &self,
        program: &str,
        args: &[&str],
        cwd: &Path,
        env: &[(&str, &str)],
    ) -> Command {
        let mut cmd;
        match &self.mode {
            Mode::Current => {
                cmd = Command::new(program);
                cmd.args(args).env_clear();
                cmd.env(
                    "HOME",
                    std::env::var("HOME").unwrap_or_else(|_| "/root".into()),
                );
            }
            Mode::Rootless { uid, gid, home } => {
                cmd = Command::new("setpriv");
                cmd.arg(format!("--reuid={uid}"))
                    .arg(format!("--regid={gid}"))
                    .arg("--init-groups")
                    .arg(program)
                    .args(args)
                    .env_clear()
                    .env("HOME", home)
                    .env("USER", TEST_USER);
            }
        }
        cmd.env(
            "PATH",
            "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin",
        )
        .envs(env.iter().map(|(k, v)| (k.to_string(), v.to_string())))
        .current_dir(cwd);
        cmd
    }

    pub fn run(&self, program: &str, args: &[&str], cwd: &Path, env: &[(&str, &str)]) -> Outcome {
        let out = self
            .command(program, args, cwd, env)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
        Outcome {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    pub fn podman(&self, args: &[&str]) -> Outcome {
        self.run("podman", args, Path::new("/"), &[])
    }

    /// Whether podman runs rootless for the tests (the test user, or a non-root caller).
    pub fn rootless(&self) -> bool {
        self.podman(&["info", "--format", "{{.Host.Security.Rootless}}"])
            .stdout
            .trim()
            == "true"
    }

    /// Rootless on a cgroups v1 host: podman can neither pause nor limit resources.
    pub fn rootless_on_cgroups_v1(&self) -> bool {
        matches!(self.mode, Mode::Rootless { .. })
            && self
                .podman(&["info", "--format", "{{.Host.CgroupsVersion}}"])
                .stdout
                .trim()
                == "v1"
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// One project under test: a unique name, a scratch directory, cleanup on drop.
pub struct Project<'h> {
    pub host: &'h Host,
    pub name: String,
    pub dir: PathBuf,
    _tmp: tempfile::TempDir,
}

impl<'h> Project<'h> {
    /// A project from a scenario folder of ../shared, copied to a scratch directory.
    pub fn scenario(host: &'h Host, scenario: &str, base: &str) -> Self {
        let p = Self::empty(host, base);
        let src = shared().join("scenarios").join(scenario);
        for entry in std::fs::read_dir(&src).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), p.dir.join(entry.file_name())).unwrap();
        }
        p.open_up();
        p
    }

    /// A project from the given files.
    pub fn with_files(host: &'h Host, base: &str, files: &[(&str, &str)]) -> Self {
        let p = Self::empty(host, base);
        for (name, text) in files {
            std::fs::write(p.dir.join(name), text).unwrap();
        }
        p.open_up();
        p
    }

    fn empty(host: &'h Host, base: &str) -> Self {
        let tmp = tempfile::Builder::new()
            .prefix("sidepod-podman")
            .tempdir()
            .unwrap();
        let dir = tmp.path().join("project");
        std::fs::create_dir(&dir).unwrap();
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let name = format!("sp-{base}-{}-{n}", std::process::id());
        Project {
            host,
            name,
            dir,
            _tmp: tmp,
        }
    }

    /// The rootless user must be able to read the files and bind-mount them.
    fn open_up(&self) {
        let _ = Command::new("chmod")
            .args(["-R", "a+rwX"])
            .arg(self._tmp.path())
            .status();
    }

    /// A directory of the project that every container user may write to.
    pub fn writable_dir(&self, name: &str) -> std::path::PathBuf {
        let dir = self.dir.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let _ = Command::new("chmod").arg("a+rwx").arg(&dir).status();
        dir
    }

    pub fn write(&self, name: &str, text: &str) {
        std::fs::write(self.dir.join(name), text).unwrap();
        self.open_up();
    }

    /// Runs `sidepod -p NAME ARGS` in the project directory.
    pub fn sidepod(&self, args: &[&str]) -> Outcome {
        self.sidepod_env(args, &[])
    }

    pub fn sidepod_env(&self, args: &[&str], env: &[(&str, &str)]) -> Outcome {
        let mut all = vec!["-p", &self.name];
        all.extend_from_slice(args);
        self.host
            .run(env!("CARGO_BIN_EXE_sidepod"), &all, &self.dir, env)
    }

    /// Starts `sidepod -p NAME ARGS` without waiting for it.
    pub fn spawn(&self, args: &[&str], env: &[(&str, &str)]) -> Child {
        let mut all = vec!["-p", &self.name];
        all.extend_from_slice(args);
        self.host
            .command(env!("CARGO_BIN_EXE_sidepod"), &all, &self.dir, env)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn sidepod")
    }

    /// Runs `sidepod -p NAME ARGS` with stdin, stdout and stderr on one new
    /// pseudo-terminal of 32 rows and 120 columns, as a user at a terminal does: what it
    /// drew, and its exit code.
    pub fn in_terminal(&self, args: &[&str], env: &[(&str, &str)]) -> (i32, Vec<u8>) {
        use std::os::fd::{FromRawFd, OwnedFd};
        use std::os::unix::process::CommandExt;
        let mut all = vec!["-p", &self.name];
        all.extend_from_slice(args);
        let mut env = env.to_vec();
        if !env.iter().any(|(k, _)| *k == "TERM") {
            env.push(("TERM", "xterm-256color"));
        }
        let (mut leader, mut follower) = (0, 0);
        let size = libc::winsize {
            ws_row: 32,
            ws_col: 120,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: openpty writes two new descriptors, which are owned from here on.
        let made = unsafe {
            libc::openpty(
                &mut leader,
                &mut follower,
                std::ptr::null_mut(),
                std::ptr::null(),
                &size,
            )
        };
        assert_eq!(made, 0, "openpty: {}", std::io::Error::last_os_error());
        // SAFETY: both descriptors are new and owned by nobody else.
        let (leader, follower) =
            unsafe { (OwnedFd::from_raw_fd(leader), OwnedFd::from_raw_fd(follower)) };
        let mut cmd = self
            .host
            .command(env!("CARGO_BIN_EXE_sidepod"), &all, &self.dir, &env);
        cmd.stdin(follower.try_clone().unwrap())
            .stdout(follower.try_clone().unwrap())
            .stderr(follower);
        // SAFETY: setsid and ioctl are async-signal-safe; the terminal on stdin becomes
        // the new session's controlling terminal.
        unsafe {
            cmd.pre_exec(|| {
                libc::setsid();
                libc::ioctl(0, libc::TIOCSCTTY as _, 0);
                Ok(())
            });
        }
        let mut child = cmd.spawn().expect("spawn sidepod on a terminal");
        drop(cmd);
        // Containers' conmon processes may keep the terminal open long after sidepod
        // has ended, so the end of the output is not awaited: what sidepod drew has
        // arrived once it has exited and the terminal has been quiet for a moment.
        let mut reader = std::fs::File::from(leader);
        let drawn = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = drawn.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        let status = child.wait().expect("wait for sidepod");
        let mut seen = usize::MAX;
        let quiet_since = Instant::now() + Duration::from_secs(3);
        while Instant::now() < quiet_since {
            let now = drawn.lock().unwrap().len();
            if now == seen {
                break;
            }
            seen = now;
            std::thread::sleep(Duration::from_millis(300));
        }
        let all = drawn.lock().unwrap().clone();
        (status.code().unwrap_or(-1), all)
    }

    pub fn container(&self, service: &str) -> String {
        format!("{}-{service}-1", self.name)
    }

    /// `podman inspect --format` of one container.
    pub fn inspect(&self, container: &str, format: &str) -> String {
        let out = self
            .host
            .podman(&["container", "inspect", "--format", format, container]);
        assert_eq!(out.code, 0, "inspect {container}: {}", out.stderr);
        out.stdout.trim().to_string()
    }

    /// The names of the project's containers, pods and volumes that exist.
    pub fn leftovers(&self) -> (Vec<String>, Vec<String>, Vec<String>) {
        let filter = format!("label=io.sidepod.project={}", self.name);
        let list = |args: &[&str]| -> Vec<String> {
            let out = self.host.podman(args);
            out.stdout
                .lines()
                .map(str::to_string)
                .filter(|l| !l.is_empty())
                .collect()
        };
        // A pod's infra container carries the pod's labels: it is the pod, not a service.
        let containers = list(&[
            "ps",
            "-a",
            "--filter",
            &filter,
            "--format",
            "{{.Names}} {{.IsInfra}}",
        ])
        .into_iter()
        .filter_map(|l| l.strip_suffix(" false").map(str::to_string))
        .collect();
        (
            containers,
            list(&["pod", "ps", "--filter", &filter, "--format", "{{.Name}}"]),
            list(&["volume", "ls", "--filter", &filter, "--format", "{{.Name}}"]),
        )
    }

    /// The names of the project's networks that exist (bridge mode's).
    pub fn networks(&self) -> Vec<String> {
        let filter = format!("label=io.sidepod.project={}", self.name);
        let out = self.host.podman(&[
            "network",
            "ls",
            "--filter",
            &filter,
            "--format",
            "{{.Name}}",
        ]);
        out.stdout
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    }

    #[track_caller]
    pub fn assert_nothing_left(&self) {
        let (containers, pods, volumes) = self.leftovers();
        let networks = self.networks();
        assert!(
            containers.is_empty() && pods.is_empty() && volumes.is_empty() && networks.is_empty(),
            "left behind: containers {containers:?}, pods {pods:?}, volumes {volumes:?}, \
             networks {networks:?}"
        );
    }

    /// Waits until the project has exactly `n` containers, all running.
    pub fn wait_running(&self, n: usize) {
        self.wait_for(
            Duration::from_secs(60),
            &format!("{n} containers running"),
            || {
                let (containers, _, _) = self.leftovers();
                containers.len() == n
                    && containers
                        .iter()
                        .all(|c| self.inspect(c, "{{.State.Status}}") == "running")
            },
        );
    }

    /// Waits until `check` holds, for at most `limit`.
    pub fn wait_for(&self, limit: Duration, what: &str, mut check: impl FnMut() -> bool) {
        let start = Instant::now();
        while !check() {
            assert!(start.elapsed() < limit, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Project<'_> {
    fn drop(&mut self) {
        // Best effort, so that a failing test leaks nothing into the next.
        let _ = self.sidepod(&["down", "-v", "-t", "0"]);
    }
}

/// Sends SIGTERM to a spawned sidepod and waits for it: its exit code, stdout, stderr.
pub fn terminate(child: Child) -> (Option<i32>, String, String) {
    assert!(Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap()
        .success());
    let out = child.wait_with_output().unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

/// A TCP port that was free a moment ago.
/// A port that is free now, from a range of this mode's own below the kernel's ephemeral
/// ports (32768 and up): the rootful and rootless runs go side by side, and a port the
/// kernel hands to one of them (or to any outgoing connection) could be the one the
/// other checks is free. Taken in turn from a place that the process id chooses.
pub fn free_port() -> u16 {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    const SPAN: u32 = 6000;
    let rootless = std::env::var("SIDEPOD_TEST_MODE").as_deref() == Ok("rootless");
    let base = if rootless { 26000 } else { 20000 };
    let start = std::process::id() % SPAN;
    loop {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        assert!(
            n < SPAN,
            "every port from {base} to {} is taken",
            base + SPAN - 1
        );
        let port = (base + (start + n) % SPAN) as u16;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// GETs `/` on 127.0.0.1:port; returns the body. Retries briefly while the port opens.
pub fn http_get(port: u16, path: &str) -> String {
    let start = Instant::now();
    loop {
        let attempt = (|| -> std::io::Result<String> {
            let mut s = TcpStream::connect(("127.0.0.1", port))?;
            s.set_read_timeout(Some(Duration::from_secs(5)))?;
            write!(s, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n")?;
            let mut text = String::new();
            s.read_to_string(&mut text)?;
            Ok(text
                .split("\r\n\r\n")
                .nth(1)
                .unwrap_or_default()
                .to_string())
        })();
        match attempt {
            Ok(body) if !body.is_empty() => return body,
            _ if start.elapsed() > Duration::from_secs(10) => {
                panic!("nothing answered on 127.0.0.1:{port}{path}: {attempt:?}")
            }
            _ => std::thread::sleep(Duration::from_millis(200)),
        }
    }
}
