//! Compose merge rules for several files, `extends`, and job files over Compose files:
//! mappings merge, `command`/`entrypoint`/`healthcheck.test` replace, service `volumes`
//! merge by target, other lists append without duplicates, scalars replace.

use serde_yaml::{Mapping, Value};

/// Merges `over` into `base`. `key` is the key under which both sit (it picks the rule).
pub fn merge_value(base: &mut Value, over: Value, key: &str) {
    match (base, over) {
        (Value::Mapping(b), Value::Mapping(o)) => merge_mapping(b, o),
        (Value::Sequence(b), Value::Sequence(o)) if !replaces(key) => {
            if key == "volumes" {
                merge_by_mount_target(b, o);
            } else {
                for item in o {
                    if !b.contains(&item) {
                        b.push(item);
                    }
                }
            }
        }
        (base, over) => *base = over,
    }
}

pub fn merge_mapping(base: &mut Mapping, over: Mapping) {
    for (k, v) in over {
        let key = k.as_str().unwrap_or_default().to_string();
        match base.get_mut(&k) {
            Some(existing) => merge_value(existing, v, &key),
            None => {
                base.insert(k, v);
            }
        }
    }
}

fn replaces(key: &str) -> bool {
    matches!(key, "command" | "entrypoint" | "test")
}

fn merge_by_mount_target(base: &mut Vec<Value>, over: Vec<Value>) {
    for item in over {
        let target = mount_target(&item);
        match base
            .iter_mut()
            .find(|b| target.is_some() && mount_target(b) == target)
        {
            Some(existing) => *existing = item,
            None => base.push(item),
        }
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

/// Rewrites the list forms of list-or-map keys of one service into their mapping form,
/// so that files merge key by key.
pub fn normalize_service(service: &mut Value) {
    let Value::Mapping(svc) = service else { return };
    for key in ["environment", "labels"] {
        if let Some(v) = svc.get_mut(key) {
            list_to_map(v, '=');
        }
    }
    if let Some(Value::Mapping(build)) = svc.get_mut("build") {
        for key in ["args", "labels"] {
            if let Some(v) = build.get_mut(key) {
                list_to_map(v, '=');
            }
        }
    }
    if let Some(Value::String(context)) = svc.get("build").cloned() {
        let mut m = Mapping::new();
        m.insert("context".into(), Value::String(context));
        svc.insert("build".into(), Value::Mapping(m));
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

fn list_to_map(v: &mut Value, sep: char) {
    let Value::Sequence(items) = v else { return };
    let mut m = Mapping::new();
    for item in items.iter() {
        let Some(text) = super::raw::scalar_text(item) else {
            continue;
        };
        match text.split_once(sep) {
            Some((k, val)) => m.insert(k.into(), val.into()),
            None => m.insert(text.into(), Value::Null),
        };
    }
    *v = Value::Mapping(m);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(s: &str) -> Value {
        serde_yaml::from_str(s).unwrap()
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
        merge_value(&mut b, o, "");
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
