//! The raw serde mirror of a Compose file: every key Compose allows that sidepod
//! supports, in either of its forms. Nothing outside `compose/` and `job/` sees it.
//!
//! Some fields are read only to check their shape: keys such as `ipv4_address` or
//! `deploy.resources` are accepted so that existing files load, and have no effect
//! in a pod.
#![allow(dead_code)]

use indexmap::IndexMap;
use serde::Deserialize;
use serde_norway::Value;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCompose {
    /// Obsolete; accepted and ignored, as Compose does.
    #[serde(default)]
    pub version: Option<Value>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub services: IndexMap<String, RawService>,
    #[serde(default)]
    pub volumes: IndexMap<String, Option<RawVolume>>,
    #[serde(default)]
    pub networks: IndexMap<String, Option<RawNetwork>>,
    #[serde(default)]
    pub secrets: IndexMap<String, RawFileObject>,
    #[serde(default)]
    pub configs: IndexMap<String, RawFileObject>,
    /// AI models a provider serves: read, and refused at `up`.
    #[serde(default)]
    pub models: IndexMap<String, Value>,
    /// sidepod's own settings for the stack.
    #[serde(default, rename = "x-sidepod")]
    pub sidepod: Option<RawSidepod>,
}

/// `x-sidepod:` at the top of a file.
#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawSidepod {
    /// `pod` or `bridge`.
    pub network: Option<String>,
}

/// A top-level secret or config: where its data comes from.
#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawFileObject {
    pub file: Option<String>,
    pub environment: Option<String>,
    pub content: Option<String>,
    pub external: Option<External>,
    pub name: Option<String>,
    pub labels: Option<ListOrMap>,
    pub driver: Option<String>,
    pub driver_opts: Option<IndexMap<String, Scalar>>,
    pub template_driver: Option<String>,
}

/// A service's use of a secret or config: its name, or where and how to mount it.
#[derive(Debug, Clone)]
pub enum RawFileRef {
    Name(String),
    Full(RawFileRefLong),
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawFileRefLong {
    pub source: String,
    pub target: Option<String>,
    pub uid: Option<Scalar>,
    pub gid: Option<Scalar>,
    pub mode: Option<Scalar>,
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawService {
    pub image: Option<String>,
    pub build: Option<RawBuildSpec>,
    pub command: Option<Command>,
    pub entrypoint: Option<Command>,
    pub environment: Option<ListOrMap>,
    pub env_file: Option<OneOrMany<EnvFileEntry>>,
    pub ports: Option<Vec<PortEntry>>,
    pub expose: Option<Vec<Scalar>>,
    pub volumes: Option<Vec<VolumeEntry>>,
    pub tmpfs: Option<OneOrMany<String>>,
    pub working_dir: Option<String>,
    pub user: Option<Scalar>,
    pub container_name: Option<String>,
    pub hostname: Option<String>,
    pub labels: Option<ListOrMap>,
    pub depends_on: Option<DependsOn>,
    pub healthcheck: Option<RawHealthcheck>,
    pub restart: Option<String>,
    pub init: Option<Flag>,
    pub stop_signal: Option<String>,
    pub stop_grace_period: Option<String>,
    pub extra_hosts: Option<ExtraHosts>,
    pub networks: Option<ServiceNetworks>,
    pub network_mode: Option<String>,
    pub cap_add: Option<Vec<String>>,
    pub cap_drop: Option<Vec<String>>,
    pub privileged: Option<Flag>,
    pub devices: Option<Vec<String>>,
    pub read_only: Option<Flag>,
    pub shm_size: Option<Scalar>,
    pub ulimits: Option<IndexMap<String, RawUlimit>>,
    pub pull_policy: Option<String>,
    pub profiles: Option<Vec<String>>,
    pub deploy: Option<RawDeploy>,
    pub scale: Option<Number>,
    pub tty: Option<Flag>,
    pub stdin_open: Option<Flag>,
    pub extends: Option<RawExtends>,
    pub links: Option<Vec<String>>,
    pub mem_limit: Option<Scalar>,
    pub mem_reservation: Option<Scalar>,
    pub memswap_limit: Option<Scalar>,
    pub cpus: Option<Scalar>,
    pub cpu_shares: Option<Number>,
    pub cpuset: Option<Scalar>,
    pub pids_limit: Option<Number>,
    pub security_opt: Option<Vec<String>>,
    pub group_add: Option<Vec<Scalar>>,
    pub sysctls: Option<ListOrMap>,
    pub logging: Option<RawLogging>,
    pub annotations: Option<ListOrMap>,
    pub oom_score_adj: Option<Number>,
    pub oom_kill_disable: Option<Flag>,
    pub platform: Option<String>,
    pub secrets: Option<Vec<RawFileRef>>,
    pub configs: Option<Vec<RawFileRef>>,
    pub dns: Option<OneOrMany<String>>,
    pub dns_search: Option<OneOrMany<String>>,
    pub dns_opt: Option<Vec<String>>,
    pub volumes_from: Option<Vec<String>>,
    pub pull_refresh_after: Option<String>,
    /// `all`, or devices as in `deploy.resources.reservations.devices`.
    pub gpus: Option<Value>,
    // Read and shown by `config`; not applied by sidepod yet (each warns).
    pub ipc: Option<String>,
    pub pid: Option<String>,
    pub userns_mode: Option<String>,
    pub runtime: Option<String>,
    pub mac_address: Option<String>,
    pub develop: Option<RawDevelop>,
    pub post_start: Option<Vec<RawHook>>,
    pub pre_stop: Option<Vec<RawHook>>,
    pub pre_start: Option<Vec<RawHook>>,
    /// A service another program provides: read, and refused at `up`.
    pub provider: Option<Value>,
    pub models: Option<Value>,
    /// sidepod's wait strategies (`wait:` in a job file), checked in conversion.
    #[serde(rename = "x-sidepod-wait")]
    pub x_sidepod_wait: Option<serde_norway::Value>,
}

/// `develop:`: what `watch` does on file changes.
#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawDevelop {
    pub watch: Option<Vec<RawWatch>>,
}

/// One `develop.watch` rule.
#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawWatch {
    pub path: Option<String>,
    pub action: Option<String>,
    pub target: Option<String>,
    pub ignore: Option<OneOrMany<String>>,
    pub include: Option<OneOrMany<String>>,
    pub initial_sync: Option<Flag>,
    pub exec: Option<RawHook>,
}

/// A lifecycle hook: a command run in the service's container.
#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawHook {
    pub command: Option<Command>,
    /// `pre_start` only: the image of the one-off container it runs in.
    pub image: Option<String>,
    pub per_replica: Option<Flag>,
    pub user: Option<Scalar>,
    pub privileged: Option<Flag>,
    pub working_dir: Option<String>,
    pub environment: Option<ListOrMap>,
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawLogging {
    pub driver: Option<String>,
    pub options: Option<IndexMap<String, Scalar>>,
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawResources {
    pub limits: Option<RawResourceSpec>,
    pub reservations: Option<RawResourceSpec>,
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawResourceSpec {
    pub cpus: Option<Scalar>,
    pub memory: Option<Scalar>,
    pub pids: Option<Number>,
    pub devices: Option<Value>,
    pub generic_resources: Option<Value>,
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawBuild {
    pub context: Option<String>,
    pub dockerfile: Option<String>,
    pub dockerfile_inline: Option<String>,
    pub args: Option<ListOrMap>,
    pub target: Option<String>,
    pub labels: Option<ListOrMap>,
    pub platforms: Option<Vec<String>>,
    pub secrets: Option<Vec<RawFileRef>>,
    pub ssh: Option<ListOrMap>,
    pub additional_contexts: Option<ListOrMap>,
    pub tags: Option<Vec<String>>,
    pub cache_from: Option<Vec<String>>,
    pub cache_to: Option<Vec<String>>,
    pub no_cache: Option<Flag>,
    pub pull: Option<Flag>,
    pub network: Option<String>,
    pub extra_hosts: Option<ExtraHosts>,
    pub shm_size: Option<Scalar>,
    pub ulimits: Option<IndexMap<String, RawUlimit>>,
    // Docker BuildKit's; podman build has no equivalent (each warns).
    pub entitlements: Option<Vec<String>>,
    pub privileged: Option<Flag>,
    pub isolation: Option<String>,
    pub provenance: Option<Value>,
    pub sbom: Option<Value>,
}

#[derive(Debug, Clone)]
pub enum RawBuildSpec {
    Context(String),
    Full(Box<RawBuild>),
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawHealthcheck {
    pub test: Option<Command>,
    pub interval: Option<String>,
    pub timeout: Option<String>,
    pub retries: Option<Number>,
    pub start_period: Option<String>,
    pub start_interval: Option<String>,
    pub disable: Option<Flag>,
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawDependency {
    pub condition: Option<String>,
    pub required: Option<Flag>,
    pub restart: Option<Flag>,
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawPortLong {
    pub target: Option<Scalar>,
    pub published: Option<Scalar>,
    pub host_ip: Option<String>,
    pub protocol: Option<String>,
    pub mode: Option<String>,
    pub name: Option<String>,
    pub app_protocol: Option<String>,
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawVolumeLong {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub source: Option<String>,
    pub target: Option<String>,
    pub read_only: Option<Flag>,
    pub bind: Option<RawBindOptions>,
    pub volume: Option<RawVolumeOptions>,
    pub tmpfs: Option<RawTmpfsOptions>,
    pub image: Option<RawImageOptions>,
    pub consistency: Option<String>,
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawImageOptions {
    pub subpath: Option<String>,
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawBindOptions {
    pub propagation: Option<String>,
    pub create_host_path: Option<Flag>,
    pub selinux: Option<String>,
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawVolumeOptions {
    pub nocopy: Option<Flag>,
    pub subpath: Option<String>,
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawTmpfsOptions {
    pub size: Option<Scalar>,
    pub mode: Option<Scalar>,
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawServiceNetwork {
    pub aliases: Option<Vec<String>>,
    pub ipv4_address: Option<String>,
    pub ipv6_address: Option<String>,
    pub priority: Option<Number>,
    pub gw_priority: Option<Number>,
    pub link_local_ips: Option<Vec<String>>,
    pub driver_opts: Option<IndexMap<String, Scalar>>,
    // Per-interface settings of one container's own network stack: in a pod, the
    // interfaces are the pod's (each warns).
    pub interface_name: Option<String>,
    pub mac_address: Option<String>,
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawDeploy {
    pub replicas: Option<Number>,
    pub resources: Option<RawResources>,
    pub restart_policy: Option<RawRestartPolicy>,
    pub labels: Option<ListOrMap>,
    // Swarm's: accepted, as docker compose accepts them, with no effect on one host.
    pub mode: Option<String>,
    pub placement: Option<Value>,
    pub update_config: Option<Value>,
    pub rollback_config: Option<Value>,
    pub endpoint_mode: Option<String>,
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawRestartPolicy {
    pub condition: Option<String>,
    pub delay: Option<String>,
    pub max_attempts: Option<Number>,
    pub window: Option<String>,
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawExtendsFull {
    pub service: String,
    pub file: Option<String>,
}

#[derive(Debug, Clone)]
pub enum RawExtends {
    Service(String),
    Full(RawExtendsFull),
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawVolume {
    pub name: Option<String>,
    pub external: Option<External>,
    pub driver: Option<String>,
    pub driver_opts: Option<IndexMap<String, Scalar>>,
    pub labels: Option<ListOrMap>,
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawNetwork {
    pub name: Option<String>,
    pub external: Option<External>,
    pub internal: Option<Flag>,
    pub driver: Option<String>,
    pub driver_opts: Option<IndexMap<String, Scalar>>,
    pub labels: Option<ListOrMap>,
    pub attachable: Option<Flag>,
    pub enable_ipv6: Option<Flag>,
    pub ipam: Option<Value>,
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawEnvFileLong {
    pub path: String,
    pub required: Option<Flag>,
    pub format: Option<String>,
}

mod forms;
pub use forms::*;
