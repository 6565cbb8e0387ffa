//! `config` output for every scenario and for a file that uses every supported key is
//! valid Compose: it passes the Compose Specification's JSON schema.

mod common;

use std::path::{Path, PathBuf};

use common::{run_in, shared, Test};
use serde_json::Value;

fn validator() -> jsonschema::Validator {
    let path = shared().join("compose-spec/compose-spec.json");
    let mut schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    // The file names draft-07 by a URL the validator does not resolve offline; say it directly.
    schema.as_object_mut().unwrap().remove("$schema");
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .build(&schema)
        .expect("the Compose schema compiles")
}

#[track_caller]
fn assert_valid_compose(doc: &Value, what: &str) {
    let v = validator();
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "{what}: output is not valid Compose:\n{}",
        errors.join("\n")
    );
}

fn config_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> common::Outcome {
    let mut a: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    a.insert(0, "config".into());
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    run_in(dir, &a, &env, None)
}

fn scenario(name: &str) -> PathBuf {
    shared().join("scenarios").join(name)
}

#[test]
fn every_scenario_compose_file_renders_valid_compose() {
    for name in ["unicorn-stack", "shared-localhost", "supervise"] {
        for format in ["yaml", "json"] {
            let out = config_in(&scenario(name), &["--format", format], &[]);
            out.success();
            let doc = if format == "yaml" {
                out.yaml()
            } else {
                out.json()
            };
            assert_valid_compose(&doc, &format!("{name} ({format})"));
        }
    }
}

#[test]
fn unicorn_stack_config_shows_what_its_readme_says() {
    let out = config_in(&scenario("unicorn-stack"), &[], &[("VIEWER_PORT", "18400")]);
    out.success();
    let v = out.yaml();
    assert_eq!(v["name"], "unicorn");
    assert_eq!(v["services"]["viewer"]["ports"][0]["published"], "18400");
    assert_eq!(v["services"]["viewer"]["ports"][0]["target"], 8322);
    assert_eq!(
        v["services"]["viewer"]["depends_on"]["counter"]["condition"],
        "service_healthy"
    );
    assert_eq!(v["services"]["counter"]["environment"]["WARMUP"], "2");
    assert_eq!(v["volumes"]["sightings"]["name"], "unicorn_sightings");
    let motd = scenario("unicorn-stack").join("motd");
    let bind = &v["services"]["counter"]["volumes"][0];
    assert_eq!(
        bind["source"],
        motd.canonicalize().unwrap().to_str().unwrap()
    );
    assert_eq!(bind["read_only"], true);
    // The default port without VIEWER_PORT, and WARMUP from the shell.
    let out = config_in(&scenario("unicorn-stack"), &[], &[("WARMUP", "30")]);
    assert_eq!(
        out.yaml()["services"]["viewer"]["ports"][0]["published"],
        "18322"
    );
    assert_eq!(
        out.yaml()["services"]["counter"]["environment"]["WARMUP"],
        "30"
    );
}

/// The scenario's variant with two services on port 6380: in one pod, as
/// `x-sidepod: {network: pod}` asks, it is a config error naming both, before anything
/// is created; left to choose, sidepod runs it in bridge mode instead.
#[test]
fn shared_localhost_port_conflict_variant_fails_before_anything_in_one_pod() {
    let text = std::fs::read_to_string(scenario("shared-localhost").join("compose.yaml")).unwrap();
    let mut doc: serde_norway::Value = serde_norway::from_str(&text).unwrap();
    for svc in ["cache", "build"] {
        doc["services"][svc]
            .as_mapping_mut()
            .unwrap()
            .insert("expose".into(), serde_norway::from_str("['6380']").unwrap());
    }
    let bridge = Test::new()
        .file("compose.yaml", &serde_norway::to_string(&doc).unwrap())
        .file("hello.txt", "hello from the workspace\n")
        .args(&["--dry-run", "up", "-d"])
        .run();
    bridge.success();
    assert!(
        bridge.stdout.contains("podman network create"),
        "{}",
        bridge.stdout
    );
    doc.as_mapping_mut().unwrap().insert(
        "x-sidepod".into(),
        serde_norway::from_str("{network: pod}").unwrap(),
    );
    Test::new()
        .file("compose.yaml", &serde_norway::to_string(&doc).unwrap())
        .file("hello.txt", "hello from the workspace\n")
        .args(&["--dry-run", "up", "-d"])
        .run()
        .config_error(&["\"build\" and \"cache\"", "container port 6380"]);
}

#[test]
fn supervise_config_keeps_policies() {
    let out = config_in(&scenario("supervise"), &[], &[]);
    out.success();
    let v = out.yaml();
    assert_eq!(v["services"]["flaky"]["restart"], "on-failure:3");
    assert_eq!(v["services"]["web"]["init"], true);
    assert_eq!(v["services"]["web"]["stop_grace_period"], "3s");
}

#[test]
fn kitchen_sink_renders_valid_compose_with_every_profile() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/kitchen-sink");
    for args in [&[][..], &["--profile", "*"][..]] {
        let mut a: Vec<&str> = args.to_vec();
        a.extend(["config", "--format", "json"]);
        let a: Vec<String> = a.iter().map(|s| s.to_string()).collect();
        let out = run_in(&dir, &a, &[], None);
        out.success();
        assert_valid_compose(&out.json(), "kitchen-sink");
    }
    let out = config_in(&dir, &["--format", "json"], &[]);
    let v = out.json();
    let web = &v["services"]["web"];
    assert_eq!(web["environment"]["FROM_ENV_FILE"], "yes");
    assert_eq!(web["environment"]["MODE"], "production");
    assert_eq!(
        web["restart"], "unless-stopped",
        "merge key from x-defaults"
    );
    assert_eq!(
        web["command"],
        serde_json::json!(["serve", "--port", "8080"])
    );
    assert_eq!(
        web["expose"],
        serde_json::json!(["3000", "4000/udp", "4001/udp"])
    );
    assert_eq!(web["healthcheck"]["start_interval"], "500ms");
    assert_eq!(web["stop_grace_period"], "1m30s");
    assert_eq!(v["volumes"]["shared"]["name"], "team-shared");
    assert!(
        v["services"].get("worker").is_none(),
        "profiled service left out"
    );
    let out = config_in(&dir, &["--profile", "workers", "--format", "json"], &[]);
    assert_eq!(out.json()["services"]["worker"]["deploy"]["replicas"], 2);
    assert_eq!(
        out.json()["services"]["worker"]["command"],
        serde_json::json!(["work"])
    );
}

#[test]
fn job_sidecars_render_valid_compose() {
    let out = config_in(&scenario("ci-job"), &["--format", "json"], &[]);
    out.success();
    let v = out.json();
    let as_compose = serde_json::json!({ "name": v["name"], "services": v["services"] });
    assert_valid_compose(&as_compose, "ci-job sidecars");
}

#[test]
fn the_schema_check_rejects_invalid_compose() {
    let v = validator();
    for bad in [
        serde_json::json!({"services": {"web": {"imag": "x"}}}),
        serde_json::json!({"services": {"web": {"ports": [{"target": 80, "bogus": 1}]}}}),
        serde_json::json!({"services": {"web": {"depends_on": {"db": {"condition": "ready"}}}}}),
    ] {
        assert!(!v.is_valid(&bad), "accepted {bad}");
    }
}
