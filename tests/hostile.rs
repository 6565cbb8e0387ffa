//! Hostile and absurd input: each case must be refused as a config error (exit 3) that
//! names the file, quickly, without a panic, and before podman is asked for anything.
//!
//! "Nothing created" is checked by giving sidepod a podman that only notes that it was
//! called: a config error must surface before the first podman call.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

/// One hostile input: the files of a project, and the command that loads them.
struct Case {
    name: String,
    files: Vec<(String, String)>,
    /// `up` for Compose files, `job` for job files.
    job: bool,
    /// A phrase the error must hold, besides the file's name.
    expect: &'static str,
}

fn compose(name: &str, body: String, expect: &'static str) -> Case {
    Case {
        name: name.to_string(),
        files: vec![("compose.yaml".into(), body)],
        job: false,
        expect,
    }
}

/// A Compose file with one service `s` whose keys are `keys` (YAML, indented by 4).
fn service(name: &str, keys: &str, expect: &'static str) -> Case {
    compose(
        name,
        format!("services:\n  s:\n    image: img\n{keys}\n"),
        expect,
    )
}

fn job(name: &str, body: String, expect: &'static str) -> Case {
    Case {
        name: name.to_string(),
        files: vec![("sidepod.yaml".into(), body)],
        job: true,
        expect,
    }
}

fn nesting_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for depth in [65, 100, 1000, 20_000, 200_000] {
        for (open, label) in [("[", "lists"), ("{", "maps")] {
            cases.push(service(
                &format!("nested {label} {depth} deep"),
                &format!("    command: {}", open.repeat(depth)),
                "nest more than 64 deep",
            ));
        }
        cases.push(compose(
            &format!("nested mixed {depth} deep at the top"),
            format!("services: {}", "[{".repeat(depth / 2 + 1)),
            "nest more than 64 deep",
        ));
    }
    cases
}

fn size_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for (key, value) in [
        ("mem_limit", "99999999999999999999999g"),
        ("mem_limit", "1e30b"),
        ("mem_limit", "9223372036854775808"),
        ("mem_limit", "16777216t"),
        ("mem_reservation", "99999999999999999999g"),
        ("memswap_limit", "99999999999999999999999g"),
        ("shm_size", "99999999999999999999999g"),
        ("shm_size", "1e400"),
        ("mem_limit", "-5m"),
        ("mem_limit", "lots"),
        ("mem_limit", "12q"),
        ("shm_size", "NaN"),
    ] {
        cases.push(service(
            &format!("{key} {value}"),
            &format!("    {key}: {value}"),
            key,
        ));
    }
    cases
}

fn number_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for value in [
        "1e23",
        "-1e23",
        "1.5",
        "1e400",
        "9223372036854775808",
        "\"many\"",
    ] {
        cases.push(service(
            &format!("nofile {value}"),
            &format!("    ulimits:\n      nofile: {value}"),
            "ulimits",
        ));
        cases.push(service(
            &format!("pids_limit {value}"),
            &format!("    pids_limit: {value}"),
            "pids_limit",
        ));
    }
    for value in ["100000", "1000001", "4294967296", "1e9", "-1", "2.5"] {
        cases.push(service(
            &format!("replicas {value}"),
            &format!("    deploy:\n      replicas: {value}"),
            "replicas",
        ));
        cases.push(service(
            &format!("scale {value}"),
            &format!("    scale: {value}"),
            "scale",
        ));
    }
    for (key, value) in [
        ("cpu_shares", "1e40"),
        ("oom_score_adj", "1e19"),
        ("cpus", "-1"),
        ("cpus", "1e999"),
        ("cpus", "many"),
        ("cpuset", "a-b"),
    ] {
        cases.push(service(
            &format!("{key} {value}"),
            &format!("    {key}: {value}"),
            key,
        ));
    }
    cases
}

fn address_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for ip in [
        "1.2.3.4.5",
        "300.1.1.1",
        "1.2.3",
        "localhost",
        "::g",
        "1.2.3.4/24",
        "[::1",
        "-1.0.0.0",
    ] {
        cases.push(service(
            &format!("short port host IP {ip}"),
            &format!("    ports: [\"{ip}:8080:80\"]"),
            "ports",
        ));
        cases.push(service(
            &format!("long port host IP {ip}"),
            &format!("    ports:\n      - {{target: 80, published: 8080, host_ip: \"{ip}\"}}"),
            "ports",
        ));
    }
    for port in [
        "99999",
        "0",
        "-1",
        "8080:99999",
        "1-70000",
        "80/icmp",
        "a:b:c:d",
        "",
        "80-70",
    ] {
        cases.push(service(
            &format!("port {port:?}"),
            &format!("    ports: [\"{port}\"]"),
            "ports",
        ));
    }
    for dns in ["dns.example", "1.2.3.4.5"] {
        cases.push(service(
            &format!("dns {dns:?}"),
            &format!("    dns: [\"{dns}\"]"),
            "dns",
        ));
    }
    for host in ["db", "db:", ":1.2.3.4", "db=1.2.3.4.5"] {
        cases.push(service(
            &format!("extra_hosts {host:?}"),
            &format!("    extra_hosts: [\"{host}\"]"),
            "extra_hosts",
        ));
    }
    cases
}

fn shape_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for (label, body) in [
        ("services as a list", "services: [a, b]"),
        ("services as a string", "services: all"),
        ("services as a number", "services: 12"),
        ("a service as a list", "services:\n  s: [image]"),
        ("a service as a string", "services:\n  s: img"),
        ("a top level list", "- services"),
        ("a top level string", "just text"),
        ("an empty service name", "services:\n  \"\": {image: img}"),
        ("a service name with a space", "services:\n  \"a b\": {image: img}"),
        ("a service name with a slash", "services:\n  \"a/b\": {image: img}"),
        ("a service without image", "services:\n  s: {}"),
        ("an empty image", "services:\n  s: {image: \"\"}"),
        ("volumes as a string", "services:\n  s: {image: img}\nvolumes: data"),
        ("networks as a list", "services:\n  s: {image: img}\nnetworks: [a]"),
        ("an unknown top level key", "services:\n  s: {image: img}\nservicez: {}"),
        ("a tab indent", "services:\n\ts: {image: img}"),
        ("an unclosed quote", "services:\n  s: {image: \"img}"),
        ("an unclosed flow", "services:\n  s: {image: img"),
        ("a duplicate key", "services:\n  s: {image: img}\n  s: {image: img}"),
        ("a NUL byte", "services:\n  s: {image: \"a\u{0}b\"}\n  \u{0}: x"),
        ("an alias to nothing", "services:\n  s: *missing"),
        ("a lone dollar brace", "services:\n  s: {image: \"${\"}"),
        ("an unclosed variable", "services:\n  s: {image: \"${IMG\"}"),
        ("a required variable", "services:\n  s: {image: \"${NOPE:?set NOPE}\"}"),
        ("a bad variable name", "services:\n  s: {image: \"${1x}\"}"),
        ("a depends_on cycle", "services:\n  a: {image: img, depends_on: [b]}\n  b: {image: img, depends_on: [a]}"),
        ("a self dependency", "services:\n  a: {image: img, depends_on: [a]}"),
        ("an unknown dependency", "services:\n  a: {image: img, depends_on: [ghost]}"),
        ("an extends cycle", "services:\n  a: {image: img, extends: b}\n  b: {image: img, extends: a}"),
        ("extends of nothing", "services:\n  a: {image: img, extends: ghost}"),
        ("an undeclared volume", "services:\n  a: {image: img, volumes: [\"data:/data\"]}"),
        ("a relative mount target", "services:\n  a: {image: img, volumes: [\"./x:data\"]}"),
        ("a bad restart policy", "services:\n  a: {image: img, restart: sometimes}"),
        ("a bad stop signal", "services:\n  a: {image: img, stop_signal: SIGNOPE}"),
        ("a bad duration", "services:\n  a: {image: img, stop_grace_period: forever}"),
        ("a bad healthcheck", "services:\n  a: {image: img, healthcheck: {test: []}}"),
        ("a bad condition", "services:\n  a: {image: img, depends_on: {b: {condition: soon}}}\n  b: {image: img}"),
        ("two services on one host port", "services:\n  a: {image: img, ports: [\"8080:80\"]}\n  b: {image: img, ports: [\"8080:81\"]}"),
        ("a project name nothing is left of", "name: \"!!!\"\nservices:\n  a: {image: img}"),
        ("an empty project name", "name: \"\"\nservices:\n  a: {image: img}"),
        ("a project name of one dash", "name: \"-\"\nservices:\n  a: {image: img}"),
        ("a bad network_mode", "services:\n  a: {image: img, network_mode: \"somewhere\"}"),
        ("network_mode and networks", "services:\n  a: {image: img, network_mode: host, networks: [n]}\nnetworks: {n: {}}"),
        ("container_name with replicas", "services:\n  a: {image: img, container_name: x, scale: 2}"),
        ("a missing include", "include: [nope.yaml]\nservices:\n  a: {image: img}"),
        ("an include of /dev/zero", "include: [/dev/zero]\nservices:\n  a: {image: img}"),
        ("an include of a directory", "include: [/]\nservices:\n  a: {image: img}"),
        ("a missing env_file", "services:\n  a: {image: img, env_file: nope.env}"),
        ("an env_file of /dev/zero", "services:\n  a: {image: img, env_file: /dev/zero}"),
        ("an unknown secret", "services:\n  a: {image: img, secrets: [ghost]}"),
        ("a secret mode that is no mode", "services:\n  a: {image: img, secrets: [{source: s, mode: \"rwx\"}]}\nsecrets: {s: {content: x}}"),
        ("a hook without a command", "services:\n  a: {image: img, post_start: [{user: root}]}"),
        ("an unknown restart condition", "services:\n  a: {image: img, deploy: {restart_policy: {condition: sometimes}}}"),
    ] {
        cases.push(compose(label, body.to_string(), ""));
    }
    cases
}

fn alias_bomb() -> Case {
    let mut lines =
        vec!["x-a0: &a0 [\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\"]".to_string()];
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 10].join(",");
        lines.push(format!("x-a{i}: &a{i} [{refs}]"));
    }
    lines.push("services:\n  s:\n    image: img\n    command: *a9".into());
    compose("an alias bomb", lines.join("\n"), "")
}

fn huge_file() -> Case {
    let mut body = String::from("services:\n  s:\n    image: img\n");
    while body.len() <= 5 << 20 {
        body.push_str("# padding padding padding padding padding padding padding padding\n");
    }
    compose("a 5 MiB file", body, "larger than 4 MiB")
}

fn job_cases() -> Vec<Case> {
    let container = "container: {image: img}\n";
    vec![
        job(
            "a run of 1 MiB",
            format!("{container}steps:\n  - run: \"{}\"\n", "x".repeat(1 << 20)),
            "put it in a file",
        ),
        job("no steps", container.to_string(), "steps"),
        job(
            "a step without run",
            format!("{container}steps:\n  - name: x\n"),
            "run",
        ),
        job(
            "a step timeout that is no duration",
            format!("{container}steps:\n  - {{run: \"true\", timeout: soon}}\n"),
            "timeout",
        ),
        job(
            "a sidecar named main",
            format!("{container}services:\n  main: {{image: img}}\nsteps: [{{run: \"true\"}}]\n"),
            "main",
        ),
        job(
            "a job name that is no name",
            format!("name: \"!?!\"\n{container}steps: [{{run: \"true\"}}]\n"),
            "name",
        ),
        job(
            "a job without container",
            "steps: [{run: \"true\"}]\n".into(),
            "container",
        ),
        job(
            "a job nested too deep",
            format!("{container}steps: {}", "[".repeat(10_000)),
            "nest more than 64 deep",
        ),
    ]
}

fn all_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    cases.extend(nesting_cases());
    cases.extend(size_cases());
    cases.extend(number_cases());
    cases.extend(address_cases());
    cases.extend(shape_cases());
    cases.extend(job_cases());
    cases.push(alias_bomb());
    cases.push(huge_file());
    cases
}

/// A podman that notes every call in `dir/called`, and fails.
fn noting_podman(dir: &Path) -> std::path::PathBuf {
    let script = dir.join("podman");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho \"$@\" >> {}\nexit 125\n",
            dir.join("called").display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    script
}

#[test]
fn every_hostile_input_is_refused_quickly_with_exit_3_naming_the_file() {
    let cases = all_cases();
    assert!(cases.len() >= 150, "only {} hostile inputs", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let t = common::Test::new();
        let podman = noting_podman(t.dir.path());
        let mut t = t;
        for (name, text) in &case.files {
            t = t.file(name, text);
        }
        let file = &case.files[0].0;
        let args: Vec<&str> = if case.job {
            vec!["--podman", podman.to_str().unwrap(), "job", "-f", file]
        } else {
            vec!["--podman", podman.to_str().unwrap(), "-f", file, "up", "-d"]
        };
        let started = Instant::now();
        let t = t.args(&args);
        let out = t.run();
        let took = started.elapsed();
        let called = t.dir.path().join("called");
        let mut wrong = Vec::new();
        if out.code != 3 {
            wrong.push(format!("exit {} (want 3)", out.code));
        }
        if out.stderr.contains("panicked") {
            wrong.push("a panic".to_string());
        }
        if took > Duration::from_secs(2) {
            wrong.push(format!("took {took:?}"));
        }
        if !out.stderr.contains(file.as_str()) && !out.stderr.contains("/dev/zero") {
            wrong.push("no file named".to_string());
        }
        if !out.stderr.contains(case.expect) {
            wrong.push(format!("no {:?}", case.expect));
        }
        if called.exists() {
            let calls = std::fs::read_to_string(&called).unwrap_or_default();
            wrong.push(format!("podman was called: {}", calls.trim()));
        }
        if !wrong.is_empty() {
            let first_lines: String = out.stderr.lines().take(3).collect::<Vec<_>>().join(" / ");
            failures.push(format!(
                "{}: {}\n    {first_lines}",
                case.name,
                wrong.join(", ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} hostile inputs were not refused properly:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
