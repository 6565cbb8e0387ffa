//! `sidepod config` on fixture files: interpolation, merging, discovery, environment,
//! profiles, extends and project names, as a user sees them.

mod common;

use common::Test;
use serde_json::{json, Value};

fn env_of(out: &Value, service: &str) -> Value {
    out["services"][service]["environment"].clone()
}

#[test]
fn interpolation_table_through_config() {
    let cases: &[(&str, &str)] = &[
        ("${SET}", "value"),
        ("$SET", "value"),
        ("pre-${SET}-post", "pre-value-post"),
        ("${UNSET:-fallback}", "fallback"),
        ("${EMPTY:-fallback}", "fallback"),
        ("${EMPTY-fallback}", ""),
        ("${UNSET-fallback}", "fallback"),
        ("${SET:+alt}", "alt"),
        ("${UNSET:+alt}", ""),
        ("${EMPTY+alt}", "alt"),
        ("${SET:?never}", "value"),
        ("${UNSET:-${SET}}", "value"),
        ("${UNSET:-${ALSO:-deep}}", "deep"),
        ("$${SET}", "${SET}"),
        ("cost $$5", "cost $5"),
    ];
    let mut compose = String::from("services:\n  app:\n    image: busybox\n    environment:\n");
    for (i, (input, _)) in cases.iter().enumerate() {
        compose.push_str(&format!("      V{i}: \"{input}\"\n"));
    }
    let out = Test::new()
        .file("compose.yaml", &compose)
        .env("SET", "value")
        .env("EMPTY", "")
        .args(&["config", "--format", "json"])
        .run();
    out.success();
    let env = env_of(&out.json(), "app");
    for (i, (input, want)) in cases.iter().enumerate() {
        // JSON output escapes `$` as `$$` so that it reads back the same.
        let got = env[format!("V{i}")].as_str().unwrap().replace("$$", "$");
        assert_eq!(&got, want, "input {input:?}");
    }
}

#[test]
fn required_variable_names_file_service_and_message() {
    Test::new()
        .file(
            "compose.yaml",
            "services:\n  db:\n    image: \"postgres:${PG_VERSION:?set PG_VERSION to 15 or 16}\"\n",
        )
        .args(&["config"])
        .run()
        .config_error(&[
            "compose.yaml",
            "service \"db\"",
            "image",
            "set PG_VERSION to 15 or 16",
        ]);
}

#[test]
fn unset_variables_warn_on_stderr() {
    let out = Test::new()
        .file(
            "compose.yaml",
            "services:\n  app:\n    image: \"busybox:${TAG}\"\n",
        )
        .args(&["config"])
        .run();
    out.success();
    assert!(out.stderr.contains("\"TAG\" is not set"), "{}", out.stderr);
    assert_eq!(out.yaml()["services"]["app"]["image"], "busybox:");
}

#[test]
fn invalid_template_is_explained() {
    Test::new()
        .file(
            "compose.yaml",
            "services:\n  app:\n    image: busybox\n    command: echo ${1}\n",
        )
        .args(&["config"])
        .run()
        .config_error(&["service \"app\": command", "write a literal $ as $$"]);
}

const BASE: &str = "services:
  web:
    image: web:1
    command: [serve, --base]
    environment: [A=base, B=base]
    ports: [\"8080:80\"]
    volumes: [\"./data:/data\", \"./logs:/logs\"]
";

#[test]
fn two_files_merge_in_order() {
    let out = Test::new()
        .file("base.yaml", BASE)
        .file(
            "over.yaml",
            "services:\n  web:\n    image: web:2\n    command: [serve]\n    environment: {B: over, C: over}\n    ports: [\"9090:90\"]\n    volumes: [\"./other:/data:ro\"]\n",
        )
        .args(&["-f", "base.yaml", "-f", "over.yaml", "config", "--format", "json"])
        .run();
    out.success();
    let web = &out.json()["services"]["web"];
    assert_eq!(web["image"], "web:2");
    assert_eq!(web["command"], json!(["serve"]), "command replaces");
    assert_eq!(
        web["environment"],
        json!({"A": "base", "B": "over", "C": "over"})
    );
    let published: Vec<&str> = web["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["published"].as_str().unwrap())
        .collect();
    assert_eq!(published, ["8080", "9090"], "ports append");
    let vols = web["volumes"].as_array().unwrap();
    assert_eq!(vols.len(), 2, "volumes merge by target: {vols:?}");
    assert!(vols[0]["source"].as_str().unwrap().ends_with("/proj/other"));
    assert_eq!(vols[0]["read_only"], true);
}

#[test]
fn three_files_merge_in_order_and_last_wins() {
    let out = Test::new()
        .file("a.yaml", BASE)
        .file(
            "b.yaml",
            "services:\n  web:\n    image: web:b\n    environment: {A: b}\n",
        )
        .file(
            "c.yaml",
            "services:\n  web:\n    image: web:c\n  extra:\n    image: extra\n",
        )
        .args(&[
            "-f", "a.yaml", "-f", "b.yaml", "-f", "c.yaml", "config", "--format", "json",
        ])
        .run();
    out.success();
    let v = out.json();
    assert_eq!(v["services"]["web"]["image"], "web:c");
    assert_eq!(v["services"]["web"]["environment"]["A"], "b");
    assert_eq!(v["services"]["extra"]["image"], "extra");
    // The same files in another order give another result.
    let reversed = Test::new()
        .file("a.yaml", BASE)
        .file("b.yaml", "services:\n  web:\n    image: web:b\n")
        .args(&["-f", "b.yaml", "-f", "a.yaml", "config", "--format", "json"])
        .run();
    assert_eq!(reversed.json()["services"]["web"]["image"], "web:1");
}

#[test]
fn override_file_is_discovered_and_merged() {
    for (main, over) in [
        ("compose.yaml", "compose.override.yaml"),
        ("compose.yml", "compose.override.yml"),
        ("docker-compose.yml", "docker-compose.override.yml"),
        ("docker-compose.yaml", "docker-compose.override.yaml"),
    ] {
        let out = Test::new()
            .file(main, "services:\n  web:\n    image: web:1\n")
            .file(over, "services:\n  web:\n    image: web:override\n")
            .args(&["config", "--format", "json"])
            .run();
        out.success();
        assert_eq!(
            out.json()["services"]["web"]["image"],
            "web:override",
            "{main}"
        );
    }
}

#[test]
fn compose_yaml_is_preferred_and_found_from_a_subdirectory() {
    let out = Test::new()
        .file("compose.yaml", "services:\n  a:\n    image: from-compose\n")
        .file(
            "docker-compose.yml",
            "services:\n  a:\n    image: from-docker-compose\n",
        )
        .in_dir("src/deep")
        .args(&["config", "--format", "json"])
        .run();
    out.success();
    let v = out.json();
    assert_eq!(v["services"]["a"]["image"], "from-compose");
    assert_eq!(
        v["name"], "proj",
        "the project is named after the file's directory"
    );
}

#[test]
fn no_compose_file_is_a_config_error() {
    Test::new().args(&["config"]).run().config_error(&[
        "no compose file found",
        "compose.yaml",
        "-f",
    ]);
}

#[test]
fn compose_file_variable_lists_files() {
    let out = Test::new()
        .file("one.yaml", "services:\n  a:\n    image: one\n")
        .file("two.yaml", "services:\n  a:\n    image: two\n")
        .env("COMPOSE_FILE", "one.yaml:two.yaml")
        .args(&["config", "--format", "json"])
        .run();
    out.success();
    assert_eq!(out.json()["services"]["a"]["image"], "two");
}

#[test]
fn compose_file_from_stdin() {
    let out = Test::new()
        .stdin("services:\n  a:\n    image: piped\n")
        .args(&["-f", "-", "config", "--format", "json"])
        .run();
    out.success();
    assert_eq!(out.json()["services"]["a"]["image"], "piped");
}

const ENV_COMPOSE: &str = "services:\n  app:\n    image: \"busybox:${TAG:-default}\"\n    environment:\n      LEVEL: ${LEVEL:-info}\n";

#[test]
fn shell_env_beats_dotenv_beats_defaults() {
    let image = |t: Test| {
        let out = t.args(&["config", "--format", "json"]).run();
        out.success();
        let v = out.json();
        (
            v["services"]["app"]["image"].as_str().unwrap().to_string(),
            v["services"]["app"]["environment"]["LEVEL"]
                .as_str()
                .unwrap()
                .to_string(),
        )
    };
    let base = || Test::new().file("compose.yaml", ENV_COMPOSE);
    assert_eq!(image(base()), ("busybox:default".into(), "info".into()));
    assert_eq!(
        image(base().file(".env", "TAG=dotenv\nLEVEL=debug\n")),
        ("busybox:dotenv".into(), "debug".into())
    );
    assert_eq!(
        image(base().file(".env", "TAG=dotenv\n").env("TAG", "shell")),
        ("busybox:shell".into(), "info".into())
    );
}

#[test]
fn env_file_flag_replaces_dotenv() {
    let out = Test::new()
        .file("compose.yaml", ENV_COMPOSE)
        .file(".env", "TAG=dotenv\nLEVEL=debug\n")
        .file("ci.env", "TAG=ci\n")
        .args(&["--env-file", "ci.env", "config", "--format", "json"])
        .run();
    out.success();
    let v = out.json();
    assert_eq!(v["services"]["app"]["image"], "busybox:ci");
    assert_eq!(
        v["services"]["app"]["environment"]["LEVEL"], "info",
        ".env was not read"
    );
}

#[test]
fn missing_env_file_flag_is_a_config_error() {
    Test::new()
        .file("compose.yaml", ENV_COMPOSE)
        .args(&["--env-file", "nope.env", "config"])
        .run()
        .config_error(&["cannot read", "nope.env"]);
}

#[test]
fn service_env_file_and_environment() {
    let out = Test::new()
        .file(
            "compose.yaml",
            "services:\n  app:\n    image: busybox\n    env_file: [app.env, {path: optional.env, required: false}]\n    environment:\n      B: from-environment\n      PASSTHROUGH:\n",
        )
        .file("app.env", "A: from-file\nB=from-file\nURL: http://db:5432\n")
        .env("PASSTHROUGH", "from-shell")
        .args(&["config", "--format", "json"])
        .run();
    out.success();
    assert_eq!(
        env_of(&out.json(), "app"),
        json!({"A": "from-file", "B": "from-environment", "PASSTHROUGH": "from-shell", "URL": "http://db:5432"})
    );
}

const PROFILES: &str = "services:
  app:
    image: app
  debug:
    image: debugger
    profiles: [debug]
  docs:
    image: docs
    profiles: [docs, all]
";

#[test]
fn profiles_enable_services() {
    let services = |args: &[&str], env: Option<&str>| {
        let mut t = Test::new().file("compose.yaml", PROFILES);
        if let Some(p) = env {
            t = t.env("COMPOSE_PROFILES", p);
        }
        let mut a = args.to_vec();
        a.extend(["config", "--services"]);
        let out = t.args(&a).run();
        out.success();
        out.stdout.lines().map(str::to_string).collect::<Vec<_>>()
    };
    assert_eq!(services(&[], None), ["app"]);
    assert_eq!(services(&["--profile", "debug"], None), ["app", "debug"]);
    assert_eq!(
        services(&["--profile", "debug", "--profile", "docs"], None),
        ["app", "debug", "docs"]
    );
    assert_eq!(services(&[], Some("docs,debug")), ["app", "debug", "docs"]);
    assert_eq!(
        services(&["--profile", "*"], None),
        ["app", "debug", "docs"]
    );
}

#[test]
fn depending_on_a_disabled_profile_says_which_profile() {
    Test::new()
        .file(
            "compose.yaml",
            "services:\n  app:\n    image: app\n    depends_on: [debug]\n  debug:\n    image: d\n    profiles: [debug]\n",
        )
        .args(&["config"])
        .run()
        .config_error(&["service \"app\"", "only in profile(s) debug", "--profile"]);
}

#[test]
fn extends_in_the_same_file() {
    let out = Test::new()
        .file(
            "compose.yaml",
            "services:
  base:
    image: base:1
    environment: {A: base, B: base}
    command: [base]
  child:
    extends: base
    environment: {B: child}
  grandchild:
    extends: {service: child}
    command: [grand]
",
        )
        .args(&["config", "--format", "json"])
        .run();
    out.success();
    let v = out.json();
    assert_eq!(v["services"]["child"]["image"], "base:1");
    assert_eq!(env_of(&v, "child"), json!({"A": "base", "B": "child"}));
    assert_eq!(v["services"]["grandchild"]["command"], json!(["grand"]));
    assert_eq!(env_of(&v, "grandchild"), json!({"A": "base", "B": "child"}));
}

#[test]
fn extends_from_another_file_keeps_its_relative_paths() {
    let t = Test::new()
        .file(
            "common/services.yaml",
            "services:\n  web:\n    image: web:common\n    volumes: [\"./static:/static\"]\n    env_file: web.env\n",
        )
        .file("common/web.env", "FROM_COMMON=yes\n")
        .file(
            "compose.yaml",
            "services:\n  app:\n    extends: {file: common/services.yaml, service: web}\n    image: web:app\n",
        );
    let out = t.args(&["config", "--format", "json"]).run();
    out.success();
    let app = &out.json()["services"]["app"];
    assert_eq!(app["image"], "web:app");
    assert_eq!(app["environment"]["FROM_COMMON"], "yes");
    let source = app["volumes"][0]["source"].as_str().unwrap();
    assert!(source.ends_with("/proj/common/static"), "{source}");
}

#[test]
fn extends_cycle_is_named() {
    Test::new()
        .file(
            "compose.yaml",
            "services:\n  a:\n    extends: b\n    image: x\n  b:\n    extends: a\n",
        )
        .args(&["config"])
        .run()
        .config_error(&[
            "extends forms a cycle",
            "compose.yaml:a -> compose.yaml:b -> compose.yaml:a",
        ]);
}

#[test]
fn project_name_precedence() {
    let name = |t: Test| {
        let out = t.args(&["config", "--format", "json"]).run();
        out.success();
        out.json()["name"].as_str().unwrap().to_string()
    };
    let with_name = || {
        Test::new().file(
            "compose.yaml",
            "name: from-file\nservices:\n  a:\n    image: x\n",
        )
    };
    let without = || Test::new().file("compose.yaml", "services:\n  a:\n    image: x\n");
    assert_eq!(name(without()), "proj");
    assert_eq!(name(with_name()), "from-file");
    assert_eq!(
        name(with_name().env("COMPOSE_PROJECT_NAME", "from-env")),
        "from-env"
    );
    assert_eq!(
        name(
            with_name()
                .env("COMPOSE_PROJECT_NAME", "from-env")
                .args(&["-p", "from-flag"])
        ),
        "from-flag"
    );
    // A name from the file is normalised, as compose-go normalises it.
    assert_eq!(
        name(Test::new().file(
            "compose.yaml",
            "name: My_Shop.v2\nservices:\n  a:\n    image: x\n"
        )),
        "my_shopv2"
    );
    assert_eq!(
        name(with_name().file(".env", "COMPOSE_PROJECT_NAME=dotenv\n")),
        "dotenv"
    );
}

#[test]
fn invalid_project_names_are_config_errors() {
    Test::new()
        .file("compose.yaml", "services:\n  a:\n    image: x\n")
        .args(&["-p", "my project", "config"])
        .run()
        .config_error(&["invalid project name \"my project\"", "-p"]);
    // `-p` and COMPOSE_PROJECT_NAME must already be in normal form: compose-go refuses
    // what it would have to change.
    Test::new()
        .file("compose.yaml", "services:\n  a:\n    image: x\n")
        .args(&["-p", "MY_PROJECT", "config"])
        .run()
        .config_error(&[
            "invalid project name \"MY_PROJECT\"",
            "lower case: my_project",
        ]);
    Test::new()
        .file("compose.yaml", "services:\n  a:\n    image: x\n")
        .env("COMPOSE_PROJECT_NAME", "_bad")
        .args(&["config"])
        .run()
        .config_error(&["invalid project name", "start with a letter or digit"]);
    Test::new()
        .file(
            "compose.yaml",
            "name: \"__\"\nservices:\n  a:\n    image: x\n",
        )
        .args(&["config"])
        .run()
        .config_error(&["invalid project name", "nothing usable is left"]);
}

#[test]
fn output_is_deterministic_and_reads_back_the_same() {
    let compose = "services:
  z:
    image: z
    environment: {Q: \"$$HOME\", A: \"1\"}
    ports: [\"127.0.0.1:5432:5432\", \"9000-9001:8000-8001/udp\"]
    volumes: [\"data:/var/lib/data\", \"./src:/src:ro,z\", \"/anon\"]
    healthcheck: {test: \"curl -f localhost\", interval: 1m30s, start_period: 500ms}
    depends_on: {a: {condition: service_healthy}}
    restart: on-failure:2
    ulimits: {nofile: {soft: 1024, hard: 2048}, nproc: 512}
    shm_size: 64m
    extra_hosts: [\"gateway:10.0.0.1\"]
  a:
    image: a
    healthcheck: {test: [CMD, true]}
volumes:
  data:
";
    let t = Test::new().file("compose.yaml", compose).args(&["config"]);
    let first = t.run();
    first.success();
    assert_eq!(first.stdout, t.run().stdout, "same input, same bytes");
    // Feeding the output back gives the same output.
    let again = t.file("compose.yaml", &first.stdout).run();
    again.success();
    assert_eq!(first.stdout, again.stdout);
    let v = first.yaml();
    assert_eq!(v["services"]["z"]["environment"]["Q"], "$$HOME");
    assert_eq!(v["services"]["z"]["healthcheck"]["interval"], "1m30s");
    assert_eq!(
        v["services"]["z"]["healthcheck"]["test"],
        json!(["CMD-SHELL", "curl -f localhost"])
    );
    assert_eq!(v["volumes"]["data"]["name"], "proj_data");
    assert_eq!(v["services"]["z"]["shm_size"], 67108864);
}

#[test]
fn services_volumes_quiet_and_json() {
    let t = || {
        Test::new().file(
            "compose.yaml",
            "services:\n  web:\n    image: w\n  db:\n    image: d\n    volumes: [pg:/var/lib/pg]\nvolumes:\n  pg:\n  cache:\n",
        )
    };
    let out = t().args(&["config", "--services"]).run();
    assert_eq!(out.stdout, "db\nweb\n");
    let out = t().args(&["config", "--volumes"]).run();
    assert_eq!(out.stdout, "cache\npg\n");
    let out = t().args(&["config", "-q"]).run();
    out.success();
    assert_eq!(out.stdout, "");
    let out = t().args(&["config", "--format", "json"]).run();
    assert_eq!(out.json()["services"]["db"]["volumes"][0]["source"], "pg");
}

#[test]
fn quiet_still_fails_on_bad_input() {
    Test::new()
        .file("compose.yaml", "services:\n  web:\n    imag: w\n")
        .args(&["config", "-q"])
        .run()
        .config_error(&["unknown key \"imag\""]);
}

#[test]
fn yaml_anchors_and_merge_keys_and_extensions() {
    let out = Test::new()
        .file(
            "compose.yaml",
            "x-common: &common\n  image: shared:1\n  environment: {SHARED: \"yes\"}\nservices:\n  a:\n    <<: *common\n    x-note: ignored\n  b:\n    <<: *common\n    image: own\n",
        )
        .args(&["config", "--format", "json"])
        .run();
    out.success();
    let v = out.json();
    assert_eq!(v["services"]["a"]["image"], "shared:1");
    assert_eq!(v["services"]["b"]["image"], "own");
    assert_eq!(v["services"]["b"]["environment"]["SHARED"], "yes");
    assert!(v.get("x-common").is_none());
}

#[test]
fn separate_networks_are_isolated_in_bridge_mode_and_config_says_so() {
    let out = Test::new()
        .file(
            "compose.yaml",
            "services:\n  a:\n    image: a\n    networks: [front]\n  b:\n    image: b\n    networks: [back]\nnetworks:\n  front:\n  back:\n",
        )
        .args(&["config", "-q"])
        .run();
    out.success();
    assert!(
        out.stderr.contains("`up` runs this stack in bridge mode")
            && out
                .stderr
                .contains("services \"a\" and \"b\" are on separate networks"),
        "{}",
        out.stderr
    );
}

#[test]
fn network_aliases_links_and_names_are_kept() {
    let out = Test::new()
        .file(
            "compose.yaml",
            "services:\n  db:\n    image: pg\n    container_name: pg-main\n    hostname: database\n    networks:\n      default:\n        aliases: [postgres]\n  app:\n    image: app\n    links: [\"db:sql\"]\n",
        )
        .args(&["config", "--format", "json"])
        .run();
    out.success();
    let v = out.json();
    assert_eq!(
        v["services"]["db"]["networks"]["default"]["aliases"],
        json!(["postgres"])
    );
    assert_eq!(v["services"]["app"]["links"], json!(["db:sql"]));
    assert_eq!(
        v["services"]["app"]["depends_on"]["db"]["condition"],
        "service_started"
    );
}

#[test]
fn bad_flags_are_usage_errors() {
    let out = Test::new().args(&["config", "--no-such-flag"]).run();
    assert_eq!(out.code, 2, "{}", out.stderr);
    let out = Test::new().args(&["config", "--format", "toml"]).run();
    assert_eq!(out.code, 2);
}

#[test]
fn version_prints_the_version() {
    let out = Test::new().args(&["version"]).run();
    out.success();
    assert_eq!(
        out.stdout,
        format!("sidepod {}\n", env!("CARGO_PKG_VERSION"))
    );
    let short = Test::new().args(&["version", "--short"]).run();
    assert_eq!(short.stdout, format!("{}\n", env!("CARGO_PKG_VERSION")));
    let json = Test::new().args(&["version", "--format", "json"]).run();
    assert_eq!(json.json()["version"], env!("CARGO_PKG_VERSION"));
}

#[test]
fn config_lists_images_profiles_hashes_and_the_environment() {
    let compose = "services:
  web:
    image: nginx:${TAG:-1.27}
  api:
    build: .
    profiles: [backend]
  tools:
    image: busybox
    profiles: [debug, backend]
";
    let t = || {
        Test::new()
            .file("compose.yaml", compose)
            .file(".env", "TAG=1.25\nFROM_DOTENV=yes\n")
            .file("Dockerfile", "FROM busybox\n")
    };
    let images = t()
        .args(&["--profile", "backend", "config", "--images"])
        .run();
    images.success();
    let lines: Vec<&str> = images.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", images.stdout);
    assert!(lines.contains(&"nginx:1.25"), "{}", images.stdout);
    assert!(lines.contains(&"busybox"), "{}", images.stdout);
    assert!(
        lines.iter().any(|l| l.ends_with("-api:latest")),
        "{}",
        images.stdout
    );
    // Every profile of the file, whether active or not.
    let profiles = t().args(&["config", "--profiles"]).run();
    assert_eq!(profiles.stdout, "backend\ndebug\n");
    let hashes = t().args(&["config", "--hash", "*"]).run();
    hashes.success();
    let web = hashes
        .stdout
        .lines()
        .find(|l| l.starts_with("web "))
        .unwrap();
    assert_eq!(web.split(' ').nth(1).unwrap().len(), 16, "{web}");
    let one = t().args(&["config", "--hash", "web"]).run();
    assert_eq!(one.stdout, format!("{web}\n"));
    let changed = t()
        .file(".env", "TAG=1.26\n")
        .args(&["config", "--hash", "web"])
        .run();
    assert_ne!(changed.stdout, one.stdout);
    let unknown = t().args(&["config", "--hash", "nope"]).run();
    assert_ne!(unknown.code, 0);
    assert!(unknown.stderr.contains("nope"), "{}", unknown.stderr);
    let env = t().args(&["config", "--environment"]).run();
    env.success();
    assert!(
        env.stdout.lines().any(|l| l == "FROM_DOTENV=yes"),
        "{}",
        env.stdout
    );
    assert!(
        env.stdout.lines().any(|l| l == "TAG=1.25"),
        "{}",
        env.stdout
    );
}

#[test]
fn resource_limits_in_both_forms_and_runtime_settings_are_normalised() {
    let out = Test::new()
        .file(
            "compose.yaml",
            "services:
  app:
    image: busybox
    mem_limit: 1.5g
    memswap_limit: -1
    cpus: 0.5
    pids_limit: 100
    sysctls: {net.core.somaxconn: 1024}
    group_add: [100]
    logging: {driver: journald, options: {tag: app}}
  worker:
    image: busybox
    deploy:
      resources:
        limits: {memory: 256M, cpus: '2', pids: 64}
        reservations: {memory: 128M}
",
        )
        .args(&["config", "--format", "json"])
        .run();
    out.success();
    let json = out.json();
    let app = &json["services"]["app"];
    assert_eq!(app["mem_limit"], 1610612736u64);
    assert_eq!(app["memswap_limit"], -1);
    assert_eq!(app["cpus"], "0.5");
    assert_eq!(app["pids_limit"], 100);
    assert_eq!(app["sysctls"], json!({"net.core.somaxconn": "1024"}));
    assert_eq!(app["group_add"], json!(["100"]));
    assert_eq!(
        app["logging"],
        json!({"driver": "journald", "options": {"tag": "app"}})
    );
    let worker = &json["services"]["worker"];
    assert_eq!(worker["mem_limit"], 268435456u64);
    assert_eq!(worker["mem_reservation"], 134217728u64);
    assert_eq!(worker["cpus"], "2");
    assert_eq!(worker["pids_limit"], 64);
    assert!(worker.get("deploy").is_none(), "{worker}");
}

#[test]
fn secrets_and_configs_from_files_get_their_mount_points() {
    let t = Test::new()
        .file("token.txt", "t0ken\n")
        .file("app.conf", "debug = false\n")
        .file(
            "compose.yaml",
            "services:
  app:
    image: busybox
    secrets: [token, {source: token, target: api-token}]
    configs: [app_conf, {source: app_conf, target: /etc/app.conf}]
secrets:
  token: {file: ./token.txt}
configs:
  app_conf: {file: ./app.conf}
",
        )
        .args(&["config", "--format", "json"]);
    let out = t.run();
    out.success();
    let json = out.json();
    let dir = t.cwd().canonicalize().unwrap();
    assert_eq!(
        json["secrets"]["token"]["file"],
        dir.join("token.txt").to_str().unwrap()
    );
    assert_eq!(
        json["services"]["app"]["secrets"],
        json!([
            {"source": "token", "target": "/run/secrets/token"},
            {"source": "token", "target": "/run/secrets/api-token"},
        ])
    );
    assert_eq!(
        json["services"]["app"]["configs"],
        json!([
            {"source": "app_conf", "target": "/app_conf"},
            {"source": "app_conf", "target": "/etc/app.conf"},
        ])
    );
}

#[test]
fn included_files_bring_their_services_with_their_own_paths() {
    let t = Test::new()
        .file(
            "db/compose.yaml",
            "services:
  db:
    build: .
    image: localhost/db
    volumes: [./data:/data]
    secrets: [pw]
  migrate:
    extends: db
    command: [migrate]
volumes:
  cache: {}
secrets:
  pw: {file: ./pw.txt}
",
        )
        .file("db/pw.txt", "pw\n")
        .file(
            "compose.yaml",
            "include: [db/compose.yaml]
services:
  web:
    image: busybox
    depends_on: [db]
    volumes: [cache:/cache]
",
        )
        .args(&["config", "--format", "json"]);
    let out = t.run();
    out.success();
    let json = out.json();
    let db_dir = t.cwd().canonicalize().unwrap().join("db");
    let db = &json["services"]["db"];
    assert_eq!(db["build"]["context"], db_dir.to_str().unwrap());
    assert_eq!(
        db["volumes"][0]["source"],
        db_dir.join("data").to_str().unwrap()
    );
    assert_eq!(
        json["secrets"]["pw"]["file"],
        db_dir.join("pw.txt").to_str().unwrap()
    );
    assert_eq!(json["services"]["migrate"]["command"], json!(["migrate"]));
    assert!(json["volumes"]["cache"].is_object(), "{json}");
    assert!(json["services"]["web"].is_object(), "{json}");

    // A service this file defines too is merged over the included one, as compose-go
    // merges it: the local image wins, the included command stays.
    let merged = Test::new()
        .file(
            "other.yaml",
            "services:\n  web:\n    image: nginx\n    command: [serve]\n",
        )
        .file(
            "compose.yaml",
            "include: [other.yaml]\nservices:\n  web:\n    image: busybox\n",
        )
        .args(&["config", "--format", "json"])
        .run();
    merged.success();
    let web = &merged.json()["services"]["web"];
    assert_eq!(web["image"], "busybox");
    assert_eq!(web["command"], json!(["serve"]));
}

#[test]
fn volumes_from_keeps_its_sources_and_orders_the_start() {
    let out = Test::new()
        .file(
            "compose.yaml",
            "services:
  data:
    image: busybox
  app:
    image: busybox
    volumes_from: [\"data:ro\", \"container:shared-cache\"]
",
        )
        .args(&["config", "--format", "json"])
        .run();
    out.success();
    let app = &out.json()["services"]["app"];
    assert_eq!(
        app["volumes_from"],
        json!(["data:ro", "container:shared-cache"])
    );
    assert_eq!(
        app["depends_on"],
        json!({"data": {"condition": "service_started", "required": true}})
    );
}

#[test]
fn waiting_for_the_health_of_a_service_that_disables_its_healthcheck_is_refused() {
    Test::new()
        .file(
            "compose.yaml",
            "services:\n  db:\n    image: pg\n    healthcheck: {disable: true}\n  web:\n    image: web\n    depends_on: {db: {condition: service_healthy}}\n",
        )
        .args(&["config"])
        .run()
        .config_error(&[
            "compose.yaml",
            "service \"web\": depends_on.db",
            "\"db\" disables its healthcheck",
        ]);
    // Disabled and rendered as such.
    let out = Test::new()
        .file(
            "compose.yaml",
            "services:\n  db:\n    image: pg\n    healthcheck: {test: [\"NONE\"]}\n",
        )
        .args(&["config", "--format", "json"])
        .run();
    out.success();
    assert_eq!(
        out.json()["services"]["db"]["healthcheck"],
        json!({"disable": true})
    );
}

#[test]
fn config_shows_a_stack_one_pod_cannot_hold_and_says_up_runs_it_in_bridge_mode() {
    let t = Test::new().file(
        "compose.yaml",
        "services:\n  web1: {image: busybox, expose: ['5000']}\n  web2: {image: busybox, expose: ['5000']}\n",
    );
    let out = t.args(&["config", "--format", "json"]).run();
    out.success();
    assert!(out.json()["services"]["web2"].is_object());
    assert!(
        out.stderr.contains("`up` runs this stack in bridge mode")
            && out.stderr.contains("both declare container port 5000/tcp"),
        "{}",
        out.stderr
    );
    // Replicas on one host port fail in any layout: `up` refuses them.
    let out = Test::new()
        .file(
            "compose.yaml",
            "services:\n  web: {image: busybox, ports: ['8080:80'], deploy: {replicas: 2}}\n",
        )
        .args(&["config", "-q"])
        .run();
    out.success();
    assert!(
        out.stderr.contains("`up` refuses this stack as it is")
            && out
                .stderr
                .contains("2 replicas that would all publish host port 8080"),
        "{}",
        out.stderr
    );
    // A cycle is still an error: docker compose refuses it too.
    Test::new()
        .file(
            "compose.yaml",
            "services:\n  a: {image: busybox, expose: ['1'], depends_on: [b]}\n  b: {image: busybox, expose: ['1'], depends_on: [a]}\n",
        )
        .args(&["config"])
        .run()
        .config_error(&["dependency cycle"]);
}

#[test]
fn a_global_option_after_the_command_says_where_it_belongs() {
    let out = Test::new().args(&["ps", "-p", "shop", "-a"]).run();
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("`-p` is an option of sidepod itself, not of `ps`")
            && out.stderr.contains("sidepod -p shop ps -a"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("'-- -p'"), "{}", out.stderr);
    let logs = Test::new()
        .file("compose.yaml", "services:\n  web: {image: busybox}\n")
        .args(&["logs", "-f", "compose.yaml"])
        .run();
    assert_eq!(logs.code, 2, "{}", logs.stderr);
    assert!(
        logs.stderr.contains("no such service: compose.yaml")
            && logs.stderr.contains("sidepod -f compose.yaml"),
        "{}",
        logs.stderr
    );
}

#[test]
fn no_interpolate_shows_the_variables_as_written_and_refuses_a_job_file() {
    let compose = "services:\n  web:\n    image: \"nginx:${TAG:-latest}\"\n    \
                   environment:\n      GREETING: \"hello $USER_NAME\"\n";
    let t = Test::new()
        .file("compose.yaml", compose)
        .env("TAG", "1.27")
        .env("USER_NAME", "ada");
    let out = t.args(&["config", "--no-interpolate"]).run();
    out.success();
    assert!(
        out.stdout.contains("image: nginx:${TAG:-latest}"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("hello $USER_NAME"), "{}", out.stdout);
    assert!(!out.stdout.contains("$$"), "{}", out.stdout);
    // Interpolated as usual without the flag.
    let t = Test::new()
        .file("compose.yaml", compose)
        .env("TAG", "1.27")
        .env("USER_NAME", "ada");
    let out = t.args(&["config"]).run();
    out.success();
    assert!(out.stdout.contains("image: nginx:1.27") && out.stdout.contains("hello ada"));
    // A job file's variables are interpolated as it loads: a usage error, exit 2.
    let job = Test::new()
        .file(
            "sidepod.yaml",
            "container:\n  image: busybox\nsteps:\n  - run: 'true'\n",
        )
        .args(&["-f", "sidepod.yaml", "config", "--no-interpolate"])
        .run();
    assert_eq!(job.code, 2, "{}", job.stderr);
    assert!(job.stderr.contains("--no-interpolate"), "{}", job.stderr);
}
