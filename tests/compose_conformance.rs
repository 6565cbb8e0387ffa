//! Conformance with compose-go, the library docker compose is built on: table tests of
//! its template, merge, reset/override, extends, include, project-name and `.env` rules,
//! each written from the behaviour compose-go's own tests assert, and each checked
//! through `sidepod config --format json` as a user would see it.
//!
//! `config` writes every `$` of a value as `$$`, so that its output reads back the same;
//! the expected values below are in that form.

mod common;

use common::Test;
use serde_json::{json, Value};

/// One case: files (path, text), shell variables, extra arguments before `config`, and
/// the JSON pointers into `config --format json` with the values they must hold
/// (`null`: the key must be absent; `{proj}` in a string: the case's project directory).
struct Case {
    name: &'static str,
    files: &'static [(&'static str, &'static str)],
    env: &'static [(&'static str, &'static str)],
    args: &'static [&'static str],
    expect: Vec<(&'static str, Value)>,
}

fn case(name: &'static str, files: &'static [(&'static str, &'static str)]) -> Case {
    Case {
        name,
        files,
        env: &[],
        args: &[],
        expect: Vec::new(),
    }
}

impl Case {
    fn env(mut self, env: &'static [(&'static str, &'static str)]) -> Self {
        self.env = env;
        self
    }
    fn args(mut self, args: &'static [&'static str]) -> Self {
        self.args = args;
        self
    }
    fn is(mut self, pointer: &'static str, value: Value) -> Self {
        self.expect.push((pointer, value));
        self
    }
}

/// Runs every case; reports all that fail at once.
fn check(cases: Vec<Case>) {
    let total = cases.len();
    let mut failures = Vec::new();
    for c in cases {
        let mut t = Test::new();
        for (path, text) in c.files {
            t = t.file(path, text);
        }
        for (k, v) in c.env {
            t = t.env(k, v);
        }
        let mut args: Vec<&str> = c.args.to_vec();
        args.extend(["config", "--format", "json"]);
        let t = t.args(&args);
        let out = t.run();
        if out.code != 0 {
            failures.push(format!(
                "{}: exit {}: {}",
                c.name,
                out.code,
                out.stderr.trim()
            ));
            continue;
        }
        let json = out.json();
        let proj = t.cwd().canonicalize().unwrap().display().to_string();
        for (pointer, want) in &c.expect {
            let want = &match want {
                Value::String(s) => json!(s.replace("{proj}", &proj)),
                other => other.clone(),
            };
            let got = json.pointer(pointer).cloned().unwrap_or(Value::Null);
            if &got != want {
                failures.push(format!("{}: {pointer} is {got}, want {want}", c.name));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {total} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A one-service file whose environment holds `VALUE: <template>`.
macro_rules! template {
    ($template:literal) => {
        &[(
            "compose.yaml",
            concat!(
                "services:\n  app:\n    image: busybox\n    environment:\n      VALUE: ",
                $template,
                "\n"
            ),
        )]
    };
}

const VARS: &[(&str, &str)] = &[("SET", "set"), ("EMPTY", "")];
const VALUE: &str = "/services/app/environment/VALUE";

#[test]
fn templates_resolve_as_compose_go_resolves_them() {
    let t = |name, files: &'static [(&'static str, &'static str)], want: &str| {
        case(name, files).env(VARS).is(VALUE, json!(want))
    };
    check(vec![
        t("braced", template!("${SET}"), "set"),
        t("plain", template!("$SET"), "set"),
        t("default if unset", template!("${UNSET:-def}"), "def"),
        t("default if empty", template!("${EMPTY:-def}"), "def"),
        t(
            "default only if unset, empty",
            template!("${EMPTY-def}"),
            "",
        ),
        t(
            "default only if unset, unset",
            template!("${UNSET-def}"),
            "def",
        ),
        t("alternative if set", template!("${SET:+alt}"), "alt"),
        t(
            "alternative if non-empty, empty",
            template!("${EMPTY:+alt}"),
            "",
        ),
        t(
            "alternative if set, empty",
            template!("${EMPTY+alt}"),
            "alt",
        ),
        t("alternative, unset", template!("${UNSET+alt}"), ""),
        t("nested default", template!("${UNSET:-${SET}}"), "set"),
        t(
            "nested twice",
            template!("${UNSET:-${ALSO_UNSET:-deep}}"),
            "deep",
        ),
        t("two in a row", template!("${SET}${SET}"), "setset"),
        t("text after the word", template!("'${UNSET:-a}b}'"), "ab}"),
        t("lone dollar", template!("'a $ string'"), "a $$ string"),
        t("dollar at the end", template!("'^REGEX$'"), "^REGEX$$"),
        t("dollar before a brace", template!("'$}'"), "$$}"),
        t(
            "dollar before a digit",
            template!("'$1 and 5$'"),
            "$$1 and 5$$",
        ),
        t(
            "command substitution",
            template!("'$(date +%s)'"),
            "$$(date +%s)",
        ),
        t("escaped dollar", template!("$$SET"), "$$SET"),
        t("escaped in a default", template!("${UNSET:-$$}"), "$$"),
        t(
            "braces in a default",
            template!("'${UNSET:-{\"json\":2}}'"),
            "{\"json\":2}",
        ),
        t(
            "braces in an unused default",
            template!("'${SET:-{\"json\":2}}'"),
            "set",
        ),
        t(
            "alternative with the variable",
            template!("'${SET:+[$SET]}'"),
            "[set]",
        ),
    ]);
}

#[test]
fn a_lone_dollar_in_a_command_stays() {
    check(vec![case(
        "sh -c with $(...)",
        &[(
            "compose.yaml",
            "services:\n  app:\n    image: busybox\n    command: [sh, -c, 'echo $(hostname) $HOME$']\n",
        )],
    )
    .is("/services/app/command/2", json!("echo $$(hostname) /home/tester$$"))]);
}

#[test]
fn template_errors_name_the_key() {
    for (template, phrase) in [
        (
            "${UNSET:?set it please}",
            "required variable UNSET is missing a value: set it please",
        ),
        ("${EMPTY:?}", "required variable EMPTY is missing a value"),
        ("${UNSET?}", "required variable UNSET is missing a value"),
        ("'${}'", "does not start with a variable name"),
        ("'${SET'", "missing closing"),
        ("'${SET:x}'", "unknown modifier"),
    ] {
        Test::new()
            .file(
                "compose.yaml",
                &format!("services:\n  app:\n    image: busybox\n    environment:\n      VALUE: {template}\n"),
            )
            .env("SET", "set")
            .env("EMPTY", "")
            .args(&["config"])
            .run()
            .config_error(&["service \"app\": environment.VALUE", phrase]);
    }
}

/// A base file and an override file, found by discovery.
macro_rules! merged {
    ($base:literal, $over:literal) => {
        &[
            (
                "compose.yaml",
                concat!("services:\n  app:\n    image: busybox\n", $base),
            ),
            (
                "compose.override.yaml",
                concat!("services:\n  app:\n", $over),
            ),
        ]
    };
}

#[test]
fn merges_follow_compose_go_override_rules() {
    let app =
        |k: &str| -> &'static str { Box::leak(format!("/services/app/{k}").into_boxed_str()) };
    check(vec![
        case("command replaces", merged!("    command: [a, b]\n", "    command: [c]\n"))
            .is(app("command"), json!(["c"])),
        case("entrypoint replaces", merged!("    entrypoint: [a, b]\n", "    entrypoint: c\n"))
            .is(app("entrypoint"), json!(["c"])),
        case(
            "environment merges across forms",
            merged!("    environment: [A=1, B=2]\n", "    environment: {B: '3', C: '4'}\n"),
        )
        .is(app("environment"), json!({"A": "1", "B": "3", "C": "4"})),
        case(
            "a variable without a value replaces one with a value",
            merged!("    environment: {A: '1'}\n", "    environment: [A]\n"),
        )
        .is(app("environment/A"), Value::Null),
        case(
            "labels merge across forms",
            merged!("    labels: [a=1]\n", "    labels: {b: '2'}\n"),
        )
        .is(app("labels"), json!({"a": "1", "b": "2"})),
        case(
            "sysctls merge across forms",
            merged!("    sysctls: {net.core.somaxconn: 1024}\n", "    sysctls: [net.ipv4.ip_forward=1]\n"),
        )
        .is(app("sysctls"), json!({"net.core.somaxconn": "1024", "net.ipv4.ip_forward": "1"})),
        case(
            "dns as a string appends",
            merged!("    dns: 8.8.8.8\n", "    dns: [1.1.1.1, 8.8.8.8]\n"),
        )
        .is(app("dns"), json!(["8.8.8.8", "1.1.1.1"])),
        case(
            "dns_search as a string appends",
            merged!("    dns_search: a.example\n", "    dns_search: b.example\n"),
        )
        .is(app("dns_search"), json!(["a.example", "b.example"])),
        case(
            "tmpfs as a string appends",
            merged!("    tmpfs: /run\n", "    tmpfs: [/tmp]\n"),
        )
        .is(app("tmpfs"), json!(["/run", "/tmp"])),
        case(
            "ports append, one of each",
            merged!("    ports: ['8080:80']\n", "    ports: ['8080:80', '9090:90']\n"),
        )
        .is(app("ports/0/published"), json!("8080"))
        .is(app("ports/1/published"), json!("9090"))
        .is(app("ports/2"), Value::Null),
        case(
            "volumes merge by target",
            merged!("    volumes: ['./a:/data', './logs:/logs']\n", "    volumes: ['./b:/data:ro']\n"),
        )
        .is(app("volumes/0/target"), json!("/data"))
        .is(app("volumes/0/read_only"), json!(true))
        .is(app("volumes/1/target"), json!("/logs"))
        .is(app("volumes/2"), Value::Null),
        case(
            "one target twice in one file: the later wins",
            merged!("    volumes: ['./a:/data', './b:/data']\n", "    init: true\n"),
        )
        .is(app("volumes/1"), Value::Null),
        case(
            "secrets merge by target",
            &[
                (
                    "compose.yaml",
                    "services:\n  app:\n    image: busybox\n    secrets: [one]\nsecrets:\n  one: {content: a}\n  two: {content: b}\n",
                ),
                (
                    "compose.override.yaml",
                    "services:\n  app:\n    secrets: [{source: two, target: /run/secrets/one}]\n",
                ),
            ],
        )
        .is(app("secrets/0/source"), json!("two"))
        .is(app("secrets/0/target"), json!("/run/secrets/one"))
        .is(app("secrets/1"), Value::Null),
        case(
            "devices merge by container path",
            merged!("    devices: ['/dev/null:/dev/x']\n", "    devices: ['/dev/zero:/dev/x']\n"),
        )
        .is(app("devices"), json!(["/dev/zero:/dev/x"])),
        case(
            "a new logging driver drops the old options",
            merged!(
                "    logging: {driver: json-file, options: {max-size: 1m}}\n",
                "    logging: {driver: journald}\n"
            ),
        )
        .is(app("logging"), json!({"driver": "journald"})),
        case(
            "the same logging driver merges options",
            merged!(
                "    logging: {driver: json-file, options: {max-size: 1m}}\n",
                "    logging: {options: {max-file: '3'}}\n"
            ),
        )
        .is(app("logging/options"), json!({"max-file": "3", "max-size": "1m"})),
        case(
            "a ulimit entry replaces",
            merged!("    ulimits: {nofile: {soft: 1024, hard: 4096}}\n", "    ulimits: {nofile: 2048}\n"),
        )
        .is(app("ulimits/nofile"), json!(2048)),
        case(
            "extra_hosts merge across forms without repeats",
            merged!(
                "    extra_hosts: {example.com: 1.2.3.4}\n",
                "    extra_hosts: [localhost=127.0.0.1, example.com=1.2.3.4, example.com=4.3.2.1]\n"
            ),
        )
        .is(
            app("extra_hosts"),
            json!(["example.com=1.2.3.4", "localhost=127.0.0.1", "example.com=4.3.2.1"]),
        ),
        case(
            "cap_add appends once",
            merged!("    cap_add: [NET_ADMIN]\n", "    cap_add: [NET_ADMIN, SYS_TIME]\n"),
        )
        .is(app("cap_add"), json!(["NET_ADMIN", "SYS_TIME"])),
        case(
            "healthcheck fields merge, its test replaces",
            merged!(
                "    healthcheck: {test: [CMD, a], interval: 5s}\n",
                "    healthcheck: {test: [CMD, b]}\n"
            ),
        )
        .is(app("healthcheck/test"), json!(["CMD", "b"]))
        .is(app("healthcheck/interval"), json!("5s")),
        case(
            "a null keeps what was there",
            merged!("    working_dir: /srv\n", "    working_dir: ~\n    init: true\n"),
        )
        .is(app("working_dir"), json!("/srv")),
        case(
            "build as a string and a mapping merge",
            &[
                ("compose.yaml", "services:\n  app:\n    build: ./src\n"),
                ("compose.override.yaml", "services:\n  app:\n    build: {target: dev}\n"),
                ("src/Dockerfile", "FROM busybox\n"),
            ],
        )
        .is(app("build/target"), json!("dev")),
        case(
            "annotations merge across forms",
            merged!("    annotations: [a=1]\n", "    annotations: {b: '2', a: '3'}\n"),
        )
        .is(app("annotations"), json!({"a": "3", "b": "2"})),
        case(
            "build args merge across forms",
            &[
                (
                    "compose.yaml",
                    "services:\n  app:\n    build: {context: ., args: [A=1, B=2]}\n",
                ),
                (
                    "compose.override.yaml",
                    "services:\n  app:\n    build: {args: {B: '3'}}\n",
                ),
            ],
        )
        .is(app("build/args"), json!({"A": "1", "B": "3"})),
        case(
            "depends_on as a list and a mapping merge",
            &[
                (
                    "compose.yaml",
                    "services:\n  app:\n    image: busybox\n    depends_on: [db]\n  db: {image: busybox}\n  cache: {image: busybox}\n",
                ),
                (
                    "compose.override.yaml",
                    "services:\n  app:\n    depends_on: {cache: {condition: service_started}}\n",
                ),
            ],
        )
        .is(app("depends_on/db/condition"), json!("service_started"))
        .is(app("depends_on/cache/condition"), json!("service_started")),
        case(
            "networks as a list and a mapping merge",
            &[
                (
                    "compose.yaml",
                    "services:\n  app:\n    image: busybox\n    networks: [front]\nnetworks: {front: {}, back: {}}\n",
                ),
                (
                    "compose.override.yaml",
                    "services:\n  app:\n    networks: {back: {aliases: [api]}}\n",
                ),
            ],
        )
        .is(app("networks/front"), Value::Null)
        .is(app("networks/back/aliases"), json!(["api"])),
        case(
            "expose and profiles stay unique",
            merged!(
                "    expose: ['80', '81']\n    profiles: [dev]\n",
                "    expose: ['81', '82']\n    profiles: [dev, test]\n"
            ),
        )
        .args(&["--profile", "dev"])
        .is(app("profiles"), json!(["dev", "test"])),
        case(
            "env_file as a string and a list append",
            &[
                ("a.env", "A=1\n"),
                ("b.env", "B=2\n"),
                ("compose.yaml", "services:\n  app:\n    image: busybox\n    env_file: a.env\n"),
                ("compose.override.yaml", "services:\n  app:\n    env_file: [b.env]\n"),
            ],
        )
        .is(app("environment"), json!({"A": "1", "B": "2"})),
        case(
            "network labels merge across forms",
            &[
                (
                    "compose.yaml",
                    "services:\n  app:\n    image: busybox\nnetworks:\n  back: {labels: [a=1]}\n",
                ),
                ("compose.override.yaml", "networks:\n  back: {labels: {b: '2'}}\n"),
            ],
        )
        .is("/networks/back/labels", json!({"a": "1", "b": "2"})),
    ]);
}

#[test]
fn reset_and_override_tags_work_at_every_depth() {
    let app =
        |k: &str| -> &'static str { Box::leak(format!("/services/app/{k}").into_boxed_str()) };
    check(vec![
        case(
            "!reset removes a key",
            merged!("    command: [a]\n    environment: {FOO: bar, KEEP: x}\n", "    command: !reset\n    environment:\n      FOO: !reset\n"),
        )
        .is(app("command"), Value::Null)
        .is(app("environment"), json!({"KEEP": "x"})),
        case(
            "!override replaces a list whole",
            merged!("    ports: ['8080:80']\n", "    ports: !override ['9090:90']\n"),
        )
        .is(app("ports/0/published"), json!("9090"))
        .is(app("ports/1"), Value::Null),
        case(
            "!reset of a network removes it",
            &[
                (
                    "compose.yaml",
                    "services:\n  app:\n    image: busybox\nnetworks:\n  test: {name: test, external: true}\n",
                ),
                ("compose.override.yaml", "networks:\n  test: !reset {}\n"),
            ],
        )
        .is("/networks/test", Value::Null),
        case(
            "!override of a network replaces it",
            &[
                (
                    "compose.yaml",
                    "services:\n  app:\n    image: busybox\nnetworks:\n  test: {name: test, external: true}\n",
                ),
                ("compose.override.yaml", "networks:\n  test: !override {}\n"),
            ],
        )
        .is("/networks/test/external", Value::Null)
        .is("/networks/test/name", json!("proj_test")),
        case(
            "!reset clears what extends brings",
            &[(
                "compose.yaml",
                "services:\n  init:\n    image: busybox\n    command: sleep infinity\n  app:\n    extends: init\n    command: !reset\n",
            )],
        )
        .is(app("command"), Value::Null)
        .is(app("image"), json!("busybox")),
        case(
            "!override over an included service",
            &[
                (
                    "other/compose.yaml",
                    "services:\n  app:\n    image: busybox\n    environment: [A=1, B=2]\n",
                ),
                (
                    "compose.yaml",
                    "include: [other/compose.yaml]\nservices:\n  app:\n    environment: !override [ZOT=QIX]\n",
                ),
            ],
        )
        .is(app("environment"), json!({"ZOT": "QIX"})),
        case(
            "!reset in one file alone drops the key",
            &[(
                "compose.yaml",
                "services:\n  app:\n    image: busybox\n    command: !reset [a]\n",
            )],
        )
        .is(app("command"), Value::Null),
    ]);
}

#[test]
fn extends_and_include_resolve_paths_and_variables_where_compose_go_does() {
    check(vec![
        case(
            "extends of an empty service",
            &[(
                "compose.yaml",
                "services:\n  app:\n    extends: {file: base.yaml, service: empty}\n    image: busybox\n",
            ), ("base.yaml", "services:\n  empty:\n")],
        )
        .is("/services/app/image", json!("busybox")),
        case(
            "extends a file that is not a whole project",
            &[
                ("common.yaml", "services:\n  web:\n    environment: [FROM_COMMON=1]\n"),
                (
                    "compose.yaml",
                    "services:\n  app:\n    image: busybox\n    extends: {file: common.yaml, service: web}\n",
                ),
            ],
        )
        .is("/services/app/environment/FROM_COMMON", json!("1")),
        case(
            "include with env_file: only the included services see it",
            &[
                ("custom.env", "VAR_NAME=value\n"),
                (
                    "module/compose.yaml",
                    "services:\n  b:\n    image: busybox\n    environment: [VAR_NAME]\n    labels: ['tag=${VAR_NAME}']\n",
                ),
                (
                    "compose.yaml",
                    "include:\n  - path: [module/compose.yaml]\n    env_file: [custom.env]\nservices:\n  a:\n    image: busybox\n    environment: [VAR_NAME]\n",
                ),
            ],
        )
        .is("/services/a/environment/VAR_NAME", Value::Null)
        .is("/services/b/environment/VAR_NAME", json!("value"))
        .is("/services/b/labels/tag", json!("value")),
        case(
            "include with a project_directory",
            &[
                ("parts/db.yaml", "services:\n  db:\n    image: busybox\n    volumes: [./data:/data]\n"),
                (
                    "compose.yaml",
                    "include:\n  - path: parts/db.yaml\n    project_directory: shared\nservices:\n  a: {image: busybox}\n",
                ),
            ],
        )
        .is("/services/db/volumes/0/source", json!("{proj}/shared/data")),
        case(
            "include of a file and its override",
            &[
                ("db/compose.yaml", "services:\n  db:\n    image: busybox\n    command: [base]\n"),
                ("db/override.yaml", "services:\n  db:\n    command: [over]\n"),
                (
                    "compose.yaml",
                    "include:\n  - path: [db/compose.yaml, db/override.yaml]\nservices:\n  a: {image: busybox}\n",
                ),
            ],
        )
        .is("/services/db/command", json!(["over"])),
        case(
            "extends file inside an included file is its directory's",
            &[
                ("lib/base.yaml", "services:\n  base:\n    image: busybox\n    volumes: [./conf:/conf]\n"),
                (
                    "lib/compose.yaml",
                    "services:\n  db:\n    extends: {file: base.yaml, service: base}\n",
                ),
                (
                    "compose.yaml",
                    "include: [lib/compose.yaml]\nservices:\n  a: {image: busybox}\n",
                ),
            ],
        )
        .is("/services/db/volumes/0/source", json!("{proj}/lib/conf")),
        case(
            "a local service merges over an included one",
            &[
                ("lib/compose.yaml", "services:\n  db:\n    image: busybox\n    command: [serve]\n"),
                (
                    "compose.yaml",
                    "include: [lib/compose.yaml]\nservices:\n  db:\n    image: busybox:latest\n",
                ),
            ],
        )
        .is("/services/db/image", json!("busybox:latest"))
        .is("/services/db/command", json!(["serve"])),
    ]);
}

#[test]
fn project_names_env_files_and_discovery_as_compose_go() {
    check(vec![
        case(
            "a name from the file is normalised",
            &[(
                "compose.yaml",
                "name: My_App\nservices:\n  a: {image: busybox}\n",
            )],
        )
        .is("/name", json!("my_app")),
        case(
            "COMPOSE_PROJECT_NAME beats name:",
            &[(
                "compose.yaml",
                "name: from-file\nservices:\n  a: {image: busybox}\n",
            )],
        )
        .env(&[("COMPOSE_PROJECT_NAME", "from-env")])
        .is("/name", json!("from-env")),
        case(
            "the shell beats .env, even inside .env",
            &[
                (".env", "A=file\nB=${A}-b\n"),
                (
                    "compose.yaml",
                    "services:\n  a:\n    image: busybox\n    labels: [b=$B]\n",
                ),
            ],
        )
        .env(&[("A", "shell")])
        .is("/services/a/labels/b", json!("shell-b")),
        case(
            "COMPOSE_FILE from .env into a subdirectory keeps the root .env",
            &[
                (".env", "COMPOSE_FILE=sub/compose.yaml\nTAG=from-root\n"),
                (
                    "sub/compose.yaml",
                    "services:\n  a:\n    image: busybox:${TAG}\n",
                ),
            ],
        )
        .is("/services/a/image", json!("busybox:from-root")),
        case(
            "compose.yaml takes a docker-compose.override.yml beside it",
            &[
                ("compose.yaml", "services:\n  a:\n    image: busybox\n"),
                (
                    "docker-compose.override.yml",
                    "services:\n  a:\n    command: [overridden]\n",
                ),
            ],
        )
        .is("/services/a/command", json!(["overridden"])),
        case(
            "docker-compose.yml is preferred to docker-compose.yaml",
            &[
                (
                    "docker-compose.yaml",
                    "services:\n  a:\n    image: from-yaml\n",
                ),
                (
                    "docker-compose.yml",
                    "services:\n  a:\n    image: from-yml\n",
                ),
            ],
        )
        .is("/services/a/image", json!("from-yml")),
        case(
            "-p as given",
            &[("compose.yaml", "services:\n  a: {image: busybox}\n")],
        )
        .args(&["-p", "shop_2"])
        .is("/name", json!("shop_2")),
    ]);
    for (args, env, phrase) in [
        (
            &["-p", "MY_PROJECT"][..],
            &[][..],
            "invalid project name \"MY_PROJECT\"",
        ),
        (
            &[][..],
            &[("COMPOSE_PROJECT_NAME", "-x")][..],
            "invalid project name \"-x\"",
        ),
    ] {
        let mut t = Test::new().file("compose.yaml", "services:\n  a: {image: busybox}\n");
        for (k, v) in env {
            t = t.env(k, v);
        }
        let mut all = args.to_vec();
        all.push("config");
        t.args(&all).run().config_error(&[phrase]);
    }
}

#[test]
fn keys_docker_compose_accepts_load() {
    let a = |k: &str| -> &'static str { Box::leak(format!("/services/a/{k}").into_boxed_str()) };
    check(vec![
        case(
            "build keys",
            &[(
                "compose.yaml",
                "services:\n  a:\n    build:\n      context: .\n      dockerfile_inline: |\n        FROM busybox\n        RUN echo $$HOME\n      platforms: [linux/amd64]\n      tags: [extra:1]\n      cache_from: [type=local,src=/tmp/c]\n      network: host\n      extra_hosts: [db=10.0.0.2]\n      shm_size: 64m\n      ulimits: {nofile: 1024}\n      no_cache: true\n      pull: true\n      ssh: [default]\n      additional_contexts: {tools: ./tools}\n      secrets: [npm]\n      labels: [a=1]\n      privileged: true\nsecrets:\n  npm: {environment: NPM_TOKEN}\n",
            )],
        )
        .is(a("build/dockerfile_inline"), json!("FROM busybox\nRUN echo $$HOME\n"))
        .is(a("build/platforms"), json!(["linux/amd64"]))
        .is(a("build/tags"), json!(["extra:1"]))
        .is(a("build/network"), json!("host"))
        .is(a("build/shm_size"), json!(67108864))
        .is(a("build/no_cache"), json!(true))
        .is(a("build/ssh"), json!(["default"]))
        .is(a("build/secrets/0/target"), json!("npm"))
        .is(a("build/privileged"), json!(true)),
        case(
            "a git URL as the build context stays a URL",
            &[(
                "compose.yaml",
                "services:\n  a:\n    build: https://github.com/docker/welcome-to-docker.git#main\n",
            )],
        )
        .is(a("build/context"), json!("https://github.com/docker/welcome-to-docker.git#main")),
        case(
            "legacy external with a name",
            &[(
                "compose.yaml",
                "services:\n  a: {image: busybox, volumes: [data:/data]}\nvolumes:\n  data: {external: {name: legacy-data}}\n",
            )],
        )
        .is("/volumes/data/external", json!(true))
        .is("/volumes/data/name", json!("legacy-data")),
        case(
            "x- keys in secrets and configs",
            &[(
                "compose.yaml",
                "services:\n  a: {image: busybox, secrets: [s], configs: [c]}\nsecrets:\n  s: {content: x, x-note: kept out}\nconfigs:\n  c: {content: y, x-owner: me}\n",
            )],
        )
        .is("/secrets/s/content", json!("x"))
        .is("/configs/c/content", json!("y")),
        case(
            "secrets from the environment and from content",
            &[(
                "compose.yaml",
                "services:\n  a: {image: busybox, secrets: [e, c]}\nsecrets:\n  e: {environment: TOKEN}\n  c: {content: inline}\n",
            )],
        )
        .env(&[("TOKEN", "s3cret")])
        .is("/secrets/e/environment", json!("TOKEN"))
        .is("/secrets/c/content", json!("inline")),
        case(
            "a secret file that does not exist yet",
            &[(
                "compose.yaml",
                "services:\n  a: {image: busybox, secrets: [s]}\nsecrets:\n  s: {file: ./later.txt}\n",
            )],
        )
        .is("/services/a/secrets/0/target", json!("/run/secrets/s")),
        case(
            "~/ in a secret's file",
            &[(
                "compose.yaml",
                "services:\n  a: {image: busybox, secrets: [s]}\nsecrets:\n  s: {file: ~/token.txt}\n",
            )],
        )
        .is("/secrets/s/file", json!("/home/tester/token.txt")),
        case(
            "ulimits with only soft",
            &[("compose.yaml", "services:\n  a: {image: busybox, ulimits: {nofile: {soft: 512}}}\n")],
        )
        .is(a("ulimits/nofile"), json!(512)),
        case(
            "dns from an unset variable is none",
            &[("compose.yaml", "services:\n  a: {image: busybox, dns: '${NO_DNS}'}\n")],
        )
        .is(a("dns"), Value::Null),
        case(
            "a sysctl without =",
            &[("compose.yaml", "services:\n  a: {image: busybox, sysctls: [net.core.somaxconn]}\n")],
        )
        .is(a("sysctls/net.core.somaxconn"), json!("")),
        case(
            "extra_hosts with several addresses",
            &[("compose.yaml", "services:\n  a: {image: busybox, extra_hosts: ['db=10.0.0.2,10.0.0.3']}\n")],
        )
        .is(a("extra_hosts"), json!(["db=10.0.0.2", "db=10.0.0.3"])),
        case(
            "a long-form bind creates its source by default",
            &[("compose.yaml", "services:\n  a: {image: busybox, volumes: [{type: bind, source: ./src, target: /src}]}\n")],
        )
        .is(a("volumes/0/bind/create_host_path"), json!(true)),
        case(
            "volume type image",
            &[("compose.yaml", "services:\n  a: {image: busybox, volumes: [{type: image, source: alpine, target: /alp, image: {subpath: etc}}]}\n")],
        )
        .is(a("volumes/0/type"), json!("image"))
        .is(a("volumes/0/image/subpath"), json!("etc")),
        case(
            "a volume's subpath and nocopy",
            &[("compose.yaml", "services:\n  a: {image: busybox, volumes: [{type: volume, source: d, target: /d, volume: {subpath: sub/dir, nocopy: true}}]}\nvolumes: {d: {}}\n")],
        )
        .is(a("volumes/0/volume/subpath"), json!("sub/dir"))
        .is(a("volumes/0/volume/nocopy"), json!(true)),
        case(
            "pull_policy daily, weekly and every_",
            &[("compose.yaml", "services:\n  a: {image: busybox, pull_policy: daily}\n  b: {image: busybox, pull_policy: weekly}\n  c: {image: busybox, pull_policy: every_12h}\n")],
        )
        .is(a("pull_policy"), json!("daily"))
        .is("/services/b/pull_policy", json!("weekly"))
        .is("/services/c/pull_policy", json!("every_12h")),
        case(
            "deploy.restart_policy",
            &[("compose.yaml", "services:\n  a: {image: busybox, deploy: {restart_policy: {condition: on-failure, max_attempts: 3}}}\n")],
        )
        .is(a("restart"), json!("on-failure:3")),
        case(
            "hooks, namespaces and runtime",
            &[("compose.yaml", "services:\n  a:\n    image: busybox\n    ipc: shareable\n    pid: host\n    userns_mode: keep-id\n    runtime: crun\n    mac_address: 02:42:ac:11:65:43\n    post_start: [{command: echo up, user: root}]\n    pre_stop: [{command: [echo, down]}]\n    pre_start: [{image: alpine, command: sh -c 'echo $$(date)', per_replica: true}]\n    develop: {watch: [{path: ./src, action: sync, target: /src}]}\n    networks:\n      back: {interface_name: eth1, mac_address: 02:42:ac:11:65:44}\nnetworks:\n  back: {}\n")],
        )
        .is(a("ipc"), json!("shareable"))
        .is(a("pid"), json!("host"))
        .is(a("userns_mode"), json!("keep-id"))
        .is(a("runtime"), json!("crun"))
        .is(a("post_start/0/command"), json!(["echo", "up"]))
        .is(a("pre_stop/0/command"), json!(["echo", "down"]))
        .is(a("pre_start/0/command"), json!(["sh", "-c", "echo $$(date)"]))
        .is(a("pre_start/0/per_replica"), json!(true))
        .is(a("networks/back/interface_name"), json!("eth1"))
        .is(a("develop/watch/0/action"), json!("sync"))
        .is(a("develop/watch/0/target"), json!("/src")),
        case(
            "develop.watch with exec, patterns and initial_sync",
            &[("compose.yaml", "services:\n  a:\n    build: .\n    develop:\n      watch:\n        - {path: ./src, action: sync+exec, target: /app, ignore: node_modules/, include: ['*.js'], initial_sync: true, exec: {command: kill -HUP 1, user: root}, x-note: kept out}\n        - {path: package.json, action: rebuild}\n")],
        )
        .is(a("develop/watch/0/ignore"), json!(["node_modules/"]))
        .is(a("develop/watch/0/include"), json!(["*.js"]))
        .is(a("develop/watch/0/initial_sync"), json!(true))
        .is(a("develop/watch/0/exec/command"), json!(["kill", "-HUP", "1"]))
        .is(a("develop/watch/0/exec/user"), json!("root"))
        .is(a("develop/watch/1/action"), json!("rebuild")),
        case(
            "provider and models load",
            &[("compose.yaml", "services:\n  a: {image: busybox, depends_on: [ai]}\n  ai:\n    provider: {type: model, options: {model: ai/smollm2}}\nmodels:\n  llm: {model: ai/smollm2}\n")],
        )
        .is("/services/ai/provider/type", json!("model")),
        case(
            "a GPU reservation is a CDI device",
            &[("compose.yaml", "services:\n  a:\n    image: busybox\n    deploy: {resources: {reservations: {devices: [{driver: nvidia, count: 1, capabilities: [gpu]}]}}}\n")],
        )
        .is(a("devices"), json!(["nvidia.com/gpu=all"])),
        case(
            "an empty image with a build",
            &[("compose.yaml", "services:\n  a:\n    image: ${NO_IMAGE}\n    build: .\n")],
        )
        .is(a("image"), Value::Null),
    ]);
}
