//! The raw serde mirror of a Compose file: every key Compose allows that sidepod
//! supports, in either of its forms. Nothing outside `compose/` and `job/` sees it.
//!
//! Some fields are read only to check their shape: keys such as `ipv4_address` or
//! `deploy.resources` are accepted so that existing files load, and have no effect
//! in a pod.
#![allow(dead_code)]

use indexmap::IndexMap;
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};
use serde_yaml::Value;

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
}

/// A top-level secret or config: where its data comes from.
#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawFileObject {
    pub file: Option<String>,
    pub environment: Option<String>,
    pub content: Option<String>,
    pub external: Option<Flag>,
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
    /// sidepod's wait strategies (`wait:` in a job file), checked in conversion.
    #[serde(rename = "x-sidepod-wait")]
    pub x_sidepod_wait: Option<serde_yaml::Value>,
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
    pub args: Option<ListOrMap>,
    pub target: Option<String>,
    pub labels: Option<ListOrMap>,
}

#[derive(Debug, Clone)]
pub enum RawBuildSpec {
    Context(String),
    Full(RawBuild),
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
    pub consistency: Option<String>,
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
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawDeploy {
    pub replicas: Option<Number>,
    pub resources: Option<RawResources>,
    pub restart_policy: Option<Value>,
    pub labels: Option<ListOrMap>,
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
    pub external: Option<Flag>,
    pub driver: Option<String>,
    pub driver_opts: Option<IndexMap<String, Scalar>>,
    pub labels: Option<ListOrMap>,
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawNetwork {
    pub name: Option<String>,
    pub external: Option<Flag>,
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

// ---- list-or-map and scalar-or-struct forms -------------------------------------------

/// A string, number or boolean, kept as the string Compose would see after interpolation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scalar(pub String);

/// A number written as a number or as a string (`"${REPLICAS}"` interpolates to a string).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Number(pub f64);

/// A boolean written as a boolean or as `"true"`/`"false"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flag(pub bool);

/// `command`, `entrypoint` and `healthcheck.test`: a string (shell form) or a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Shell(String),
    Exec(Vec<String>),
}

/// `environment`, `labels`, `args`: `["K=V", "K"]` or `{K: V, K: null}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListOrMap {
    List(Vec<String>),
    Map(IndexMap<String, Option<String>>),
}

#[derive(Debug, Clone)]
pub enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T: Clone> OneOrMany<T> {
    pub fn to_vec(&self) -> Vec<T> {
        match self {
            OneOrMany::One(t) => vec![t.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub enum EnvFileEntry {
    Path(String),
    Full(RawEnvFileLong),
}

#[derive(Debug, Clone)]
pub enum PortEntry {
    Short(String),
    Long(RawPortLong),
}

#[derive(Debug, Clone)]
pub enum VolumeEntry {
    Short(String),
    Long(Box<RawVolumeLong>),
}

#[derive(Debug, Clone)]
pub enum DependsOn {
    List(Vec<String>),
    Map(IndexMap<String, RawDependency>),
}

/// `extra_hosts`: `["host:ip", "host=ip"]` or `{host: ip}` (or a list of ips).
#[derive(Debug, Clone)]
pub enum ExtraHosts {
    List(Vec<String>),
    Map(IndexMap<String, OneOrMany<String>>),
}

#[derive(Debug, Clone)]
pub enum ServiceNetworks {
    List(Vec<String>),
    Map(IndexMap<String, Option<RawServiceNetwork>>),
}

#[derive(Debug, Clone)]
pub enum RawUlimit {
    Single(Number),
    Pair { soft: Number, hard: Number },
}

// ---- deserializers ---------------------------------------------------------------------

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

/// The text of a scalar, or `None` for lists, mappings and null.
pub fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn sub<T: DeserializeOwned, E: serde::de::Error>(value: Value) -> Result<T, E> {
    T::deserialize(value).map_err(E::custom)
}

fn expected<E: serde::de::Error>(what: &str, found: &Value) -> E {
    E::custom(format!("expected {what}, found {}", kind_of(found)))
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        scalar_text(&value)
            .map(Scalar)
            .ok_or_else(|| expected("a string or number", &value))
    }
}

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        match &value {
            Value::Number(n) => n
                .as_f64()
                .map(Number)
                .ok_or_else(|| expected("a number", &value)),
            Value::String(s) => s
                .trim()
                .parse::<f64>()
                .map(Number)
                .map_err(|_| D::Error::custom(format!("expected a number, found {s:?}"))),
            other => Err(expected("a number", other)),
        }
    }
}

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        match &value {
            Value::Bool(b) => Ok(Flag(*b)),
            Value::String(s) => match s.to_ascii_lowercase().as_str() {
                "true" | "yes" | "1" => Ok(Flag(true)),
                "false" | "no" | "0" | "" => Ok(Flag(false)),
                _ => Err(D::Error::custom(format!(
                    "expected true or false, found {s:?}"
                ))),
            },
            other => Err(expected("true or false", other)),
        }
    }
}

fn string_list<E: serde::de::Error>(items: Vec<Value>) -> Result<Vec<String>, E> {
    items
        .iter()
        .map(|item| scalar_text(item).ok_or_else(|| expected("a list of strings", item)))
        .collect()
}

impl<'de> Deserialize<'de> for Command {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) => Ok(Command::Shell(s)),
            Value::Sequence(items) => Ok(Command::Exec(string_list(items)?)),
            other => Err(expected("a string or a list of strings", &other)),
        }
    }
}

impl<'de> Deserialize<'de> for ListOrMap {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::Sequence(items) => Ok(ListOrMap::List(string_list(items)?)),
            Value::Mapping(map) => {
                let mut out = IndexMap::new();
                for (k, v) in map {
                    let key = scalar_text(&k).ok_or_else(|| expected("a string key", &k))?;
                    let value = match &v {
                        Value::Null => None,
                        other => Some(scalar_text(other).ok_or_else(|| {
                            D::Error::custom(format!(
                                "{key}: expected a string, number or boolean, found {}",
                                kind_of(other)
                            ))
                        })?),
                    };
                    out.insert(key, value);
                }
                Ok(ListOrMap::Map(out))
            }
            other => Err(expected("a list of \"KEY=VALUE\" or a mapping", &other)),
        }
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::Sequence(items) => items
                .into_iter()
                .map(sub)
                .collect::<Result<_, _>>()
                .map(OneOrMany::Many),
            other => sub(other).map(OneOrMany::One),
        }
    }
}

impl<'de> Deserialize<'de> for EnvFileEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) => Ok(EnvFileEntry::Path(s)),
            m @ Value::Mapping(_) => sub(m).map(EnvFileEntry::Full),
            other => Err(expected("a path or a mapping with `path`", &other)),
        }
    }
}

impl<'de> Deserialize<'de> for RawBuildSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) => Ok(RawBuildSpec::Context(s)),
            m @ Value::Mapping(_) => sub(m).map(RawBuildSpec::Full),
            other => Err(expected("a context path or a mapping", &other)),
        }
    }
}

impl<'de> Deserialize<'de> for RawFileRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) => Ok(RawFileRef::Name(s)),
            m @ Value::Mapping(_) => sub(m).map(RawFileRef::Full),
            other => Err(expected("a name or a mapping with `source`", &other)),
        }
    }
}

impl<'de> Deserialize<'de> for RawExtends {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) => Ok(RawExtends::Service(s)),
            m @ Value::Mapping(_) => sub(m).map(RawExtends::Full),
            other => Err(expected(
                "a service name or a mapping with `service`",
                &other,
            )),
        }
    }
}

impl<'de> Deserialize<'de> for PortEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        match value {
            Value::String(s) => Ok(PortEntry::Short(s)),
            Value::Number(n) => Ok(PortEntry::Short(n.to_string())),
            m @ Value::Mapping(_) => sub(m).map(PortEntry::Long),
            other => Err(expected("a port such as \"8080:80\" or a mapping", &other)),
        }
    }
}

impl<'de> Deserialize<'de> for VolumeEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) => Ok(VolumeEntry::Short(s)),
            m @ Value::Mapping(_) => sub(m).map(|l| VolumeEntry::Long(Box::new(l))),
            other => Err(expected(
                "a volume such as \"data:/data\" or a mapping",
                &other,
            )),
        }
    }
}

impl<'de> Deserialize<'de> for DependsOn {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::Sequence(items) => Ok(DependsOn::List(string_list(items)?)),
            m @ Value::Mapping(_) => {
                let map: IndexMap<String, Option<RawDependency>> = sub(m)?;
                Ok(DependsOn::Map(
                    map.into_iter()
                        .map(|(k, v)| (k, v.unwrap_or_default()))
                        .collect(),
                ))
            }
            other => Err(expected("a list of services or a mapping", &other)),
        }
    }
}

impl<'de> Deserialize<'de> for ExtraHosts {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::Sequence(items) => Ok(ExtraHosts::List(string_list(items)?)),
            m @ Value::Mapping(_) => sub(m).map(ExtraHosts::Map),
            other => Err(expected("a list of \"host:ip\" or a mapping", &other)),
        }
    }
}

impl<'de> Deserialize<'de> for ServiceNetworks {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::Sequence(items) => Ok(ServiceNetworks::List(string_list(items)?)),
            m @ Value::Mapping(_) => sub(m).map(ServiceNetworks::Map),
            other => Err(expected("a list of networks or a mapping", &other)),
        }
    }
}

impl<'de> Deserialize<'de> for RawUlimit {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Pair {
            soft: Number,
            hard: Number,
        }
        match Value::deserialize(d)? {
            m @ Value::Mapping(_) => {
                let p: Pair = sub(m)?;
                Ok(RawUlimit::Pair {
                    soft: p.soft,
                    hard: p.hard,
                })
            }
            other => sub(other).map(RawUlimit::Single),
        }
    }
}
