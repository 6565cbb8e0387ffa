//! Compose's merge rules, as compose-go's `override` package defines them, for several
//! files, `extends`, `include` and job files over Compose files.
//!
//! - Mappings merge key by key; a scalar replaces; a null leaves what was there.
//! - `command`, `entrypoint`, `healthcheck.test` and each `ulimits` entry replace.
//! - `logging` merges only when both sides name the same driver (or one names none).
//! - Lists append. In the lists Compose keeps unique, a later entry with the same key
//!   replaces the earlier one in its place: `ports`, `expose`, `volumes`, `devices`,
//!   `secrets` and `configs` by target, `env_file` by path, `cap_add`, `dns` and the
//!   like by value, `extra_hosts` by the whole entry. Unicity holds inside one file too.
//! - Key-value keys (`environment`, `labels`, `sysctls`, `build.args`, ...) merge by key
//!   whichever form each side uses; a key given without a value replaces one with a value.
//!
//! `!reset` and `!override` YAML tags are taken out of a document by `take_tags`, which
//! returns their paths; `apply_resets` removes those paths from what the document is
//! merged over, so that `!reset` removes a value and `!override` replaces it whole.

use serde_norway::{Mapping, Value};

/// A key path in a Compose document, as segments (`services`, `web`, `command`).
pub type KeyPath = Vec<String>;

/// Merges a whole document over another: files, or a job's Compose part.
pub fn merge_documents(base: &mut Value, over: Value) {
    merge_at(base, over, &mut Vec::new());
    enforce_unicity(base, &mut Vec::new());
}

/// Merges a service over the service it extends (or over an included one).
pub fn merge_service(base: &mut Value, over: Value) {
    let mut path = vec!["services".to_string(), "*".to_string()];
    merge_at(base, over, &mut path);
    enforce_unicity(base, &mut path);
}

/// Removes repeated entries of unique lists in one document, as Compose does.
pub fn unique_entries(doc: &mut Value) {
    enforce_unicity(doc, &mut Vec::new());
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// Mappings merge, lists append, scalars replace, null keeps.
    Default,
    /// The later value replaces, whatever it is.
    Replace,
    /// Merge by key; every later value replaces, null included.
    KeyValue,
    /// `logging`: options survive only when the driver stays.
    Logging,
    /// `extra_hosts`: append, leaving out entries already there.
    AppendNew,
}

fn matches(path: &[String], pattern: &str) -> bool {
    let parts: Vec<&str> = pattern.split('.').collect();
    parts.len() == path.len() && parts.iter().zip(path).all(|(p, s)| *p == "*" || p == s)
}

fn rule(path: &[String]) -> Rule {
    const REPLACE: [&str; 4] = [
        "services.*.command",
        "services.*.entrypoint",
        "services.*.healthcheck.test",
        "services.*.ulimits.*",
    ];
    if REPLACE.iter().any(|p| matches(path, p)) {
        return Rule::Replace;
    }
    if KEY_VALUE.iter().any(|p| matches(path, p)) {
        return Rule::KeyValue;
    }
    if matches(path, "services.*.logging") {
        return Rule::Logging;
    }
    if matches(path, "services.*.extra_hosts") || matches(path, "services.*.build.extra_hosts") {
        return Rule::AppendNew;
    }
    Rule::Default
}

/// The keys that are `KEY=VALUE` lists or mappings; `normalize_service` gives them the
/// mapping form.
const KEY_VALUE: [&str; 11] = [
    "services.*.environment",
    "services.*.labels",
    "services.*.annotations",
    "services.*.sysctls",
    "services.*.build.args",
    "services.*.build.labels",
    "services.*.build.additional_contexts",
    "services.*.deploy.labels",
    "services.*.volumes.*.volume.labels",
    "networks.*.labels",
    "volumes.*.labels",
];

fn merge_at(base: &mut Value, over: Value, path: &mut KeyPath) {
    match rule(path) {
        Rule::Replace => *base = over,
        Rule::KeyValue => match (base, over) {
            (Value::Mapping(b), Value::Mapping(o)) => {
                for (k, v) in o {
                    b.insert(k, v);
                }
            }
            (base, over) => *base = over,
        },
        Rule::Logging => {
            let driver = |v: &Value| v.get("driver").cloned();
            let (bd, od) = (driver(base), driver(&over));
            if bd.is_some() && od.is_some() && bd != od {
                *base = over;
            } else {
                merge_default(base, over, path);
            }
        }
        Rule::AppendNew => match (base, over) {
            (Value::Sequence(b), Value::Sequence(o)) => {
                for item in o {
                    if !b.contains(&item) {
                        b.push(item);
                    }
                }
            }
            (base, over) => *base = over,
        },
        Rule::Default => merge_default(base, over, path),
    }
}

fn merge_default(base: &mut Value, over: Value, path: &mut KeyPath) {
    match (base, over) {
        (_, Value::Null) => {}
        (Value::Mapping(b), Value::Mapping(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(existing) => {
                        path.push(super::raw::scalar_text(&k).unwrap_or_default());
                        merge_at(existing, v, path);
                        path.pop();
                    }
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (Value::Sequence(b), Value::Sequence(o)) => b.extend(o),
        (base, over) => *base = over,
    }
}

/// How a unique list's entries are told apart: entries with the same key are one.
fn unique_key(path: &[String]) -> Option<fn(&Value) -> Option<String>> {
    const BY_NAME: [&str; 12] = [
        "services.*.cap_add",
        "services.*.cap_drop",
        "services.*.dns",
        "services.*.dns_opt",
        "services.*.dns_search",
        "services.*.profiles",
        "services.*.links",
        "services.*.tmpfs",
        "services.*.build.tags",
        "services.*.build.platforms",
        "services.*.networks.*.aliases",
        "services.*.networks.*.link_local_ips",
    ];
    if BY_NAME.iter().any(|p| matches(path, p)) {
        return Some(|v| {
            let text = super::raw::scalar_text(v)?;
            Some(
                text.split_once('=')
                    .map_or(text.clone(), |(k, _)| k.to_string()),
            )
        });
    }
    let last = path.last().map(String::as_str);
    if path.len() != 3 || path[0] != "services" {
        return None;
    }
    match last {
        Some("volumes") => Some(mount_target),
        Some("devices") => Some(device_target),
        Some("secrets") => Some(|v| file_target(v, "/run/secrets/")),
        Some("configs") => Some(|v| file_target(v, "/")),
        Some("env_file") => Some(|v| match v {
            Value::Mapping(m) => m.get("path").and_then(super::raw::scalar_text),
            other => super::raw::scalar_text(other),
        }),
        Some("expose") => Some(super::raw::scalar_text),
        Some("ports") => Some(port_key),
        _ => None,
    }
}

fn enforce_unicity(value: &mut Value, path: &mut KeyPath) {
    match value {
        Value::Mapping(m) => {
            for (k, v) in m.iter_mut() {
                path.push(super::raw::scalar_text(k).unwrap_or_default());
                enforce_unicity(v, path);
                path.pop();
            }
        }
        Value::Sequence(items) => {
            let Some(key_of) = unique_key(path) else {
                return;
            };
            let mut kept: Vec<Value> = Vec::with_capacity(items.len());
            let mut keys: Vec<Option<String>> = Vec::with_capacity(items.len());
            for item in items.drain(..) {
                let key = key_of(&item);
                match keys.iter().position(|k| key.is_some() && *k == key) {
                    Some(i) => kept[i] = item,
                    None => {
                        keys.push(key);
                        kept.push(item);
                    }
                }
            }
            *items = kept;
        }
        _ => {}
    }
}

/// The container path of a volume entry in short (`src:dst[:mode]`) or long form.
fn mount_target(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => {
            let parts: Vec<&str> = s.split(':').collect();
            match parts.len() {
                1 => Some(parts[0].to_string()),
                _ => Some(parts[1].to_string()),
            }
        }
        Value::Mapping(m) => m.get("target").and_then(Value::as_str).map(str::to_string),
        _ => None,
    }
}

/// A device's path in the container: `host[:container[:perms]]`, or `target`.
fn device_target(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => {
            let mut parts = s.split(':');
            let host = parts.next()?;
            Some(parts.next().unwrap_or(host).to_string())
        }
        Value::Mapping(m) => m.get("target").and_then(Value::as_str).map(str::to_string),
        _ => None,
    }
}

/// Where a secret or config is mounted: its `target`, else the default place of its name.
fn file_target(v: &Value, default_dir: &str) -> Option<String> {
    match v {
        Value::String(name) => Some(format!("{default_dir}{name}")),
        Value::Mapping(m) => match m.get("target").and_then(super::raw::scalar_text) {
            Some(t) => Some(t),
            None => m
                .get("source")
                .and_then(super::raw::scalar_text)
                .map(|s| format!("{default_dir}{s}")),
        },
        _ => None,
    }
}

/// A port entry's identity: the short form as written, or the long form's parts.
fn port_key(v: &Value) -> Option<String> {
    match v {
        Value::Mapping(m) => {
            let get = |k: &str| m.get(k).and_then(super::raw::scalar_text);
            Some(format!(
                "{}:{}:{}/{}",
                get("host_ip").unwrap_or_else(|| "0.0.0.0".into()),
                get("published").unwrap_or_default(),
                get("target")?,
                get("protocol").unwrap_or_else(|| "tcp".into()),
            ))
        }
        other => super::raw::scalar_text(other),
    }
}

/// Takes `!reset` and `!override` tags out of a document: a `!reset` value is removed,
/// an `!override` value is kept untagged. Returns the key paths of both, which
/// `apply_resets` removes from what the document is merged over.
pub fn take_tags(value: &mut Value) -> Vec<KeyPath> {
    let mut found = Vec::new();
    take_tags_at(value, &mut Vec::new(), &mut found);
    found
}

/// What a tag asks of the value it is on.
enum Tag {
    Reset,
    Override,
}

fn tag_of(v: &Value) -> Option<Tag> {
    let Value::Tagged(t) = v else { return None };
    match t.tag.to_string().trim_start_matches('!') {
        "reset" => Some(Tag::Reset),
        "override" => Some(Tag::Override),
        _ => None,
    }
}

fn take_tags_at(value: &mut Value, path: &mut KeyPath, found: &mut Vec<KeyPath>) {
    match value {
        Value::Mapping(m) => {
            let keys: Vec<Value> = m.keys().cloned().collect();
            for k in keys {
                path.push(super::raw::scalar_text(&k).unwrap_or_default());
                let v = m.get_mut(&k).expect("key just listed");
                match tag_of(v) {
                    Some(Tag::Reset) => {
                        found.push(path.clone());
                        m.remove(&k);
                    }
                    Some(Tag::Override) => {
                        found.push(path.clone());
                        if let Value::Tagged(t) = std::mem::take(v) {
                            *v = t.value;
                        }
                        take_tags_at(v, path, &mut Vec::new());
                    }
                    None => take_tags_at(v, path, found),
                }
                path.pop();
            }
        }
        Value::Sequence(items) => {
            items.retain(|item| !matches!(tag_of(item), Some(Tag::Reset)));
            for item in items.iter_mut() {
                if let Some(Tag::Override) = tag_of(item) {
                    if let Value::Tagged(t) = std::mem::take(item) {
                        *item = t.value;
                    }
                }
                take_tags_at(item, path, &mut Vec::new());
            }
        }
        _ => {}
    }
}

/// Removes each of `paths` from `base`: what a later document resets or overrides.
pub fn apply_resets(base: &mut Value, paths: &[KeyPath]) {
    for path in paths {
        remove_path(base, path);
    }
}

fn remove_path(value: &mut Value, path: &[String]) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    let Value::Mapping(m) = value else { return };
    let key = m
        .keys()
        .find(|k| super::raw::scalar_text(k).as_deref() == Some(first))
        .cloned();
    let Some(key) = key else { return };
    if rest.is_empty() {
        m.remove(&key);
    } else if let Some(child) = m.get_mut(&key) {
        remove_path(child, rest);
    }
}

/// Rewrites the short forms of one service into the forms that merge by Compose's rules:
/// key-value lists as mappings, one-or-many strings as lists, `extra_hosts` as a list of
/// `host=ip` entries, `build`, `depends_on` and `networks` as mappings.
pub fn normalize_service(service: &mut Value) {
    let Value::Mapping(svc) = service else { return };
    for key in ["environment", "labels", "annotations"] {
        if let Some(v) = svc.get_mut(key) {
            list_to_map(v, None);
        }
    }
    if let Some(v) = svc.get_mut("sysctls") {
        list_to_map(v, Some(""));
    }
    for key in ["env_file", "dns", "dns_search", "tmpfs"] {
        if let Some(v) = svc.get_mut(key) {
            one_to_list(v);
        }
    }
    if let Some(v) = svc.get_mut("extra_hosts") {
        hosts_to_list(v);
    }
    if let Some(Value::String(context)) = svc.get("build").cloned() {
        let mut m = Mapping::new();
        m.insert("context".into(), Value::String(context));
        svc.insert("build".into(), Value::Mapping(m));
    }
    if let Some(Value::Mapping(build)) = svc.get_mut("build") {
        for key in ["args", "labels", "additional_contexts"] {
            if let Some(v) = build.get_mut(key) {
                list_to_map(v, None);
            }
        }
        if let Some(v) = build.get_mut("extra_hosts") {
            hosts_to_list(v);
        }
    }
    if let Some(Value::Mapping(deploy)) = svc.get_mut("deploy") {
        if let Some(v) = deploy.get_mut("labels") {
            list_to_map(v, None);
        }
    }
    if let Some(Value::Sequence(items)) = svc.get("depends_on").cloned() {
        let mut m = Mapping::new();
        for item in items {
            let mut dep = Mapping::new();
            dep.insert("condition".into(), "service_started".into());
            m.insert(item, Value::Mapping(dep));
        }
        svc.insert("depends_on".into(), Value::Mapping(m));
    }
    if let Some(Value::Sequence(items)) = svc.get("networks").cloned() {
        let m: Mapping = items.into_iter().map(|n| (n, Value::Null)).collect();
        svc.insert("networks".into(), Value::Mapping(m));
    }
}

/// The mapping forms of the top-level objects' labels, so that files merge them by key.
pub fn normalize_objects(doc: &mut Value) {
    for kind in ["networks", "volumes"] {
        if let Some(Value::Mapping(objects)) = doc.get_mut(kind) {
            for object in objects.values_mut() {
                if let Some(v) = object.get_mut("labels") {
                    list_to_map(v, None);
                }
            }
        }
    }
}

/// `KEY=VALUE` items as a mapping; an item without `=` maps to `bare` (null: no value).
fn list_to_map(v: &mut Value, bare: Option<&str>) {
    let Value::Sequence(items) = v else { return };
    let mut m = Mapping::new();
    for item in items.iter() {
        let Some(text) = super::raw::scalar_text(item) else {
            continue;
        };
        match text.split_once('=') {
            Some((k, val)) => m.insert(k.into(), val.into()),
            None => m.insert(text.into(), bare.map_or(Value::Null, Value::from)),
        };
    }
    *v = Value::Mapping(m);
}

fn one_to_list(v: &mut Value) {
    if matches!(v, Value::String(_)) {
        *v = Value::Sequence(vec![std::mem::take(v)]);
    }
}

/// `extra_hosts` in its list form; a mapping's entries become `host=ip`, one per
/// address, in order of their text, as compose-go orders them.
fn hosts_to_list(v: &mut Value) {
    let Value::Mapping(m) = v else { return };
    let mut items: Vec<String> = Vec::new();
    for (host, ips) in m.iter() {
        let host = super::raw::scalar_text(host).unwrap_or_default();
        match ips {
            Value::Sequence(list) => items.extend(
                list.iter()
                    .filter_map(super::raw::scalar_text)
                    .map(|ip| format!("{host}={ip}")),
            ),
            Value::Null => items.push(host),
            other => items.push(format!(
                "{host}={}",
                super::raw::scalar_text(other).unwrap_or_default()
            )),
        }
    }
    items.sort();
    *v = Value::Sequence(items.into_iter().map(Value::from).collect());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(s: &str) -> Value {
        serde_norway::from_str(s).unwrap()
    }

    fn merged(base: &str, over: &str) -> Value {
        let mut b = yaml(base);
        for svc in b["services"].as_mapping_mut().unwrap().values_mut() {
            normalize_service(svc);
        }
        let mut o = yaml(over);
        for svc in o["services"].as_mapping_mut().unwrap().values_mut() {
            normalize_service(svc);
        }
        merge_documents(&mut b, o);
        b
    }

    #[test]
    fn command_replaces_and_lists_append() {
        let m = merged(
            "services: {web: {command: [a, b], ports: ['80'], cap_add: [NET_ADMIN]}}",
            "services: {web: {command: [c], ports: ['81', '80'], cap_add: [SYS_TIME]}}",
        );
        assert_eq!(m["services"]["web"]["command"], yaml("[c]"));
        assert_eq!(m["services"]["web"]["ports"], yaml("['80', '81']"));
        assert_eq!(
            m["services"]["web"]["cap_add"],
            yaml("[NET_ADMIN, SYS_TIME]")
        );
    }

    #[test]
    fn environment_merges_by_key_across_forms() {
        let m = merged(
            "services: {web: {environment: [A=1, B=2]}}",
            "services: {web: {environment: {B: '3', C: '4'}}}",
        );
        assert_eq!(
            m["services"]["web"]["environment"],
            yaml("{A: '1', B: '3', C: '4'}")
        );
    }

    #[test]
    fn volumes_merge_by_target() {
        let m = merged(
            "services: {web: {volumes: ['./a:/data', 'cache:/cache']}}",
            "services: {web: {volumes: ['./b:/data:ro', {type: volume, source: x, target: /x}]}}",
        );
        assert_eq!(
            m["services"]["web"]["volumes"],
            yaml("['./b:/data:ro', 'cache:/cache', {type: volume, source: x, target: /x}]")
        );
    }

    #[test]
    fn healthcheck_test_replaces_other_fields_merge() {
        let m = merged(
            "services: {db: {healthcheck: {test: [CMD, a], interval: 5s}}}",
            "services: {db: {healthcheck: {test: [CMD, b]}}}",
        );
        assert_eq!(
            m["services"]["db"]["healthcheck"],
            yaml("{test: [CMD, b], interval: 5s}")
        );
    }

    #[test]
    fn depends_on_list_and_map_merge() {
        let m = merged(
            "services: {web: {depends_on: [db]}}",
            "services: {web: {depends_on: {cache: {condition: service_healthy}}}}",
        );
        let deps = m["services"]["web"]["depends_on"].as_mapping().unwrap();
        assert_eq!(deps.len(), 2);
        assert_eq!(deps["db"]["condition"], "service_started");
    }
}
