//! One validated service: every Compose field in its single long form.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use super::WatchRule;

/// A validated service. Lists that Compose allows in two forms (environment, ports,
/// volumes, depends_on, ...) are held here in their one long form.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Service {
    pub name: String,
    pub image: Option<String>,
    pub build: Option<Build>,
    pub command: Option<Vec<String>>,
    pub entrypoint: Option<Vec<String>>,
    /// `None` means "take it from the environment at run time, or leave it unset".
    pub environment: BTreeMap<String, Option<String>>,
    pub ports: Vec<Port>,
    pub expose: Vec<ExposedPort>,
    pub volumes: Vec<Mount>,
    pub tmpfs: Vec<String>,
    pub working_dir: Option<String>,
    pub user: Option<String>,
    pub container_name: Option<String>,
    pub hostname: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub depends_on: BTreeMap<String, Dependency>,
    pub healthcheck: Option<Healthcheck>,
    /// `healthcheck: {disable: true}` (or test `NONE`): not even the image's own check.
    pub healthcheck_disabled: bool,
    /// What makes it ready instead of its healthcheck (`x-sidepod-wait`): all must pass.
    pub wait: Vec<super::WaitStrategy>,
    pub restart: RestartPolicy,
    pub init: bool,
    pub stop_signal: Option<String>,
    pub stop_grace_period: Option<Duration>,
    pub extra_hosts: Vec<HostEntry>,
    pub networks: BTreeMap<String, ServiceNetwork>,
    pub network_mode: Option<NetworkMode>,
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
    pub privileged: bool,
    pub devices: Vec<String>,
    pub read_only: bool,
    /// Bytes.
    pub shm_size: Option<u64>,
    pub ulimits: BTreeMap<String, Ulimit>,
    pub pull_policy: Option<PullPolicy>,
    pub profiles: Vec<String>,
    pub replicas: u32,
    pub tty: bool,
    pub stdin_open: bool,
    /// `links:` entries; each alias resolves to the pod like a service name.
    pub links: Vec<Link>,
    /// Resource limits, security, logging and kernel settings, for `podman run`.
    pub runtime: RuntimeOptions,
    /// Name servers, search domains and resolver options: the pod's, for every service.
    pub dns: Dns,
    /// Whose volumes it mounts too (`volumes_from`).
    pub volumes_from: Vec<VolumesFrom>,
    /// The secrets and configs it uses, each mounted read-only at its target.
    pub secrets: Vec<FileRef>,
    pub configs: Vec<FileRef>,
    /// Registry credentials its image is pulled with (a CI format's `credentials`,
    /// `auth`): kept off every command line and out of every message.
    pub registry_auth: Option<RegistryAuth>,
    /// Compose keys read and shown by `config` that sidepod does not apply (yet): a
    /// network's `interface_name`, ... Each is warned about once at load; `provider`
    /// and `models` make `up` refuse the service.
    pub unapplied: BTreeMap<String, serde_json::Value>,
    /// Lifecycle hooks: `pre_start` in a one-off container before the service's own,
    /// `post_start` in it once started, `pre_stop` in it before it is stopped.
    pub pre_start: Vec<Hook>,
    pub post_start: Vec<Hook>,
    pub pre_stop: Vec<Hook>,
    /// `develop.watch`: what `sidepod watch` does when a watched file changes.
    pub watch: Vec<WatchRule>,
}

/// A lifecycle hook: a command, with the user, privileges, directory and variables it
/// runs with (the container's own where it says none).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Hook {
    pub command: Vec<String>,
    pub user: Option<String>,
    pub privileged: bool,
    pub working_dir: Option<String>,
    pub environment: BTreeMap<String, String>,
    /// `pre_start`: the image of its one-off container (the service's when none).
    pub image: Option<String>,
    /// `pre_start`: run before each replica is created, not once for the service.
    pub per_replica: bool,
}

/// A registry login. Its `Debug` form leaves the password out.
#[derive(Clone, PartialEq, Eq)]
pub struct RegistryAuth {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for RegistryAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "RegistryAuth {{ username: {:?}, password: *** }}",
            self.username
        )
    }
}

impl RegistryAuth {
    /// The login as auth.json holds it: base64 of `username:password`.
    pub fn token(&self) -> String {
        const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let bytes = format!("{}:{}", self.username, self.password).into_bytes();
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(ABC[((n >> (18 - 6 * i)) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    /// The login an auth.json (a Docker config) `auth` token holds; `None` unless it is
    /// base64 of `username:password`.
    pub fn from_token(token: &str) -> Option<RegistryAuth> {
        let mut bits: u32 = 0;
        let mut count = 0;
        let mut bytes = Vec::new();
        for c in token.trim().trim_end_matches('=').bytes() {
            let v = match c {
                b'A'..=b'Z' => c - b'A',
                b'a'..=b'z' => c - b'a' + 26,
                b'0'..=b'9' => c - b'0' + 52,
                b'+' => 62,
                b'/' => 63,
                _ => return None,
            };
            bits = (bits << 6) | u32::from(v);
            count += 6;
            if count >= 8 {
                count -= 8;
                bytes.push((bits >> count) as u8);
                bits &= (1 << count) - 1;
            }
        }
        let text = String::from_utf8(bytes).ok()?;
        let (username, password) = text.split_once(':')?;
        Some(RegistryAuth {
            username: username.to_string(),
            password: password.to_string(),
        })
    }

    /// The registry an image is pulled from: its first path part when that names a
    /// host (a dot, a port, or `localhost`), else Docker Hub.
    pub fn registry_of(image: &str) -> String {
        match image.split_once('/') {
            Some((first, _))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                first.to_string()
            }
            _ => "docker.io".to_string(),
        }
    }
}

/// One `volumes_from` entry: another service's (its first container's) or a
/// container's volumes, mounted at the same places.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumesFrom {
    pub source: VolumesSource,
    pub read_only: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VolumesSource {
    Service(String),
    Container(String),
}

/// `dns`, `dns_search` and `dns_opt`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Dns {
    pub servers: Vec<String>,
    pub search: Vec<String>,
    pub options: Vec<String>,
}

impl Dns {
    pub fn is_empty(&self) -> bool {
        self.servers.is_empty() && self.search.is_empty() && self.options.is_empty()
    }
}

/// A service's use of a secret or config: which one, and where it is mounted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileRef {
    pub source: String,
    /// Absolute path in the container.
    pub target: String,
    /// The file's mode (`0440`), for a file sidepod writes (`content`, `environment`).
    pub mode: Option<u32>,
    /// `uid` and `gid` as given: kept for `config`; podman mounts the file as it is.
    pub owner: Option<(String, String)>,
}

/// Settings sidepod passes to `podman run` as they are: they mean nothing to the plan.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RuntimeOptions {
    /// Bytes (`mem_limit`, or `deploy.resources.limits.memory`).
    pub memory: Option<u64>,
    /// Bytes (`mem_reservation`, or `deploy.resources.reservations.memory`).
    pub memory_reservation: Option<u64>,
    /// Bytes of memory plus swap, or -1 for unlimited swap (`memswap_limit`).
    pub memory_swap: Option<i64>,
    /// As written (`0.5`, `2`): `cpus`, or `deploy.resources.limits.cpus`.
    pub cpus: Option<String>,
    pub cpu_shares: Option<u64>,
    pub cpuset: Option<String>,
    /// `pids_limit`, or `deploy.resources.limits.pids`; -1 for none.
    pub pids_limit: Option<i64>,
    pub security_opt: Vec<String>,
    pub group_add: Vec<String>,
    pub sysctls: BTreeMap<String, String>,
    pub log_driver: Option<String>,
    pub log_options: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub oom_score_adj: Option<i64>,
    pub oom_kill_disable: bool,
    pub platform: Option<String>,
    /// `ipc` and `pid`: `host`, `private`, `shareable`, `container:NAME`, or
    /// `service:NAME` (its first container's).
    pub ipc: Option<String>,
    pub pid: Option<String>,
    /// `userns_mode` (`keep-id`, `host`, `auto`, ...): the pod's when every service asks
    /// for the same, else each container's own in bridge mode.
    pub userns: Option<String>,
    /// `runtime`: the OCI runtime (`runc`, `crun`, ...).
    pub oci_runtime: Option<String>,
    /// `mac_address`: bridge mode only, where the container has an interface of its own.
    pub mac_address: Option<String>,
}

impl Service {
    /// The container-side ports this service listens on, from `ports` and `expose`.
    pub fn container_ports(&self) -> Vec<(u16, Protocol)> {
        let mut ports: Vec<(u16, Protocol)> = self
            .ports
            .iter()
            .map(|p| (p.target, p.protocol))
            .chain(self.expose.iter().map(|e| (e.port, e.protocol)))
            .collect();
        ports.sort();
        ports.dedup();
        ports
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub service: String,
    pub alias: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Build {
    /// Absolute path of the build context, or a remote context (a git or http(s) URL)
    /// as written.
    pub context: PathBuf,
    pub dockerfile: Option<String>,
    /// The Dockerfile's text, given in the Compose file instead of a file.
    pub dockerfile_inline: Option<String>,
    pub args: BTreeMap<String, Option<String>>,
    pub target: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub platforms: Vec<String>,
    /// Build secrets: the top-level secret (`source`) under its id (`target`).
    pub secrets: Vec<FileRef>,
    /// SSH agent sockets or keys by id (`default` alone: the agent).
    pub ssh: BTreeMap<String, Option<String>>,
    /// Named contexts (`--build-context`): a path, an image or a URL.
    pub additional_contexts: BTreeMap<String, String>,
    /// More names for the image.
    pub tags: Vec<String>,
    pub cache_from: Vec<String>,
    pub cache_to: Vec<String>,
    pub no_cache: bool,
    pub pull: bool,
    pub network: Option<String>,
    pub extra_hosts: Vec<HostEntry>,
    /// Bytes.
    pub shm_size: Option<u64>,
    pub ulimits: BTreeMap<String, Ulimit>,
    /// BuildKit's keys that podman build has no flag for (`privileged`,
    /// `entitlements`, `isolation`, `provenance`, `sbom`): shown by `config`, warned
    /// about, not applied.
    pub unapplied: BTreeMap<String, serde_json::Value>,
}

impl Build {
    /// True when the context is a git or http(s) URL, which podman fetches itself.
    pub fn remote(&self) -> bool {
        is_remote_context(&self.context.to_string_lossy())
    }
}

/// A build context podman fetches: a URL, or a git remote.
pub fn is_remote_context(context: &str) -> bool {
    context.contains("://") || context.starts_with("git@") || context.starts_with("github.com/")
}

/// A `cache_from`/`cache_to` entry as `podman build` takes it: a repository with its
/// registry and without tag or digest (`redis:7` is `docker.io/library/redis`), from an
/// image reference or BuildKit's `type=registry,ref=...`. Other BuildKit cache types
/// (`local`, `gha`, `s3`, `inline`, ...) have no podman equivalent: none.
pub fn podman_cache_ref(entry: &str) -> Option<String> {
    let reference = if entry.contains('=') {
        let fields: BTreeMap<&str, &str> =
            entry.split(',').filter_map(|f| f.split_once('=')).collect();
        if fields.get("type").copied().unwrap_or("registry") != "registry" {
            return None;
        }
        fields.get("ref")?.to_string()
    } else {
        entry.to_string()
    };
    let reference = reference.split('@').next().unwrap_or_default();
    let repository = match reference.rfind(':') {
        Some(i) if !reference[i..].contains('/') => &reference[..i],
        _ => reference,
    };
    if repository.is_empty() {
        return None;
    }
    let first = repository.split('/').next().unwrap_or_default();
    let has_registry = repository.contains('/')
        && (first.contains('.') || first.contains(':') || first == "localhost");
    Some(match (has_registry, repository.contains('/')) {
        (true, _) => repository.to_string(),
        (false, true) => format!("docker.io/{repository}"),
        (false, false) => format!("docker.io/library/{repository}"),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Protocol {
    #[default]
    Tcp,
    Udp,
    Sctp,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Sctp => "sctp",
        }
    }
}

/// A published (or merely declared) container port.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Port {
    pub target: u16,
    /// Host port; `None` lets podman choose one.
    pub published: Option<PortRange>,
    pub host_ip: Option<String>,
    pub protocol: Protocol,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PortRange {
    pub start: u16,
    pub end: u16,
}

impl PortRange {
    pub fn single(port: u16) -> Self {
        PortRange {
            start: port,
            end: port,
        }
    }

    /// How many ports it holds.
    pub fn count(&self) -> u32 {
        u32::from(self.end.saturating_sub(self.start)) + 1
    }

    /// Its `i`th port (from 0), as a range of one; the last port past its end.
    pub fn nth(&self, i: u32) -> PortRange {
        let port = u32::from(self.start) + i;
        PortRange::single(u16::try_from(port).unwrap_or(self.end).min(self.end))
    }

    pub fn overlaps(&self, other: &PortRange) -> bool {
        self.start <= other.end && other.start <= self.end
    }
}

impl std::fmt::Display for PortRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.start == self.end {
            write!(f, "{}", self.start)
        } else {
            write!(f, "{}-{}", self.start, self.end)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ExposedPort {
    pub port: u16,
    pub protocol: Protocol,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MountKind {
    /// A host path, absolute.
    Bind,
    /// A named volume (the key in the project's `volumes`), or anonymous when `source` is None.
    Volume,
    Tmpfs,
    /// An image's file system (`source` names the image), read-only; a `subpath=` option
    /// mounts one directory of it.
    Image,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    pub kind: MountKind,
    pub source: Option<String>,
    pub target: String,
    pub read_only: bool,
    /// Extra mount options podman understands (`z`, `Z`, `rprivate`, `nocopy`, ...).
    pub options: Vec<String>,
    /// For binds: create the host path when it is missing (Compose's default).
    pub create_host_path: bool,
    pub tmpfs_size: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Condition {
    Started,
    Healthy,
    CompletedSuccessfully,
}

impl Condition {
    pub fn as_str(self) -> &'static str {
        match self {
            Condition::Started => "service_started",
            Condition::Healthy => "service_healthy",
            Condition::CompletedSuccessfully => "service_completed_successfully",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency {
    pub condition: Condition,
    pub required: bool,
    pub restart: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HealthTest {
    /// `["CMD", ...]`: exec'd directly.
    Cmd(Vec<String>),
    /// `["CMD-SHELL", "..."]` or a plain string: run by `/bin/sh -c`.
    Shell(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Healthcheck {
    pub test: HealthTest,
    pub interval: Duration,
    pub timeout: Duration,
    pub retries: u32,
    pub start_period: Duration,
    pub start_interval: Duration,
}

impl Healthcheck {
    pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(30);
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
    pub const DEFAULT_RETRIES: u32 = 3;
    pub const DEFAULT_START_INTERVAL: Duration = Duration::from_secs(1);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RestartPolicy {
    #[default]
    No,
    Always,
    OnFailure(Option<u32>),
    UnlessStopped,
}

impl std::fmt::Display for RestartPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RestartPolicy::No => f.write_str("no"),
            RestartPolicy::Always => f.write_str("always"),
            RestartPolicy::OnFailure(None) => f.write_str("on-failure"),
            RestartPolicy::OnFailure(Some(n)) => write!(f, "on-failure:{n}"),
            RestartPolicy::UnlessStopped => f.write_str("unless-stopped"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct HostEntry {
    pub host: String,
    pub ip: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServiceNetwork {
    pub aliases: Vec<String>,
    pub ipv4_address: Option<String>,
    pub ipv6_address: Option<String>,
    pub mac_address: Option<String>,
    pub interface_name: Option<String>,
}

impl ServiceNetwork {
    /// What the container's interface on this network is made with, as podman's
    /// `--network NAME:OPTIONS` takes it (`ip=`, `ip6=`, `mac=`, `interface_name=`), and
    /// the Compose key of each.
    pub fn interface(&self) -> Vec<(&'static str, String)> {
        [
            ("ipv4_address", "ip", &self.ipv4_address),
            ("ipv6_address", "ip6", &self.ipv6_address),
            ("mac_address", "mac", &self.mac_address),
            ("interface_name", "interface_name", &self.interface_name),
        ]
        .into_iter()
        .filter_map(|(key, opt, v)| v.as_ref().map(|v| (key, format!("{opt}={v}"))))
        .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetworkMode {
    Host,
    None,
    Bridge,
    /// `service:NAME` — what a pod already is.
    Service(String),
}

impl std::fmt::Display for NetworkMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NetworkMode::Host => f.write_str("host"),
            NetworkMode::None => f.write_str("none"),
            NetworkMode::Bridge => f.write_str("bridge"),
            NetworkMode::Service(s) => write!(f, "service:{s}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ulimit {
    pub soft: i64,
    pub hard: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PullPolicy {
    Always,
    Missing,
    Never,
    Build,
    /// `daily`, `weekly` or `every_<duration>`: pull again once the image is this old.
    /// sidepod does not record when it pulled an image, so this acts as `missing`.
    Refresh(Duration),
}

impl PullPolicy {
    /// The policy as a Compose file writes it.
    pub fn name(self) -> String {
        match self {
            PullPolicy::Always => "always".into(),
            PullPolicy::Missing => "missing".into(),
            PullPolicy::Never => "never".into(),
            PullPolicy::Build => "build".into(),
            PullPolicy::Refresh(d) if d == DAY => "daily".into(),
            PullPolicy::Refresh(d) if d == 7 * DAY => "weekly".into(),
            PullPolicy::Refresh(d) => format!("every_{}", super::format_duration(d)),
        }
    }
}

const DAY: Duration = Duration::from_secs(24 * 3600);

#[cfg(test)]
mod tests {
    use super::{podman_cache_ref, RegistryAuth};

    #[test]
    fn a_login_token_is_base64_of_user_colon_password_both_ways() {
        let login = |u: &str, p: &str| RegistryAuth {
            username: u.into(),
            password: p.into(),
        };
        assert_eq!(login("tester", "s3cret").token(), "dGVzdGVyOnMzY3JldA==");
        assert_eq!(login("a", "").token(), "YTo=");
        for (u, p) in [("tester", "s3cret"), ("u", "p:with:colons"), ("x", "")] {
            assert_eq!(
                RegistryAuth::from_token(&login(u, p).token()),
                Some(login(u, p))
            );
        }
        assert_eq!(RegistryAuth::from_token("not base64!"), None);
        // Base64 of text without a colon is no login.
        assert_eq!(RegistryAuth::from_token("dGVzdGVy"), None);
    }

    #[test]
    fn cache_entries_become_the_repositories_podman_build_takes() {
        let cases = [
            ("myorg/app:latest", Some("docker.io/myorg/app")),
            ("redis:7", Some("docker.io/library/redis")),
            ("localhost:5000/cache", Some("localhost:5000/cache")),
            ("quay.io/org/app@sha256:abc", Some("quay.io/org/app")),
            (
                "type=registry,ref=ghcr.io/o/app:buildcache",
                Some("ghcr.io/o/app"),
            ),
            (
                "type=registry,ref=reg:5000/app,mode=max",
                Some("reg:5000/app"),
            ),
            ("type=local,src=/tmp/cache", None),
            ("type=gha", None),
            ("type=registry", None),
        ];
        for (entry, want) in cases {
            assert_eq!(podman_cache_ref(entry).as_deref(), want, "{entry}");
        }
    }
}
