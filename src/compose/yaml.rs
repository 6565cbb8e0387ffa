//! YAML in and out of shape: parsing with file, line and column in errors, `x-*`
//! extensions, and deserializing into the raw types with errors that name the file,
//! service and key.

use serde::de::DeserializeOwned;
use serde_norway::Value;

use super::error::{describe_path, suggest};
use super::merge::normalize_service;

use super::LoadError;

/// Parses YAML text, applying `<<` merge keys. Errors carry file, line and column.
pub fn parse_yaml(text: &str, display: &str) -> Result<Value, LoadError> {
    super::limits::check_nesting(text, display)?;
    let yaml_error = |e: serde_norway::Error| {
        let (line, column) = e
            .location()
            .map(|l| (l.line(), l.column()))
            .unwrap_or((1, 1));
        // The position is already in front of the message; say it once.
        let message = e
            .to_string()
            .replacen(&format!(" at line {line} column {column}"), "", 1);
        LoadError::Yaml {
            file: display.to_string(),
            line,
            column,
            message,
        }
    };
    let mut value: Value = serde_norway::from_str(text).map_err(yaml_error)?;
    value.apply_merge().map_err(yaml_error)?;
    match value {
        Value::Mapping(_) => Ok(value),
        Value::Null => Err(LoadError::File {
            file: display.to_string(),
            message: "the file is empty".into(),
        }),
        _ => Err(LoadError::File {
            file: display.to_string(),
            message: "expected a mapping of keys (services:, volumes:, ...) at the top level"
                .into(),
        }),
    }
}

/// sidepod's own top-level key (`x-sidepod: {network: pod|bridge}`), kept through loading.
pub const SIDEPOD_KEY: &str = "x-sidepod";

/// Removes `x-*` extension keys at the levels where Compose allows them, except sidepod's
/// own.
pub fn strip_extensions(doc: &mut Value) {
    let own = match doc {
        Value::Mapping(m) => m.remove(SIDEPOD_KEY),
        _ => None,
    };
    strip(doc);
    if let (Some(own), Value::Mapping(m)) = (own, &mut *doc) {
        m.insert(SIDEPOD_KEY.into(), own);
    }
    for kind in ["volumes", "networks", "secrets", "configs"] {
        strip_children(doc.get_mut(kind));
    }
    if let Some(Value::Mapping(services)) = doc.get_mut("services") {
        services.values_mut().for_each(strip_service_extensions);
    }
}

/// The one extension key sidepod reads: a service's wait strategies.
pub const WAIT_KEY: &str = "x-sidepod-wait";

/// Removes `x-*` keys from one service definition, except sidepod's own `x-sidepod-wait`.
pub fn strip_service_extensions(svc: &mut Value) {
    let wait = match svc {
        Value::Mapping(m) => m.remove(WAIT_KEY),
        _ => None,
    };
    strip(svc);
    if let (Some(wait), Value::Mapping(m)) = (wait, &mut *svc) {
        m.insert(WAIT_KEY.into(), wait);
    }
    for key in ["build", "healthcheck", "deploy", "extends"] {
        if let Some(v) = svc.get_mut(key) {
            strip(v);
        }
    }
    strip_children(svc.get_mut("depends_on"));
    strip_children(svc.get_mut("networks"));
    if let Some(Value::Sequence(items)) = svc.get_mut("ports") {
        items.iter_mut().for_each(strip);
    }
    if let Some(Value::Sequence(items)) = svc.get_mut("volumes") {
        items.iter_mut().for_each(strip);
    }
    if let Some(develop) = svc.get_mut("develop") {
        strip(develop);
        if let Some(Value::Sequence(rules)) = develop.get_mut("watch") {
            rules.iter_mut().for_each(strip);
        }
    }
}

fn strip(v: &mut Value) {
    if let Value::Mapping(m) = v {
        m.retain(|k, _| !k.as_str().is_some_and(|k| k.starts_with("x-")));
    }
}

fn strip_children(v: Option<&mut Value>) {
    if let Some(Value::Mapping(m)) = v {
        m.values_mut().for_each(strip);
    }
}

/// Keys of the Compose Specification that sidepod does not support (yet). Naming them
/// tells the user it is not a typo.
const UNSUPPORTED: [&str; 21] = [
    "secrets",
    "configs",
    "models",
    "attach",
    "blkio_config",
    "cgroup",
    "cgroup_parent",
    "cpu_count",
    "cpu_percent",
    "cpu_period",
    "cpu_quota",
    "cpu_rt_period",
    "cpu_rt_runtime",
    "credential_spec",
    "device_cgroup_rules",
    "domainname",
    "external_links",
    "isolation",
    "label_file",
    "mem_swappiness",
    "storage_opt",
];

/// Deserializes a document into its raw type; errors name the file, service and key.
pub fn validate<T: DeserializeOwned>(value: &Value, display: &str) -> Result<T, LoadError> {
    serde_path_to_error::deserialize(value.clone()).map_err(|e| {
        let path = e.path().to_string();
        let message = e.inner().to_string();
        shape_error(display, &path, &message)
    })
}

fn shape_error(display: &str, path: &str, message: &str) -> LoadError {
    let path = if path == "." { "" } else { path };
    let invalid = |at: String, message: String| LoadError::Invalid {
        file: display.to_string(),
        at,
        message,
    };
    let Some(rest) = message.strip_prefix("unknown field `") else {
        // Say it in YAML's words, not serde's.
        let message = message
            .replace("expected a map", "expected a mapping")
            .replace("expected a sequence", "expected a list")
            .replace("invalid type: map", "invalid type: mapping")
            .replace("invalid type: sequence", "invalid type: list");
        return invalid(describe_path(path), message);
    };
    let key = rest.split('`').next().unwrap_or_default();
    let candidates: Vec<&str> = rest.split('`').skip(2).step_by(2).collect();
    // serde reports the path of the unknown key itself; name its parent.
    let parent = path
        .strip_suffix(key)
        .map(|p| p.trim_end_matches('.'))
        .unwrap_or(path);
    let at = describe_path(parent);
    let detail = if UNSUPPORTED.contains(&key) && !candidates.is_empty() {
        format!(
            "unknown key {key:?}: sidepod does not support this Compose key yet; remove it \
             or rename it to x-{key} to keep it as an extension"
        )
    } else if let Some(s) = suggest(key, candidates.iter().copied()) {
        format!("unknown key {key:?} (did you mean {s:?}?)")
    } else {
        format!("unknown key {key:?}; custom keys must start with x-")
    };
    invalid(at, detail)
}

pub fn normalize_services(doc: &mut Value) {
    if let Some(Value::Mapping(services)) = doc.get_mut("services") {
        services.values_mut().for_each(normalize_service);
    }
    super::merge::normalize_objects(doc);
}
