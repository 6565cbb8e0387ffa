//! The forms a Compose value may take (list or map, scalar or struct, one or many) and
//! their deserializers, with errors in YAML's words.

use indexmap::IndexMap;
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};
use serde_norway::Value;

use super::*;

// ---- list-or-map and scalar-or-struct forms -------------------------------------------

/// A string, number or boolean, kept as the string Compose would see after interpolation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scalar(pub String);

/// A number written as a number or as a string (`"${REPLICAS}"` interpolates to a string).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Number(pub f64);

/// `external:` on a volume, network, secret or config: a boolean, or the legacy
/// `{name: NAME}`, which means external with that name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct External {
    pub external: bool,
    pub name: Option<String>,
}

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
    Pair { soft: Number, hard: Option<Number> },
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

impl<'de> Deserialize<'de> for External {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Named {
            name: Option<String>,
        }
        match Value::deserialize(d)? {
            m @ Value::Mapping(_) => {
                let named: Named = sub(m)?;
                Ok(External {
                    external: true,
                    name: named.name,
                })
            }
            other => sub::<Flag, _>(other).map(|f| External {
                external: f.0,
                name: None,
            }),
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
            m @ Value::Mapping(_) => sub(m).map(|b| RawBuildSpec::Full(Box::new(b))),
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
            hard: Option<Number>,
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
