//! `--dry-run` prints the podman commands it would run, one per line, shell-quoted, and
//! nothing else: snapshots for the scenario files. (That it changes nothing is checked
//! against real podman in tests/podman_workflow.rs.)

mod common;

use std::path::Path;

use common::{run_in, shared};

/// Compares with `tests/snapshots/NAME.txt`; SIDEPOD_UPDATE_SNAPSHOTS=1 rewrites it.
fn assert_snapshot(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(format!("{name}.txt"));
    if std::env::var("SIDEPOD_UPDATE_SNAPSHOTS").as_deref() == Ok("1") {
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "no snapshot {}: run with SIDEPOD_UPDATE_SNAPSHOTS=1",
            path.display()
        )
    });
    assert_eq!(actual, expected, "snapshot {name} differs");
}

fn dry_run(scenario: &str, project: &str, args: &[&str]) -> String {
    mask_config_hashes(&dry_run_unmasked(scenario, project, args))
}

fn dry_run_unmasked(scenario: &str, project: &str, args: &[&str]) -> String {
    let dir = shared().join("scenarios").join(scenario);
    let mut all: Vec<String> = vec!["--dry-run".into(), "-p".into(), project.into()];
    all.extend(args.iter().map(|s| s.to_string()));
    let out = run_in(&dir, &all, &[], None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let root = shared().join("scenarios").canonicalize().unwrap();
    out.stdout.replace(root.to_str().unwrap(), "$SCENARIOS")
}

/// A service's config hash covers its absolute bind paths, which differ from checkout to
/// checkout, so snapshots show `<hash>`; that the hashes are stable is checked below.
fn mask_config_hashes(text: &str) -> String {
    const KEY: &str = "io.sidepod.config-hash=";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(KEY) {
        let (head, tail) = rest.split_at(at + KEY.len());
        out.push_str(head);
        out.push_str("<hash>");
        rest = tail.trim_start_matches(|c: char| c.is_ascii_hexdigit());
    }
    out.push_str(rest);
    out
}

#[test]
fn up_of_each_scenario_prints_its_podman_commands() {
    for (scenario, project) in [
        ("unicorn-stack", "dry-unicorn"),
        ("shared-localhost", "dry-shared"),
        ("supervise", "dry-supervise"),
    ] {
        let out = dry_run(scenario, project, &["up", "-d"]);
        for line in out.lines() {
            assert!(line.starts_with("podman "), "not a command: {line}");
        }
        assert_snapshot(&format!("dry-run-up-{scenario}"), &out);
    }
}

#[test]
fn dry_run_of_other_commands_prints_commands_only() {
    let out = dry_run(
        "supervise",
        "dry-supervise",
        &["run", "--rm", "--name", "once", "worker", "echo", "hi"],
    );
    assert!(out.lines().all(|l| l.starts_with("podman ")), "{out}");
    assert!(
        out.contains("podman run --rm --pod dry-supervise --name once"),
        "{out}"
    );
    assert!(
        out.trim_end()
            .ends_with("localhost/sidepod-test/busybox:latest echo hi"),
        "{out}"
    );
    // Nothing exists for this project, so down has nothing to stop or remove.
    assert_eq!(dry_run("supervise", "dry-supervise", &["down", "-v"]), "");
}

#[test]
fn dry_run_output_is_the_same_every_time() {
    let a = dry_run_unmasked("unicorn-stack", "dry-unicorn", &["up", "-d", "--wait"]);
    let b = dry_run_unmasked("unicorn-stack", "dry-unicorn", &["up", "-d", "--wait"]);
    assert!(a.contains("io.sidepod.config-hash="), "{a}");
    assert_eq!(a, b);
}

#[test]
fn completions_are_generated_for_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let out = run_in(
            Path::new("/"),
            &["completions".into(), shell.into()],
            &[],
            None,
        );
        assert_eq!(out.code, 0, "{shell}: {}", out.stderr);
        // The script asks sidepod itself as one types (tests/cli_completions.rs runs
        // each shell on it).
        for word in ["sidepod", "COMPLETE"] {
            assert!(out.stdout.contains(word), "{shell} completions lack {word}");
        }
    }
    let bad = run_in(
        Path::new("/"),
        &["completions".into(), "tcsh".into()],
        &[],
        None,
    );
    assert_eq!(bad.code, 2);
}

/// Two services on one container port (the notice that says so is checked against
/// real podman in tests/podman_bridge.rs): the dry run creates the project's network and
/// runs each container on it with its name as an alias, no pod; `--network pod` refuses
/// the stack as before, and `generate kube` says its one Pod would clash.
#[test]
fn a_stack_one_pod_cannot_hold_runs_on_the_projects_network() {
    let compose = "services:
  api:
    image: busybox
    expose: [\"5000\"]
  admin:
    image: busybox
    expose: [\"5000\"]
    ports: [\"8080:5000\"]
";
    let t = common::Test::new().file("compose.yaml", compose);
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        run_in(t.cwd(), &args, &env, None)
    };
    let out = run(&["--dry-run", "up", "-d"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .contains("podman network create --label com.docker.compose.network=default"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains(" proj_default\n"), "{}", out.stdout);
    assert!(!out.stdout.contains("pod create"), "{}", out.stdout);
    let admin = out
        .stdout
        .lines()
        .find(|l| l.contains("--name proj-admin-1"))
        .unwrap();
    assert!(
        admin.contains("--network proj_default --network-alias admin")
            && admin.contains("-p 8080:5000/tcp")
            && !admin.contains("--pod"),
        "{admin}"
    );
    let refused = run(&["--network", "pod", "--dry-run", "up", "-d"], &[]);
    assert_eq!(refused.code, 3, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("both declare container port 5000"),
        "{}",
        refused.stderr
    );
    assert_eq!(refused.stdout, "");
    let kube = run(&["generate", "kube"], &[]);
    assert_eq!(kube.code, 0, "{}", kube.stderr);
    assert!(
        kube.stderr.contains("runs this stack in bridge mode"),
        "{}",
        kube.stderr
    );
    let config = run(&["config"], &[("SIDEPOD_NETWORK", "bridge")]);
    assert_eq!(config.code, 0, "{}", config.stderr);
    assert!(
        config.stdout.contains("x-sidepod:\n  network: bridge"),
        "{}",
        config.stdout
    );
    let bad = common::Test::new()
        .file(
            "compose.yaml",
            &format!("x-sidepod: {{network: host}}\n{compose}"),
        )
        .args(&["config"])
        .run();
    bad.config_error(&["compose.yaml", "x-sidepod.network", "use pod", "or bridge"]);
}

/// `--dry-run watch` prints what starting the services would run and ends: no file
/// change is waited for (a hang here fails the run).
#[test]
fn a_dry_run_of_watch_prints_the_start_and_ends() {
    let compose = "services:
  web:
    image: busybox
    develop:
      watch:
        - {path: ./src, action: sync, target: /app}
";
    let t = common::Test::new().file("compose.yaml", compose);
    std::fs::create_dir(t.cwd().join("src")).unwrap();
    let out = t.args(&["--dry-run", "watch"]).run();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("--name proj-web-1"), "{}", out.stdout);
    assert!(!out.stdout.contains("podman cp"), "{}", out.stdout);
}
