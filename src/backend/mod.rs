//! The `Backend` trait: a narrow, verb-shaped vocabulary for driving containers, and the
//! value types it speaks in. `PodmanBackend` implements it with the podman CLI; the
//! recording `FakeBackend` stands in for it in engine unit tests.

mod error;
#[cfg(test)]
pub mod fake;
pub mod podman;
mod quote;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::mpsc;

pub use error::{diagnose, is_already_gone, BackendError, HostFix, INSTALL_PODMAN};
#[cfg(test)]
pub use fake::{Call, FakeBackend};
pub use podman::{HostInfo, PodmanBackend};
pub use quote::{shell_join, shell_quote};

use crate::model::{
    Dns, HealthTest, Healthcheck, HostEntry, NetworkMode, Port, RestartPolicy, RuntimeOptions,
    Ulimit,
};

/// A pod to create: the shared network namespace of a project. The plan makes one;
/// `plan::pod_spec` adds the labels that tell when it must be recreated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodSpec {
    pub name: String,
    pub hosts: Vec<HostEntry>,
    pub ports: Vec<Port>,
    pub network_mode: Option<NetworkMode>,
    pub dns: Dns,
    pub labels: BTreeMap<String, String>,
    /// The user namespace of every container in it (`userns_mode`).
    pub userns: Option<String>,
}

/// A network of the project, for bridge mode.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NetworkSpec {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub internal: bool,
    pub driver: Option<String>,
    pub options: BTreeMap<String, String>,
    pub ipv6: bool,
    pub ipam_driver: Option<String>,
    pub pools: Vec<crate::model::AddressPool>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkInfo {
    pub name: String,
    pub labels: BTreeMap<String, String>,
}

/// How a container joins in bridge mode, instead of joining a pod.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NetworkAttach {
    /// The podman networks it joins, each with `aliases`, when `mode` is none.
    pub networks: Vec<String>,
    /// A network's interface options (`ip=`, `ip6=`, `mac=`, `interface_name=`).
    pub interfaces: BTreeMap<String, Vec<String>>,
    pub aliases: Vec<String>,
    /// `host`, `none`, `bridge` or `container:NAME`: instead of `networks`.
    pub mode: Option<String>,
    pub ports: Vec<Port>,
    pub hostname: Option<String>,
    pub hosts: Vec<HostEntry>,
    pub dns: Dns,
}

/// A mount as podman takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MountSpec {
    /// A host path or a named volume (its full podman name), with options (`ro`, `z`, ...).
    Volume {
        source: String,
        target: String,
        options: Vec<String>,
    },
    /// An anonymous volume at `target`.
    Anonymous { target: String },
    /// A file with this text, read-only at `target` (a secret's or config's `content`
    /// or `environment`); the backend writes it where the container can read it.
    Content {
        text: String,
        target: String,
        /// The file's mode; 0444 when not given.
        mode: Option<u32>,
    },
    /// A podman secret that already exists, at `target`.
    Secret { name: String, target: String },
    /// An image's file system (or a path in it), read-only at `target`.
    Image {
        image: String,
        subpath: Option<String>,
        target: String,
    },
    Tmpfs {
        target: String,
        size: Option<u64>,
        read_only: bool,
    },
}

impl MountSpec {
    /// Where it is mounted in the container.
    pub fn target(&self) -> &str {
        match self {
            MountSpec::Volume { target, .. }
            | MountSpec::Anonymous { target }
            | MountSpec::Content { target, .. }
            | MountSpec::Secret { target, .. }
            | MountSpec::Image { target, .. }
            | MountSpec::Tmpfs { target, .. } => target,
        }
    }
}

/// The healthcheck given to podman, so `podman ps` and `inspect` show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthSpec {
    pub test: HealthTest,
    pub interval: Duration,
    pub timeout: Duration,
    pub retries: u32,
    pub start_period: Duration,
}

/// A container to create in a pod.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContainerSpec {
    pub name: String,
    /// The pod it joins; empty in bridge mode, where `network` says how it joins.
    pub pod: String,
    pub network: Option<NetworkAttach>,
    pub image: String,
    pub command: Option<Vec<String>>,
    pub entrypoint: Option<Vec<String>>,
    pub env: BTreeMap<String, String>,
    pub labels: BTreeMap<String, String>,
    pub mounts: Vec<MountSpec>,
    pub tmpfs: Vec<String>,
    pub working_dir: Option<String>,
    pub user: Option<String>,
    pub health: Option<HealthSpec>,
    /// Not even the image's own healthcheck.
    pub no_healthcheck: bool,
    pub init: bool,
    pub stop_signal: Option<String>,
    pub stop_timeout: Option<Duration>,
    pub restart: RestartPolicy,
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
    pub privileged: bool,
    pub devices: Vec<String>,
    pub read_only: bool,
    pub shm_size: Option<u64>,
    pub ulimits: BTreeMap<String, Ulimit>,
    pub tty: bool,
    pub interactive: bool,
    pub runtime: RuntimeOptions,
    /// Containers whose volumes it mounts too: `NAME` or `NAME:ro`.
    pub volumes_from: Vec<String>,
}

/// A command to run in a running container, in the foreground.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExecSpec {
    pub container: String,
    pub command: Vec<String>,
    pub env: BTreeMap<String, String>,
    pub workdir: Option<String>,
    pub user: Option<String>,
    pub tty: bool,
    pub interactive: bool,
    pub privileged: bool,
    /// Start the command and return (`exec -d`).
    pub detach: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VolumeSpec {
    pub name: String,
    pub driver: Option<String>,
    pub driver_opts: BTreeMap<String, String>,
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BuildSpec {
    /// A directory, or a URL podman fetches.
    pub context: PathBuf,
    pub dockerfile: Option<String>,
    /// The Dockerfile's text; the backend writes it to a file.
    pub dockerfile_inline: Option<String>,
    pub tag: String,
    /// More names for the image.
    pub tags: Vec<String>,
    pub args: BTreeMap<String, String>,
    pub target: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub no_cache: bool,
    pub pull: bool,
    pub platforms: Vec<String>,
    pub secrets: Vec<BuildSecret>,
    /// `id` or `id=path` (`default`: the SSH agent).
    pub ssh: Vec<String>,
    /// `name=value` named contexts.
    pub build_contexts: Vec<String>,
    pub cache_from: Vec<String>,
    pub cache_to: Vec<String>,
    pub network: Option<String>,
    /// `host:ip`.
    pub add_hosts: Vec<String>,
    pub shm_size: Option<u64>,
    /// `name=soft:hard`.
    pub ulimits: Vec<String>,
}

/// A secret a build may read (`RUN --mount=type=secret,id=ID`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildSecret {
    File { id: String, path: String },
    Env { id: String, var: String },
}

/// What a container is doing, from podman's state string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerState {
    Created,
    Running,
    Paused,
    Exited,
    Other,
}

impl ContainerState {
    pub fn parse(s: &str) -> Self {
        match s.to_ascii_lowercase().as_str() {
            "created" | "configured" | "initialized" => ContainerState::Created,
            "running" => ContainerState::Running,
            "paused" => ContainerState::Paused,
            "exited" | "stopped" => ContainerState::Exited,
            _ => ContainerState::Other,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ContainerState::Created => "created",
            ContainerState::Running => "running",
            ContainerState::Paused => "paused",
            ContainerState::Exited => "exited",
            ContainerState::Other => "unknown",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HealthLogEntry {
    pub exit_code: i64,
    pub output: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HealthState {
    /// `starting`, `healthy` or `unhealthy`, as podman last recorded it.
    pub status: String,
    pub failing_streak: u32,
    pub log: Vec<HealthLogEntry>,
}

/// One container as sidepod sees it (from `podman inspect` or `podman ps`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerInfo {
    pub id: String,
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub state: ContainerState,
    /// podman's human status (`Up 3 seconds`, `Exited (1) 2 seconds ago`).
    pub status: String,
    pub exit_code: i64,
    pub health: Option<HealthState>,
    pub image: String,
    pub ports: Vec<String>,
    /// How often podman restarted it under its restart policy (from inspect).
    pub restart_count: u32,
    /// The healthcheck it was created with: the file's, or its image's own (from inspect).
    pub healthcheck: Option<Healthcheck>,
    /// The TCP ports its image EXPOSEs (from inspect).
    pub exposed: Vec<u16>,
    /// Its main process on the host, while it runs (from inspect).
    pub pid: Option<u32>,
}

impl ContainerInfo {
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels.get(key).map(String::as_str)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodInfo {
    pub id: String,
    pub name: String,
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeInfo {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    /// When it was created, in seconds since the epoch, when podman says.
    pub created: Option<i64>,
}

/// The outcome of one `podman healthcheck run`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HealthRun {
    Healthy,
    Unhealthy,
    /// The check could not run (the container is not running, ...).
    Error(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// A podman command that takes the terminal, for one of the project's containers or
/// images: its output is the user's, as docker compose's is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Passthrough {
    /// `attach`: the container's output, and its input unless `no_stdin`.
    Attach {
        container: String,
        no_stdin: bool,
        sig_proxy: bool,
        detach_keys: Option<String>,
    },
    /// `stats`: CPU, memory and I/O, live or (`no_stream`) once.
    Stats {
        containers: Vec<String>,
        no_stream: bool,
        json: bool,
    },
    /// `export`: the file system as a tar archive, to `output` or stdout.
    Export {
        container: String,
        output: Option<PathBuf>,
    },
    /// `push`: an image to its registry.
    Push { image: String, quiet: bool },
}

/// A container event, as podman reports it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContainerEvent {
    /// RFC 3339, with fractions of a second.
    pub time: String,
    /// `create`, `start`, `died`, ...
    pub action: String,
    pub id: String,
    pub name: String,
    pub image: String,
    /// The container's labels, and what else podman attaches.
    pub attributes: BTreeMap<String, String>,
    /// Of a `died` event: the exit code (podman leaves out a 0).
    pub exit_code: Option<i64>,
}

/// One line of a container's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub container: String,
    pub stream: Stream,
    pub text: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogOptions {
    pub follow: bool,
    pub tail: Option<usize>,
    pub timestamps: bool,
    /// Only lines written since then (a timestamp, or a duration ago: `10m`).
    pub since: Option<String>,
    /// Only lines written before then.
    pub until: Option<String>,
}

/// The verbs sidepod drives containers with.
#[async_trait]
pub trait Backend: Send + Sync {
    /// True when calls are only printed (`--dry-run`): the engine then works through
    /// services one by one, in plan order, so the printed commands are the same every time.
    fn prints_only(&self) -> bool {
        false
    }

    /// Checks that the backend works; returns its version.
    async fn version(&self) -> Result<String, BackendError>;

    /// Creates the pod; `pod_start` makes it ready for containers to join.
    async fn pod_create(&self, spec: &PodSpec) -> Result<(), BackendError>;
    /// Starts the pod's infra container.
    async fn pod_start(&self, name: &str) -> Result<(), BackendError>;
    /// The pods carrying `label=value` (any value when `value` is empty).
    async fn pods(&self, label: &str, value: &str) -> Result<Vec<PodInfo>, BackendError>;
    /// Stops a pod: its containers, and its infra container, which holds the published
    /// ports.
    async fn pod_stop(&self, name: &str, timeout: Duration) -> Result<(), BackendError>;
    /// Removes a pod and every container in it, stopping them within `timeout`.
    async fn pod_remove(&self, name: &str, timeout: Duration) -> Result<(), BackendError>;

    /// Creates and starts a container; returns its ID.
    async fn run(&self, spec: &ContainerSpec) -> Result<String, BackendError>;
    /// Creates a container without starting it; returns its ID.
    async fn create(&self, spec: &ContainerSpec) -> Result<String, BackendError>;
    /// Runs a podman command that takes the terminal; returns its exit code.
    async fn passthrough(&self, what: &Passthrough) -> Result<i64, BackendError>;
    /// Sends the events of the containers carrying `label=value` to `sink` as they
    /// happen, until podman ends or the future is dropped.
    async fn events(
        &self,
        label: &str,
        value: &str,
        sink: mpsc::Sender<ContainerEvent>,
    ) -> Result<(), BackendError>;
    /// Runs a one-off container in the foreground, with the terminal attached (and
    /// removed afterwards with `remove`); returns its exit code.
    async fn run_foreground(&self, spec: &ContainerSpec, remove: bool)
        -> Result<i64, BackendError>;
    /// Runs a command in a running container in the foreground; returns its exit code.
    async fn exec(&self, spec: &ExecSpec) -> Result<i64, BackendError>;
    /// Runs a command in a running container with stdin closed, sending its output to
    /// `sink` line by line; returns its exit code. Dropping the future stops it.
    async fn exec_stream(
        &self,
        spec: &ExecSpec,
        sink: mpsc::Sender<LogLine>,
    ) -> Result<i64, BackendError>;
    async fn start(&self, names: &[String]) -> Result<(), BackendError>;
    async fn restart(
        &self,
        names: &[String],
        timeout: Option<Duration>,
    ) -> Result<(), BackendError>;
    /// Stops containers with their own stop signal, killing them after `timeout` (by
    /// default, each container's own grace period).
    async fn stop(&self, names: &[String], timeout: Option<Duration>) -> Result<(), BackendError>;
    /// The running ones of `containers` whose main process would sleep through its stop
    /// signal (a shell as PID 1), so that a grace period would only wait for the kill.
    /// Those it cannot tell about are left out.
    async fn ignoring_stop(&self, _containers: &[&ContainerInfo]) -> BTreeSet<String> {
        BTreeSet::new()
    }
    async fn kill(&self, names: &[String], signal: &str) -> Result<(), BackendError>;
    /// Freezes the processes of running containers (`unpause` thaws them).
    async fn pause(&self, names: &[String]) -> Result<(), BackendError>;
    async fn unpause(&self, names: &[String]) -> Result<(), BackendError>;
    /// The host addresses a container port is published on (`0.0.0.0:8080`).
    async fn port(
        &self,
        name: &str,
        port: u16,
        protocol: &str,
    ) -> Result<Vec<String>, BackendError>;
    /// The processes running in a container, as podman's table.
    async fn top(&self, name: &str) -> Result<String, BackendError>;
    /// Removes containers (and with `volumes`, their anonymous volumes), forcibly.
    async fn remove(&self, names: &[String], volumes: bool) -> Result<(), BackendError>;
    /// Removes containers at once: killed, not stopped first (a grace period of zero).
    async fn remove_now(&self, names: &[String], volumes: bool) -> Result<(), BackendError>;
    /// The containers carrying `label=value`, running or not (infra containers excluded).
    async fn containers(
        &self,
        label: &str,
        value: &str,
    ) -> Result<Vec<ContainerInfo>, BackendError>;
    /// `containers`, and in the same call the names of every container in podman's
    /// storage that podman itself does not know (a `podman run` that failed half-way
    /// leaves one, which holds its name until it is removed).
    async fn containers_and_leftovers(
        &self,
        label: &str,
        value: &str,
    ) -> Result<(Vec<ContainerInfo>, Vec<String>), BackendError>;
    /// Full state of many containers, in one call.
    async fn inspect(&self, names: &[String]) -> Result<Vec<ContainerInfo>, BackendError>;
    async fn healthcheck_run(&self, name: &str) -> Result<HealthRun, BackendError>;
    /// The TCP ports that accept connections in a running container's network namespace
    /// (the pod's).
    async fn listening(&self, name: &str) -> Result<Vec<u16>, BackendError>;
    /// Waits until the container exits; returns its exit code.
    /// Gives files under `dir` that containers wrote as other users back to the user
    /// sidepod runs as (rootless: the subordinate uids of the user namespace). Returns
    /// podman's complaint about files it could not give back, if any.
    async fn reclaim(&self, dir: &std::path::Path) -> Result<Option<String>, BackendError>;
    /// A GET request made inside the container's network namespace: the response's
    /// status, or `None` while nothing accepts the connection.
    async fn http_status(
        &self,
        name: &str,
        check: &crate::model::HttpCheck,
    ) -> Result<Option<u16>, BackendError>;
    async fn wait(&self, name: &str) -> Result<i64, BackendError>;
    /// Sends a container's output to `sink`, line by line, until it ends (or, with
    /// `follow`, until the container stops or the future is dropped).
    async fn logs(
        &self,
        name: &str,
        opts: &LogOptions,
        sink: mpsc::Sender<LogLine>,
    ) -> Result<(), BackendError>;
    /// `logs` of several containers from one podman process, each line with its
    /// container's name; with `follow`, until every one of them has stopped.
    async fn logs_many(
        &self,
        names: &[String],
        opts: &LogOptions,
        sink: mpsc::Sender<LogLine>,
    ) -> Result<(), BackendError>;

    async fn volume_create(&self, spec: &VolumeSpec) -> Result<(), BackendError>;
    async fn volumes(&self, label: &str, value: &str) -> Result<Vec<VolumeInfo>, BackendError>;
    async fn volume_exists(&self, name: &str) -> Result<bool, BackendError>;
    async fn volume_remove(&self, names: &[String]) -> Result<(), BackendError>;

    async fn network_create(&self, spec: &NetworkSpec) -> Result<(), BackendError>;
    /// The networks with this label value (any value when `value` is empty).
    async fn networks(&self, label: &str, value: &str) -> Result<Vec<NetworkInfo>, BackendError>;
    async fn network_remove(&self, names: &[String]) -> Result<(), BackendError>;

    async fn image_exists(&self, image: &str) -> Result<bool, BackendError>;
    /// The TCP ports an image EXPOSEs (podman 4's container inspect leaves them out for
    /// a container in a pod); none when the image is not here.
    async fn image_exposed(&self, image: &str) -> Result<Vec<u16>, BackendError>;
    async fn pull(&self, image: &str) -> Result<(), BackendError>;
    /// Pulls with a registry login, which never reaches a command line.
    async fn pull_with_auth(
        &self,
        image: &str,
        auth: &crate::model::RegistryAuth,
    ) -> Result<(), BackendError>;
    async fn build(&self, spec: &BuildSpec) -> Result<(), BackendError>;
    /// The ID of a local image; none when it is not here.
    async fn image_id(&self, image: &str) -> Result<Option<String>, BackendError>;
    /// Removes images by ID or name (an image still in use stays, and that is an error).
    async fn image_remove(&self, images: &[String]) -> Result<(), BackendError>;
    /// Copies the contents of host directory `source` into directory `dest` of a
    /// container (created when missing, as its parent exists), keeping the tree's shape.
    async fn copy_into(
        &self,
        container: &str,
        source: &std::path::Path,
        dest: &str,
    ) -> Result<(), BackendError>;
    /// `podman cp FROM TO`: each a host path or `CONTAINER:PATH`, as `sidepod cp` names
    /// them.
    async fn copy(&self, from: &str, to: &str) -> Result<(), BackendError>;
}
