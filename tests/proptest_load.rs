//! Property tests: no input makes interpolation, the loaders or the planner panic.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_norway::{Mapping, Value};
use sidepod::compose::interpolate::Interpolator;
use sidepod::compose::{load_project, LoadOptions};
use sidepod::plan::Plan;

const KEYS: &[&str] = &[
    "services",
    "volumes",
    "networks",
    "name",
    "image",
    "build",
    "context",
    "dockerfile",
    "args",
    "target",
    "command",
    "entrypoint",
    "environment",
    "env_file",
    "ports",
    "expose",
    "published",
    "host_ip",
    "protocol",
    "type",
    "source",
    "read_only",
    "bind",
    "tmpfs",
    "depends_on",
    "condition",
    "required",
    "restart",
    "healthcheck",
    "test",
    "interval",
    "timeout",
    "retries",
    "start_period",
    "extends",
    "service",
    "file",
    "profiles",
    "deploy",
    "replicas",
    "scale",
    "networks",
    "aliases",
    "network_mode",
    "ulimits",
    "soft",
    "hard",
    "extra_hosts",
    "links",
    "container_name",
    "hostname",
    "external",
    "x-ext",
    "<<",
    "web",
    "db",
    "cache",
    "steps",
    "run",
    "container",
    "env",
];

const WORDS: &[&str] = &[
    "8080:80",
    "127.0.0.1::53/udp",
    "9000-9001:80-81",
    "70000",
    "0",
    "${X:-d}",
    "${X:?boom}",
    "$$",
    "${",
    "$1",
    "./data:/data:ro",
    "data:/data",
    "/anon",
    "CMD",
    "CMD-SHELL",
    "NONE",
    "1m30s",
    "500ms",
    "10",
    "service_healthy",
    "service_completed_successfully",
    "on-failure:3",
    "web",
    "db",
    "cache",
    "host",
    "service:web",
    "true",
    "other.yaml",
    "missing.yaml",
    "A=1",
    "A",
    "",
    "nofile",
    "SIGTERM",
];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        prop_oneof![
            Just(-1i64),
            Just(0),
            Just(80),
            Just(65535),
            Just(70000),
            any::<i64>()
        ]
        .prop_map(|n| Value::Number(n.into())),
        prop::sample::select(WORDS).prop_map(|w| Value::String(w.to_string())),
        "[a-z0-9:.${}=-]{0,12}".prop_map(Value::String),
    ]
}

fn yaml_value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Sequence),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..6).prop_map(|pairs| {
                let mut m = Mapping::new();
                for (k, v) in pairs {
                    m.insert(Value::String(k.to_string()), v);
                }
                Value::Mapping(m)
            }),
        ]
    })
}

/// A document with a Compose-like skeleton, so generation reaches deep into services.
fn compose_like() -> impl Strategy<Value = Value> {
    let service = prop::collection::vec((prop::sample::select(KEYS), yaml_value()), 0..8);
    prop::collection::vec(
        (
            prop::sample::select(&["web", "db", "cache", "x"][..]),
            service,
        ),
        0..4,
    )
    .prop_map(|services| {
        let mut s = Mapping::new();
        for (name, pairs) in services {
            let mut m = Mapping::new();
            for (k, v) in pairs {
                m.insert(Value::String(k.to_string()), v);
            }
            s.insert(Value::String(name.into()), Value::Mapping(m));
        }
        let mut top = Mapping::new();
        top.insert("services".into(), Value::Mapping(s));
        Value::Mapping(top)
    })
}

fn load_text(text: &str, file_name: &str) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(file_name), text).unwrap();
    std::fs::write(
        dir.path().join("other.yaml"),
        "services:\n  web:\n    image: other\n",
    )
    .unwrap();
    let opts = LoadOptions {
        files: vec![file_name.into()],
        working_dir: dir.path().to_path_buf(),
        environ: BTreeMap::from([("X".to_string(), "set".to_string())]),
        ..LoadOptions::default()
    };
    if let Ok(project) = load_project(&opts) {
        let _ = Plan::new(&project);
    }
    let _ = sidepod::job::load_job(&opts, &sidepod::job::JobChoice::default());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn interpolation_never_panics(input in any::<String>()) {
        let lookup = |k: &str| (k.len() % 2 == 0).then(|| k.to_string());
        let _ = Interpolator::new(&lookup).interpolate(&input);
    }

    #[test]
    fn interpolation_of_template_like_text_never_panics(input in "[$${}:?+a-c_-]{0,24}") {
        let lookup = |k: &str| (k == "a").then(String::new);
        let _ = Interpolator::new(&lookup).interpolate(&input);
    }

    #[test]
    fn loading_arbitrary_text_never_panics(text in any::<String>()) {
        load_text(&text, "compose.yaml");
    }

    #[test]
    fn loading_arbitrary_yaml_never_panics(doc in yaml_value()) {
        load_text(&serde_norway::to_string(&doc).unwrap(), "compose.yaml");
    }

    #[test]
    fn loading_compose_shaped_yaml_never_panics(doc in compose_like()) {
        load_text(&serde_norway::to_string(&doc).unwrap(), "compose.yaml");
    }
}
