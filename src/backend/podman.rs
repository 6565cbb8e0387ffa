//! `PodmanBackend`: drives the `podman` CLI. Argv builders are pure functions (tested on
//! their own, and printed by `--dry-run`); execution runs each podman child in its own
//! process group with stdin closed and stdout and stderr drained together.
//!
//! Why its own process group: a Ctrl-C in the terminal goes to the foreground process
//! group. If podman children shared sidepod's group, they would all die at the first
//! Ctrl-C, before sidepod could stop the stack in order; in their own group, only
//! sidepod hears the signal and decides what to stop, and when.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde::Deserialize;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;
use tokio::sync::mpsc;

use super::*;
use crate::model::{format_duration, HealthTest, NetworkMode, Port, RestartPolicy, RuntimeOptions};

pub struct PodmanBackend {
    program: PathBuf,
}

impl PodmanBackend {
    /// Uses `explicit` (from `--podman` or `SIDEPOD_PODMAN`) or finds `podman` on PATH.
    pub fn locate(explicit: Option<&Path>) -> Result<Self, BackendError> {
        let program = match explicit {
            Some(p) => which::which(p).map_err(|_| BackendError::NotFound {
                searched: Some(p.to_path_buf()),
            })?,
            None => {
                which::which("podman").map_err(|_| BackendError::NotFound { searched: None })?
            }
        };
        Ok(PodmanBackend { program })
    }

    fn command(&self, args: &[String]) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        cmd
    }

    /// Runs podman; returns exit status, stdout and (cleaned) stderr.
    async fn call_status(
        &self,
        args: Vec<String>,
    ) -> Result<(Option<i32>, String, String), BackendError> {
        let started = Instant::now();
        let output = self
            .command(&args)
            .output()
            .await
            .map_err(|source| BackendError::Spawn {
                program: self.program.display().to_string(),
                source,
            })?;
        tracing::debug!(
            "podman {} ({} ms, exit {})",
            shell_join(&args),
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

    /// Runs podman; a non-zero exit is an error carrying argv, status and stderr.
    async fn call(&self, args: Vec<String>) -> Result<String, BackendError> {
        let (status, stdout, stderr) = self.call_status(args.clone()).await?;
        succeeded(&args, status, stderr).map(|()| stdout)
    }

    /// Runs a removal (`rm --force`, `pod rm --force`), again when podman 4 trips over a
    /// mount that is still busy while a container goes away (its known EBUSY race, seen
    /// most with rootless pods): the container's stop has finished a moment later. What
    /// the first try removed is gone on the next, which is fine for a forced removal.
    async fn call_removal(&self, args: Vec<String>) -> Result<(), BackendError> {
        let mut pause = Duration::from_millis(250);
        let mut attempt = 1;
        loop {
            match self.call(args.clone()).await {
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
    /// stderr read together); returns its exit code.
    async fn stream(
        &self,
        args: Vec<String>,
        container: &str,
        sink: mpsc::Sender<LogLine>,
    ) -> Result<i64, BackendError> {
        tracing::debug!("podman {}", shell_join(&args));
        let mut child = self
            .command(&args)
            .spawn()
            .map_err(|source| BackendError::Spawn {
                program: self.program.display().to_string(),
                source,
            })?;
        let forward = |reader: Option<Box<dyn tokio::io::AsyncRead + Unpin + Send>>,
                       stream: Stream| {
            let sink = sink.clone();
            let container = container.to_string();
            async move {
                let Some(reader) = reader else { return };
                let mut lines = BufReader::new(reader).lines();
                while let Ok(Some(text)) = lines.next_line().await {
                    let line = LogLine {
                        container: container.clone(),
                        stream,
                        text,
                    };
                    if sink.send(line).await.is_err() {
                        return;
                    }
                }
            }
        };
        let stdout = child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Unpin + Send>);
        let stderr = child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Unpin + Send>);
        tokio::join!(
            forward(stdout, Stream::Stdout),
            forward(stderr, Stream::Stderr)
        );
        let status = child.wait().await.map_err(|source| BackendError::Spawn {
            program: self.program.display().to_string(),
            source,
        })?;
        Ok(status.code().map_or(-1, i64::from))
    }

    /// Runs podman in the foreground with the terminal: stdin, stdout and stderr are
    /// sidepod's, and it stays in sidepod's process group so that it can use the terminal
    /// (a background process group could not read from it). Returns podman's exit code,
    /// which for `run` and `exec` is the command's.
    async fn foreground(&self, args: Vec<String>) -> Result<i64, BackendError> {
        tracing::debug!("podman {}", shell_join(&args));
        let status = Command::new(&self.program)
            .args(&args)
            .status()
            .await
            .map_err(|source| BackendError::Spawn {
                program: self.program.display().to_string(),
                source,
            })?;
        Ok(status.code().map_or_else(
            || 128 + i64::from(std::os::unix::process::ExitStatusExt::signal(&status).unwrap_or(0)),
            i64::from,
        ))
    }

    async fn call_json<T: for<'de> Deserialize<'de>>(
        &self,
        args: Vec<String>,
    ) -> Result<T, BackendError> {
        let out = self.call(args.clone()).await?;
        let text = if out.trim().is_empty() {
            "[]"
        } else {
            out.trim()
        };
        serde_json::from_str(text).map_err(|e| BackendError::Output {
            argv: argv(&args),
            message: e.to_string(),
        })
    }
}

/// What `podman info` says of the host, as far as `sidepod doctor` reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostInfo {
    pub version: String,
    pub rootless: bool,
    pub runtime: String,
    pub cgroup_version: String,
    pub cgroup_manager: String,
    pub storage_driver: String,
    pub network_backend: String,
}

impl HostInfo {
    /// Reads `podman info --format json`; fields that a podman version lacks stay empty.
    pub fn parse(json: &str) -> Result<HostInfo, serde_json::Error> {
        let v: serde_json::Value = serde_json::from_str(json)?;
        let text = |path: &[&str]| {
            path.iter()
                .try_fold(&v, |v, key| v.get(key))
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string()
        };
        Ok(HostInfo {
            version: text(&["version", "Version"]),
            rootless: v
                .pointer("/host/security/rootless")
                .and_then(serde_json::Value::as_bool)
                .unwrap_or(false),
            runtime: text(&["host", "ociRuntime", "name"]),
            cgroup_version: text(&["host", "cgroupVersion"]),
            cgroup_manager: text(&["host", "cgroupManager"]),
            storage_driver: text(&["store", "graphDriverName"]),
            network_backend: text(&["host", "networkBackend"]),
        })
    }
}

/// Probes of the host for `sidepod doctor`: they need no image and leave nothing behind.
impl PodmanBackend {
    pub fn program(&self) -> &Path {
        &self.program
    }

    pub async fn host_info(&self) -> Result<HostInfo, BackendError> {
        let args = strings(["info", "--format", "json"]);
        let out = self.call(args.clone()).await?;
        HostInfo::parse(&out).map_err(|e| BackendError::Output {
            argv: argv(&args),
            message: e.to_string(),
        })
    }

    /// Starts a container on `rootfs` (an empty directory) whose command does not exist:
    /// podman and the OCI runtime set the whole container up, and only the final exec
    /// fails, with exit code 127. Any other failure is the host's.
    pub async fn probe_container(&self, rootfs: &Path) -> Result<(), BackendError> {
        let args = vec![
            "run".to_string(),
            "--rm".into(),
            "--network".into(),
            "none".into(),
            "--rootfs".into(),
            rootfs.display().to_string(),
            PROBE_COMMAND.into(),
        ];
        let (status, _, stderr) = self.call_status(args.clone()).await?;
        if status == Some(127) && stderr.contains(PROBE_COMMAND) {
            return Ok(());
        }
        Err(BackendError::Command {
            argv: argv(&args),
            status,
            stderr,
        })
    }

    /// Creates and starts a pod named `name` that publishes `port` on 127.0.0.1 (its infra
    /// container sets up the pod's network, rootless or not), then removes it.
    pub async fn probe_pod(&self, name: &str, port: u16) -> Result<(), BackendError> {
        let create = vec![
            "pod".to_string(),
            "create".into(),
            "--name".into(),
            name.into(),
            "--label".into(),
            "io.sidepod.doctor=true".into(),
            "-p".into(),
            format!("127.0.0.1:{port}:{port}/tcp"),
        ];
        self.call(create).await?;
        let started = self
            .call(vec!["pod".into(), "start".into(), name.into()])
            .await;
        let removed = self.call(pod_remove_args(name, Duration::ZERO)).await;
        started.and(removed).map(drop)
    }
}

/// The command `probe_container` runs, which no empty root has.
const PROBE_COMMAND: &str = "/sidepod-doctor-probe";

/// A removal that found nothing left to remove.
fn is_already_gone(stderr: &str) -> bool {
    stderr.contains("no such pod") || stderr.contains("no such container")
}

/// A podman call's exit status as a result: a failure keeps argv, status and stderr.
fn succeeded(args: &[String], status: Option<i32>, stderr: String) -> Result<(), BackendError> {
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

fn argv(args: &[String]) -> Vec<String> {
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

fn strings<const N: usize>(items: [&str; N]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn seconds(d: Duration) -> String {
    // podman takes whole seconds; round up so a grace period is never shortened.
    d.as_secs_f64().ceil().to_string()
}

fn label_args(labels: &BTreeMap<String, String>) -> Vec<String> {
    labels
        .iter()
        .flat_map(|(k, v)| ["--label".to_string(), format!("{k}={v}")])
        .collect()
}

fn port_arg(p: &Port) -> String {
    let mut s = String::new();
    if let Some(ip) = &p.host_ip {
        if ip.contains(':') {
            s.push_str(&format!("[{ip}]:"));
        } else {
            s.push_str(&format!("{ip}:"));
        }
        if p.published.is_none() {
            s.push(':');
        }
    }
    if let Some(published) = p.published {
        s.push_str(&format!("{published}:"));
    }
    s.push_str(&format!("{}/{}", p.target, p.protocol.as_str()));
    s
}

/// `podman pod create` for a project's pod.
pub fn pod_create_args(spec: &PodSpec) -> Vec<String> {
    let mut a = strings(["pod", "create", "--name"]);
    a.push(spec.name.clone());
    a.extend(label_args(&spec.labels));
    let host_network = matches!(spec.network_mode, Some(NetworkMode::Host));
    match &spec.network_mode {
        Some(NetworkMode::Host) => a.extend(strings(["--network", "host"])),
        Some(NetworkMode::None) => a.extend(strings(["--network", "none"])),
        _ => {}
    }
    if !host_network {
        for h in &spec.hosts {
            a.push("--add-host".into());
            a.push(format!("{}:{}", h.host, h.ip));
        }
        for p in &spec.ports {
            a.push("-p".into());
            a.push(port_arg(p));
        }
        for (flag, values) in [
            ("--dns", &spec.dns.servers),
            ("--dns-search", &spec.dns.search),
            ("--dns-option", &spec.dns.options),
        ] {
            for v in values {
                a.push(flag.into());
                a.push(v.clone());
            }
        }
    }
    a
}

fn health_cmd(test: &HealthTest) -> String {
    match test {
        // podman reads a JSON array as the exec form, *without* the CMD keyword.
        HealthTest::Cmd(argv) => serde_json::to_string(argv).unwrap_or_default(),
        HealthTest::Shell(cmd) => cmd.clone(),
    }
}

fn restart_arg(r: RestartPolicy) -> String {
    r.to_string()
}

/// `podman run -d` for one container of a service.
pub fn run_args(spec: &ContainerSpec) -> Vec<String> {
    container_args(strings(["run", "-d"]), spec)
}

/// `podman run` of a one-off container in the foreground.
pub fn run_foreground_args(spec: &ContainerSpec, remove: bool) -> Vec<String> {
    let head = if remove {
        strings(["run", "--rm"])
    } else {
        strings(["run"])
    };
    container_args(head, spec)
}

pub fn exec_args(spec: &ExecSpec) -> Vec<String> {
    let mut a = strings(["exec"]);
    if spec.interactive {
        a.push("--interactive".into());
    }
    if spec.tty {
        a.push("--tty".into());
    }
    for (k, v) in &spec.env {
        a.push("--env".into());
        a.push(format!("{k}={v}"));
    }
    if let Some(w) = &spec.workdir {
        a.push("--workdir".into());
        a.push(w.clone());
    }
    if let Some(u) = &spec.user {
        a.push("--user".into());
        a.push(u.clone());
    }
    a.push(spec.container.clone());
    a.extend(spec.command.iter().cloned());
    a
}

fn container_args(mut a: Vec<String>, spec: &ContainerSpec) -> Vec<String> {
    a.push("--pod".into());
    a.push(spec.pod.clone());
    a.push("--name".into());
    a.push(spec.name.clone());
    a.extend(label_args(&spec.labels));
    for (k, v) in &spec.env {
        a.push("--env".into());
        a.push(format!("{k}={v}"));
    }
    for m in &spec.mounts {
        match m {
            MountSpec::Volume {
                source,
                target,
                options,
            } => {
                a.push("--volume".into());
                if options.is_empty() {
                    a.push(format!("{source}:{target}"));
                } else {
                    a.push(format!("{source}:{target}:{}", options.join(",")));
                }
            }
            MountSpec::Anonymous { target } => {
                a.push("--volume".into());
                a.push(target.clone());
            }
            MountSpec::Tmpfs {
                target,
                size,
                read_only,
            } => {
                let mut m = format!("type=tmpfs,destination={target}");
                if let Some(s) = size {
                    m.push_str(&format!(",tmpfs-size={s}"));
                }
                if *read_only {
                    m.push_str(",ro=true");
                }
                a.push("--mount".into());
                a.push(m);
            }
        }
    }
    for t in &spec.tmpfs {
        a.push("--tmpfs".into());
        a.push(t.clone());
    }
    for v in &spec.volumes_from {
        a.push("--volumes-from".into());
        a.push(v.clone());
    }
    if let Some(w) = &spec.working_dir {
        a.push("--workdir".into());
        a.push(w.clone());
    }
    if let Some(u) = &spec.user {
        a.push("--user".into());
        a.push(u.clone());
    }
    if let Some(h) = &spec.health {
        a.push("--health-cmd".into());
        a.push(health_cmd(&h.test));
        // podman refuses intervals under a second; sidepod runs the checks itself anyway.
        let interval = h.interval.max(Duration::from_secs(1));
        a.extend([
            "--health-interval".to_string(),
            format_duration(interval),
            "--health-timeout".to_string(),
            format_duration(h.timeout.max(Duration::from_secs(1))),
            "--health-retries".to_string(),
            h.retries.to_string(),
            "--health-start-period".to_string(),
            format_duration(h.start_period),
        ]);
    }
    if spec.init {
        a.push("--init".into());
    }
    if let Some(s) = &spec.stop_signal {
        a.push("--stop-signal".into());
        a.push(s.clone());
    }
    if let Some(t) = spec.stop_timeout {
        a.push("--stop-timeout".into());
        a.push(seconds(t));
    }
    if spec.restart != RestartPolicy::No {
        a.push("--restart".into());
        a.push(restart_arg(spec.restart));
    }
    for c in &spec.cap_add {
        a.push("--cap-add".into());
        a.push(c.clone());
    }
    for c in &spec.cap_drop {
        a.push("--cap-drop".into());
        a.push(c.clone());
    }
    if spec.privileged {
        a.push("--privileged".into());
    }
    for d in &spec.devices {
        a.push("--device".into());
        a.push(d.clone());
    }
    if spec.read_only {
        a.push("--read-only".into());
    }
    if let Some(s) = spec.shm_size {
        a.push("--shm-size".into());
        a.push(s.to_string());
    }
    for (name, u) in &spec.ulimits {
        a.push("--ulimit".into());
        a.push(format!("{name}={}:{}", u.soft, u.hard));
    }
    runtime_args(&mut a, &spec.runtime);
    if spec.tty {
        a.push("--tty".into());
    }
    if spec.interactive {
        a.push("--interactive".into());
    }
    if let Some(e) = &spec.entrypoint {
        a.push("--entrypoint".into());
        a.push(match e.as_slice() {
            [] => String::new(),
            [one] => one.clone(),
            many => serde_json::to_string(many).unwrap_or_default(),
        });
    }
    a.push(spec.image.clone());
    if let Some(c) = &spec.command {
        a.extend(c.iter().cloned());
    }
    a
}

pub fn volume_create_args(spec: &VolumeSpec) -> Vec<String> {
    let mut a = strings(["volume", "create"]);
    a.extend(label_args(&spec.labels));
    if let Some(d) = &spec.driver {
        a.push("--driver".into());
        a.push(d.clone());
    }
    for (k, v) in &spec.driver_opts {
        a.push("--opt".into());
        a.push(format!("{k}={v}"));
    }
    a.push(spec.name.clone());
    a
}

pub fn build_args(spec: &BuildSpec) -> Vec<String> {
    let mut a = strings(["build", "--tag"]);
    a.push(spec.tag.clone());
    if let Some(f) = &spec.dockerfile {
        a.push("--file".into());
        // podman reads a relative --file from its working directory; Compose means the context.
        a.push(spec.context.join(f).to_string_lossy().into_owned());
    }
    if let Some(t) = &spec.target {
        a.push("--target".into());
        a.push(t.clone());
    }
    for (k, v) in &spec.args {
        a.push("--build-arg".into());
        a.push(format!("{k}={v}"));
    }
    a.extend(label_args(&spec.labels));
    if spec.no_cache {
        a.push("--no-cache".into());
    }
    if spec.pull {
        a.push("--pull".into());
    }
    a.push(spec.context.to_string_lossy().into_owned());
    a
}

pub fn logs_args(name: &str, opts: &LogOptions) -> Vec<String> {
    let mut a = strings(["logs"]);
    if opts.follow {
        a.push("--follow".into());
    }
    if let Some(n) = opts.tail {
        a.push("--tail".into());
        a.push(n.to_string());
    }
    if opts.timestamps {
        a.push("--timestamps".into());
    }
    if let Some(since) = &opts.since {
        a.push("--since".into());
        a.push(since.clone());
    }
    a.push(name.to_string());
    a
}

fn with_names(mut head: Vec<String>, names: &[String]) -> Vec<String> {
    head.extend(names.iter().cloned());
    head
}

pub fn stop_args(names: &[String], timeout: Option<Duration>) -> Vec<String> {
    let head = match timeout {
        Some(t) => vec!["stop".into(), "--time".into(), seconds(t)],
        None => strings(["stop"]),
    };
    with_names(head, names)
}

pub fn start_args(names: &[String]) -> Vec<String> {
    with_names(strings(["start"]), names)
}

pub fn restart_args(names: &[String], timeout: Option<Duration>) -> Vec<String> {
    let head = match timeout {
        Some(t) => vec!["restart".into(), "--time".into(), seconds(t)],
        None => strings(["restart"]),
    };
    with_names(head, names)
}

pub fn kill_args(names: &[String], signal: &str) -> Vec<String> {
    with_names(vec!["kill".into(), "--signal".into(), signal.into()], names)
}

/// Resource limits, security, logging and kernel settings, as `podman run` flags.
fn runtime_args(a: &mut Vec<String>, r: &RuntimeOptions) {
    let mut flag = |name: &str, value: String| {
        a.push(name.to_string());
        a.push(value);
    };
    if let Some(m) = r.memory {
        flag("--memory", m.to_string());
    }
    if let Some(m) = r.memory_reservation {
        flag("--memory-reservation", m.to_string());
    }
    if let Some(m) = r.memory_swap {
        flag("--memory-swap", m.to_string());
    }
    if let Some(c) = &r.cpus {
        flag("--cpus", c.clone());
    }
    if let Some(c) = r.cpu_shares {
        flag("--cpu-shares", c.to_string());
    }
    if let Some(c) = &r.cpuset {
        flag("--cpuset-cpus", c.clone());
    }
    if let Some(p) = r.pids_limit {
        flag("--pids-limit", p.to_string());
    }
    for o in &r.security_opt {
        flag("--security-opt", o.clone());
    }
    for g in &r.group_add {
        flag("--group-add", g.clone());
    }
    for (k, v) in &r.sysctls {
        flag("--sysctl", format!("{k}={v}"));
    }
    if let Some(d) = &r.log_driver {
        flag("--log-driver", d.clone());
    }
    for (k, v) in &r.log_options {
        flag("--log-opt", format!("{k}={v}"));
    }
    for (k, v) in &r.annotations {
        flag("--annotation", format!("{k}={v}"));
    }
    if let Some(o) = r.oom_score_adj {
        flag("--oom-score-adj", o.to_string());
    }
    if let Some(p) = &r.platform {
        flag("--platform", p.clone());
    }
    if r.oom_kill_disable {
        a.push("--oom-kill-disable".into());
    }
}

pub fn pause_args(names: &[String]) -> Vec<String> {
    with_names(strings(["pause"]), names)
}

pub fn unpause_args(names: &[String]) -> Vec<String> {
    with_names(strings(["unpause"]), names)
}

pub fn port_args(name: &str, port: u16, protocol: &str) -> Vec<String> {
    vec!["port".into(), name.into(), format!("{port}/{protocol}")]
}

pub fn top_args(name: &str) -> Vec<String> {
    vec!["top".into(), name.into()]
}

pub fn volume_remove_args(names: &[String]) -> Vec<String> {
    with_names(strings(["volume", "rm", "--force"]), names)
}

pub fn pull_args(image: &str) -> Vec<String> {
    vec!["pull".into(), "--quiet".into(), image.into()]
}

pub fn healthcheck_args(name: &str) -> Vec<String> {
    vec!["healthcheck".into(), "run".into(), name.into()]
}

pub fn remove_args(names: &[String], volumes: bool) -> Vec<String> {
    let mut head = strings(["rm", "--force"]);
    if volumes {
        head.push("--volumes".into());
    }
    with_names(head, names)
}

pub fn pod_remove_args(name: &str, timeout: Duration) -> Vec<String> {
    vec![
        "pod".into(),
        "rm".into(),
        "--force".into(),
        "--time".into(),
        seconds(timeout),
        name.into(),
    ]
}

// ---- JSON as podman writes it (4.x and 5.x; every field optional) -----------------------

#[derive(Deserialize, Default)]
#[serde(default)]
struct PsEntry {
    #[serde(rename = "Id")]
    id: String,
    #[serde(rename = "Names")]
    names: Vec<String>,
    #[serde(rename = "Labels")]
    labels: Option<BTreeMap<String, String>>,
    #[serde(rename = "State")]
    state: String,
    #[serde(rename = "Status")]
    status: String,
    #[serde(rename = "ExitCode")]
    exit_code: i64,
    #[serde(rename = "IsInfra")]
    is_infra: bool,
    #[serde(rename = "Image")]
    image: String,
    #[serde(rename = "Ports")]
    ports: Option<Vec<PsPort>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PsPort {
    host_ip: String,
    container_port: u32,
    host_port: u32,
    range: u32,
    protocol: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct InspectEntry {
    #[serde(rename = "Id")]
    id: String,
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "ImageName")]
    image_name: String,
    #[serde(rename = "RestartCount")]
    restart_count: u32,
    #[serde(rename = "State")]
    state: InspectState,
    #[serde(rename = "Config")]
    config: InspectConfig,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct InspectState {
    #[serde(rename = "Status")]
    status: String,
    #[serde(rename = "ExitCode")]
    exit_code: i64,
    // podman 4.x wrote `Healthcheck`, later versions `Health`: accept both.
    #[serde(rename = "Health")]
    health: Option<InspectHealth>,
    #[serde(rename = "Healthcheck")]
    healthcheck: Option<InspectHealth>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct InspectHealth {
    #[serde(rename = "Status")]
    status: String,
    #[serde(rename = "FailingStreak")]
    failing_streak: u32,
    #[serde(rename = "Log")]
    log: Option<Vec<InspectHealthLog>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct InspectHealthLog {
    #[serde(rename = "ExitCode")]
    exit_code: i64,
    #[serde(rename = "Output")]
    output: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct InspectConfig {
    #[serde(rename = "Labels")]
    labels: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PodEntry {
    #[serde(rename = "Id")]
    id: String,
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "Labels")]
    labels: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct VolumeEntry {
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "Labels")]
    labels: Option<BTreeMap<String, String>>,
}

fn ps_info(e: PsEntry) -> ContainerInfo {
    let ports = e
        .ports
        .unwrap_or_default()
        .iter()
        .map(|p| {
            let ip = if p.host_ip.is_empty() {
                "0.0.0.0"
            } else {
                &p.host_ip
            };
            let range = p.range.max(1);
            if range > 1 {
                format!(
                    "{ip}:{}-{}->{}-{}/{}",
                    p.host_port,
                    p.host_port + range - 1,
                    p.container_port,
                    p.container_port + range - 1,
                    p.protocol
                )
            } else {
                format!("{ip}:{}->{}/{}", p.host_port, p.container_port, p.protocol)
            }
        })
        .collect();
    ContainerInfo {
        id: e.id,
        name: e.names.into_iter().next().unwrap_or_default(),
        labels: e.labels.unwrap_or_default(),
        state: ContainerState::parse(&e.state),
        status: e.status,
        exit_code: e.exit_code,
        health: None,
        image: e.image,
        ports,
        restart_count: 0,
    }
}

fn inspect_info(e: InspectEntry) -> ContainerInfo {
    let health = e
        .state
        .health
        .or(e.state.healthcheck)
        .filter(|h| !h.status.is_empty())
        .map(|h| HealthState {
            status: h.status,
            failing_streak: h.failing_streak,
            log: h
                .log
                .unwrap_or_default()
                .into_iter()
                .map(|l| HealthLogEntry {
                    exit_code: l.exit_code,
                    output: l.output,
                })
                .collect(),
        });
    ContainerInfo {
        id: e.id,
        name: e.name,
        labels: e.config.labels.unwrap_or_default(),
        state: ContainerState::parse(&e.state.status),
        status: e.state.status,
        exit_code: e.state.exit_code,
        health,
        image: e.image_name,
        ports: Vec::new(),
        restart_count: e.restart_count,
    }
}

fn label_filter(label: &str, value: &str) -> String {
    if value.is_empty() {
        format!("label={label}")
    } else {
        format!("label={label}={value}")
    }
}

#[async_trait]
impl Backend for PodmanBackend {
    async fn version(&self) -> Result<String, BackendError> {
        let out = self
            .call(strings(["version", "--format", "{{.Client.Version}}"]))
            .await?;
        Ok(out.trim().to_string())
    }

    async fn pod_create(&self, spec: &PodSpec) -> Result<(), BackendError> {
        self.call(pod_create_args(spec)).await.map(drop)
    }

    async fn pods(&self, label: &str, value: &str) -> Result<Vec<PodInfo>, BackendError> {
        let args = vec![
            "pod".into(),
            "ps".into(),
            "--filter".into(),
            label_filter(label, value),
            "--format".into(),
            "json".into(),
        ];
        let entries: Vec<PodEntry> = self.call_json(args).await?;
        Ok(entries
            .into_iter()
            .map(|p| PodInfo {
                id: p.id,
                name: p.name,
                labels: p.labels.unwrap_or_default(),
            })
            .collect())
    }

    async fn pod_remove(&self, name: &str, timeout: Duration) -> Result<(), BackendError> {
        self.call_removal(pod_remove_args(name, timeout)).await
    }

    async fn run(&self, spec: &ContainerSpec) -> Result<String, BackendError> {
        let args = run_args(spec);
        let (status, stdout, stderr) = self.call_status(args.clone()).await?;
        // Rootless podman on cgroups v1 starts the container without its limits.
        if status == Some(0) && stderr.contains("Resource limits are not supported and ignored") {
            tracing::warn!(
                "{}: resource limits are ignored by rootless podman on a cgroups v1 host",
                spec.name
            );
        }
        succeeded(&args, status, stderr).map(|()| stdout.trim().to_string())
    }

    async fn run_foreground(
        &self,
        spec: &ContainerSpec,
        remove: bool,
    ) -> Result<i64, BackendError> {
        self.foreground(run_foreground_args(spec, remove)).await
    }

    async fn exec(&self, spec: &ExecSpec) -> Result<i64, BackendError> {
        self.foreground(exec_args(spec)).await
    }

    async fn start(&self, names: &[String]) -> Result<(), BackendError> {
        self.call(start_args(names)).await.map(drop)
    }

    async fn restart(
        &self,
        names: &[String],
        timeout: Option<Duration>,
    ) -> Result<(), BackendError> {
        self.call(restart_args(names, timeout)).await.map(drop)
    }

    async fn stop(&self, names: &[String], timeout: Option<Duration>) -> Result<(), BackendError> {
        self.call(stop_args(names, timeout)).await.map(drop)
    }

    async fn kill(&self, names: &[String], signal: &str) -> Result<(), BackendError> {
        self.call(kill_args(names, signal)).await.map(drop)
    }

    async fn pause(&self, names: &[String]) -> Result<(), BackendError> {
        self.call(pause_args(names)).await.map(drop)
    }

    async fn unpause(&self, names: &[String]) -> Result<(), BackendError> {
        self.call(unpause_args(names)).await.map(drop)
    }

    async fn port(
        &self,
        name: &str,
        port: u16,
        protocol: &str,
    ) -> Result<Vec<String>, BackendError> {
        let out = self.call(port_args(name, port, protocol)).await?;
        Ok(out
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect())
    }

    async fn top(&self, name: &str) -> Result<String, BackendError> {
        self.call(top_args(name)).await
    }

    async fn remove(&self, names: &[String], volumes: bool) -> Result<(), BackendError> {
        self.call_removal(remove_args(names, volumes)).await
    }

    async fn containers(
        &self,
        label: &str,
        value: &str,
    ) -> Result<Vec<ContainerInfo>, BackendError> {
        let args = vec![
            "ps".into(),
            "--all".into(),
            "--filter".into(),
            label_filter(label, value),
            "--format".into(),
            "json".into(),
        ];
        let entries: Vec<PsEntry> = self.call_json(args).await?;
        Ok(entries
            .into_iter()
            .filter(|e| !e.is_infra)
            .map(ps_info)
            .collect())
    }

    async fn inspect(&self, names: &[String]) -> Result<Vec<ContainerInfo>, BackendError> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let entries: Vec<InspectEntry> = self
            .call_json(with_names(strings(["container", "inspect"]), names))
            .await?;
        Ok(entries.into_iter().map(inspect_info).collect())
    }

    async fn healthcheck_run(&self, name: &str) -> Result<HealthRun, BackendError> {
        let (status, stdout, stderr) = self.call_status(healthcheck_args(name)).await?;
        Ok(match status {
            Some(0) => HealthRun::Healthy,
            Some(1) if stdout.contains("unhealthy") || stderr.is_empty() => HealthRun::Unhealthy,
            _ => HealthRun::Error(if stderr.is_empty() {
                stdout.trim().to_string()
            } else {
                stderr
            }),
        })
    }

    async fn wait(&self, name: &str) -> Result<i64, BackendError> {
        let args = vec!["wait".to_string(), name.to_string()];
        let out = self.call(args.clone()).await?;
        out.trim().parse().map_err(|_| BackendError::Output {
            argv: argv(&args),
            message: format!("expected an exit code, got {:?}", out.trim()),
        })
    }

    async fn logs(
        &self,
        name: &str,
        opts: &LogOptions,
        sink: mpsc::Sender<LogLine>,
    ) -> Result<(), BackendError> {
        self.stream(logs_args(name, opts), name, sink)
            .await
            .map(drop)
    }

    async fn exec_stream(
        &self,
        spec: &ExecSpec,
        sink: mpsc::Sender<LogLine>,
    ) -> Result<i64, BackendError> {
        self.stream(exec_args(spec), &spec.container, sink).await
    }

    async fn volume_create(&self, spec: &VolumeSpec) -> Result<(), BackendError> {
        self.call(volume_create_args(spec)).await.map(drop)
    }

    async fn volumes(&self, label: &str, value: &str) -> Result<Vec<VolumeInfo>, BackendError> {
        let args = vec![
            "volume".into(),
            "ls".into(),
            "--filter".into(),
            label_filter(label, value),
            "--format".into(),
            "json".into(),
        ];
        let entries: Vec<VolumeEntry> = self.call_json(args).await?;
        Ok(entries
            .into_iter()
            .map(|v| VolumeInfo {
                name: v.name,
                labels: v.labels.unwrap_or_default(),
            })
            .collect())
    }

    async fn volume_exists(&self, name: &str) -> Result<bool, BackendError> {
        let (status, _, _) = self
            .call_status(vec!["volume".into(), "exists".into(), name.into()])
            .await?;
        Ok(status == Some(0))
    }

    async fn volume_remove(&self, names: &[String]) -> Result<(), BackendError> {
        if names.is_empty() {
            return Ok(());
        }
        self.call(volume_remove_args(names)).await.map(drop)
    }

    async fn image_exists(&self, image: &str) -> Result<bool, BackendError> {
        let (status, _, _) = self
            .call_status(vec!["image".into(), "exists".into(), image.into()])
            .await?;
        Ok(status == Some(0))
    }

    async fn pull(&self, image: &str) -> Result<(), BackendError> {
        self.call(pull_args(image)).await.map(drop)
    }

    async fn build(&self, spec: &BuildSpec) -> Result<(), BackendError> {
        self.call(build_args(spec)).await.map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{PortRange, Protocol};

    #[test]
    fn pod_create_publishes_ports_and_hosts() {
        let spec = PodSpec {
            name: "shop".into(),
            hosts: vec![HostEntry {
                host: "db".into(),
                ip: "127.0.0.1".into(),
            }],
            ports: vec![
                Port {
                    target: 80,
                    published: Some(PortRange::single(8080)),
                    host_ip: None,
                    protocol: Protocol::Tcp,
                },
                Port {
                    target: 53,
                    published: None,
                    host_ip: Some("127.0.0.1".into()),
                    protocol: Protocol::Udp,
                },
            ],
            network_mode: None,
            dns: crate::model::Dns {
                servers: vec!["10.0.0.53".into()],
                search: vec!["corp.example".into()],
                options: vec!["ndots:2".into()],
            },
            labels: [("io.sidepod.project".to_string(), "shop".to_string())].into(),
        };
        assert_eq!(
            shell_join(&pod_create_args(&spec)),
            "pod create --name shop --label io.sidepod.project=shop --add-host db:127.0.0.1 \
             -p 8080:80/tcp -p 127.0.0.1::53/udp --dns 10.0.0.53 --dns-search corp.example \
             --dns-option ndots:2"
        );
    }

    #[test]
    fn host_network_pods_publish_nothing() {
        let spec = PodSpec {
            name: "p".into(),
            hosts: vec![HostEntry {
                host: "db".into(),
                ip: "127.0.0.1".into(),
            }],
            ports: vec![],
            network_mode: Some(NetworkMode::Host),
            dns: Default::default(),
            labels: BTreeMap::new(),
        };
        assert_eq!(
            shell_join(&pod_create_args(&spec)),
            "pod create --name p --network host"
        );
    }

    #[test]
    fn run_args_carry_every_setting() {
        let spec = ContainerSpec {
            name: "shop-db-1".into(),
            pod: "shop".into(),
            image: "postgres:16".into(),
            command: Some(vec!["postgres".into(), "-c".into(), "fsync=off".into()]),
            env: [("A".to_string(), "1 2".to_string())].into(),
            mounts: vec![
                MountSpec::Volume {
                    source: "shop_pg".into(),
                    target: "/var/lib/pg".into(),
                    options: vec![],
                },
                MountSpec::Volume {
                    source: "/src".into(),
                    target: "/src".into(),
                    options: vec!["ro".into(), "z".into()],
                },
                MountSpec::Anonymous {
                    target: "/cache".into(),
                },
                MountSpec::Tmpfs {
                    target: "/run".into(),
                    size: Some(1024),
                    read_only: false,
                },
            ],
            health: Some(HealthSpec {
                test: HealthTest::Cmd(vec!["pg_isready".into(), "-U".into(), "postgres".into()]),
                interval: Duration::from_millis(500),
                timeout: Duration::from_secs(2),
                retries: 5,
                start_period: Duration::ZERO,
            }),
            init: true,
            stop_signal: Some("SIGINT".into()),
            stop_timeout: Some(Duration::from_millis(2500)),
            restart: RestartPolicy::OnFailure(Some(3)),
            entrypoint: Some(vec!["/bin/sh".into(), "-c".into()]),
            ..ContainerSpec::default()
        };
        assert_eq!(
            shell_join(&run_args(&spec)),
            "run -d --pod shop --name shop-db-1 --env 'A=1 2' --volume shop_pg:/var/lib/pg \
             --volume /src:/src:ro,z --volume /cache --mount type=tmpfs,destination=/run,tmpfs-size=1024 \
             --health-cmd '[\"pg_isready\",\"-U\",\"postgres\"]' --health-interval 1s --health-timeout 2s \
             --health-retries 5 --health-start-period 0s --init --stop-signal SIGINT --stop-timeout 3 \
             --restart on-failure:3 --entrypoint '[\"/bin/sh\",\"-c\"]' postgres:16 postgres -c fsync=off"
        );
    }

    #[test]
    fn run_args_carry_resources_and_runtime_settings() {
        let spec = ContainerSpec {
            name: "shop-app-1".into(),
            pod: "shop".into(),
            image: "app".into(),
            runtime: RuntimeOptions {
                memory: Some(536870912),
                memory_reservation: Some(1024),
                memory_swap: Some(-1),
                cpus: Some("0.5".into()),
                cpu_shares: Some(512),
                cpuset: Some("0-1".into()),
                pids_limit: Some(100),
                security_opt: vec!["label=disable".into()],
                group_add: vec!["audio".into()],
                sysctls: [("net.core.somaxconn".to_string(), "1024".to_string())].into(),
                log_driver: Some("k8s-file".into()),
                log_options: [("max-size".to_string(), "1m".to_string())].into(),
                annotations: [("a".to_string(), "b".to_string())].into(),
                oom_score_adj: Some(-100),
                oom_kill_disable: true,
                platform: Some("linux/amd64".into()),
            },
            volumes_from: vec!["shop-data-1:ro".into()],
            ..ContainerSpec::default()
        };
        assert_eq!(
            shell_join(&run_args(&spec)),
            "run -d --pod shop --name shop-app-1 --volumes-from shop-data-1:ro --memory 536870912 --memory-reservation 1024 \
             --memory-swap -1 --cpus 0.5 --cpu-shares 512 --cpuset-cpus 0-1 --pids-limit 100 \
             --security-opt label=disable --group-add audio --sysctl net.core.somaxconn=1024 \
             --log-driver k8s-file --log-opt max-size=1m --annotation a=b --oom-score-adj -100 \
             --platform linux/amd64 --oom-kill-disable app"
        );
    }

    #[test]
    fn shell_healthchecks_are_plain_strings() {
        assert_eq!(
            health_cmd(&HealthTest::Shell("curl -f localhost".into())),
            "curl -f localhost"
        );
    }

    #[test]
    fn build_args_resolve_the_containerfile_in_the_context() {
        let spec = BuildSpec {
            context: "/src/app".into(),
            dockerfile: Some("Containerfile.test".into()),
            tag: "localhost/shop-app".into(),
            args: [("V".to_string(), "1".to_string())].into(),
            target: Some("test".into()),
            ..BuildSpec::default()
        };
        assert_eq!(
            shell_join(&build_args(&spec)),
            "build --tag localhost/shop-app --file /src/app/Containerfile.test --target test --build-arg V=1 /src/app"
        );
    }

    #[test]
    fn ps_json_is_read_defensively() {
        let json = r#"[{"Id":"abc","Names":["shop-db-1"],"Labels":{"io.sidepod.service":"db"},
            "State":"running","Status":"Up 2 seconds","ExitCode":0,"IsInfra":false,
            "Ports":[{"host_ip":"","container_port":5432,"host_port":15432,"range":1,"protocol":"tcp"}]},
            {"Id":"def","Names":["x-infra"],"IsInfra":true,"Labels":null}]"#;
        let entries: Vec<PsEntry> = serde_json::from_str(json).unwrap();
        let infos: Vec<ContainerInfo> = entries
            .into_iter()
            .filter(|e| !e.is_infra)
            .map(ps_info)
            .collect();
        assert_eq!(infos.len(), 1);
        assert_eq!(infos[0].name, "shop-db-1");
        assert_eq!(infos[0].state, ContainerState::Running);
        assert_eq!(infos[0].ports, ["0.0.0.0:15432->5432/tcp"]);
        assert_eq!(infos[0].label("io.sidepod.service"), Some("db"));
    }

    #[test]
    fn inspect_json_accepts_health_and_healthcheck() {
        for key in ["Health", "Healthcheck"] {
            let json = format!(
                r#"[{{"Id":"a","Name":"c","State":{{"Status":"running","ExitCode":0,
                "{key}":{{"Status":"unhealthy","FailingStreak":3,"Log":[{{"ExitCode":1,"Output":"no"}}]}}}},
                "Config":{{"Labels":null}}}}]"#
            );
            let entries: Vec<InspectEntry> = serde_json::from_str(&json).unwrap();
            let info = inspect_info(entries.into_iter().next().unwrap());
            let health = info.health.unwrap();
            assert_eq!(
                (health.status.as_str(), health.failing_streak),
                ("unhealthy", 3)
            );
            assert_eq!(health.log[0].output, "no");
        }
    }

    #[test]
    fn systemd_noise_is_dropped_from_stderr() {
        let stderr = "time=\"x\" level=error msg=\"unable to get systemd connection to add healthchecks\"\nError: no such container";
        assert_eq!(clean_stderr(stderr), "Error: no such container");
    }

    /// A stand-in podman that fails its first `fail_times` calls with `stderr`, then
    /// succeeds (or fails with `then`); it counts its calls in a file.
    fn flaky_podman(dir: &Path, fail_times: u32, stderr: &str, then: &str) -> PodmanBackend {
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
        PodmanBackend::locate(Some(&script)).unwrap()
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

    #[tokio::test]
    async fn removals_are_retried_when_podman_trips_over_a_busy_mount() {
        let dir = tempfile::tempdir().unwrap();
        let podman = flaky_podman(dir.path(), 2, BUSY, "exit 0");
        podman.pod_remove("shop", Duration::ZERO).await.unwrap();
        assert_eq!(calls(dir.path()), "3");

        // A retry that finds the pod already gone has nothing left to do.
        let dir = tempfile::tempdir().unwrap();
        let podman = flaky_podman(
            dir.path(),
            1,
            BUSY,
            "echo 'Error: no such pod shop' >&2; exit 1",
        );
        podman.pod_remove("shop", Duration::ZERO).await.unwrap();
        assert_eq!(calls(dir.path()), "2");

        // Other failures are not retried.
        let dir = tempfile::tempdir().unwrap();
        let podman = flaky_podman(dir.path(), 1, "Error: no such container x", "exit 0");
        let err = podman.remove(&["x".into()], false).await.unwrap_err();
        assert!(err.to_string().contains("no such container x"), "{err}");
        assert_eq!(calls(dir.path()), "1");
    }
}
