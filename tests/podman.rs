//! Real podman: the scenarios of ../shared/scenarios and the pod runtime's promises, run
//! rootful, or rootless with SIDEPOD_TEST_MODE=rootless. Each test ends by checking that
//! nothing with its project's label is left.

#[macro_use]
mod common;

use std::time::Duration;

use common::podman::{free_port, http_get, Mode, Project, BUSYBOX};

#[test]
fn unicorn_stack_runs_serves_and_keeps_its_volume_until_down_v() {
    let host = host!();
    let p = Project::scenario(&host, "unicorn-stack", "unicorn");
    let port = free_port().to_string();
    let env = [("VIEWER_PORT", port.as_str())];
    let up = p.sidepod_env(&["up", "-d", "--wait"], &env);
    up.success();
    // The viewer fetched from http://counter:8321 at start: it could only run after the
    // counter was healthy, and by name inside the pod.
    assert_eq!(http_get(port.parse().unwrap(), "/"), "units=iulu\n");
    assert!(
        up.stderr.find("counter-1  Healthy") < up.stderr.find("viewer-1  Started"),
        "{}",
        up.stderr
    );

    let ps = p.sidepod(&["ps", "--format", "json"]);
    ps.success();
    // One object per line, as docker compose writes them.
    let rows: Vec<serde_json::Value> = ps
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 2);
    for row in &rows {
        assert_eq!(row["State"], "running", "{row}");
    }
    let counter = rows.iter().find(|r| r["Service"] == "counter").unwrap();
    assert_eq!(counter["Health"], "healthy");
    let table = p.sidepod(&["ps"]);
    assert!(
        table.stdout.contains("running (healthy)"),
        "{}",
        table.stdout
    );
    assert!(p.sidepod(&["logs", "counter"]).code == 0);

    // Data in the named volume survives down + up.
    let c = p.container("counter");
    assert_eq!(
        host.podman(&["exec", &c, "sh", "-c", "echo seen > /data/marker"])
            .code,
        0
    );
    p.sidepod(&["down", "-t", "1"]).success();
    let (containers, pods, volumes) = p.leftovers();
    assert!(
        containers.is_empty() && pods.is_empty(),
        "{containers:?} {pods:?}"
    );
    assert_eq!(volumes, [format!("{}_sightings", p.name)]);
    p.sidepod_env(&["up", "-d", "--wait"], &env).success();
    let marker = host.podman(&["exec", &c, "cat", "/data/marker"]);
    assert_eq!(marker.stdout.trim(), "seen", "{}", marker.stderr);

    p.sidepod(&["down", "-v", "-t", "1"]).success();
    p.assert_nothing_left();
}

#[test]
fn unicorn_stack_not_healthy_in_time_is_exit_5_naming_the_service() {
    let host = host!();
    let p = Project::scenario(&host, "unicorn-stack", "warmup");
    let port = free_port().to_string();
    let out = p.sidepod_env(
        // Long enough for a first health check on a loaded host, short of the warm-up.
        &["up", "-d", "--wait", "--wait-timeout", "10"],
        &[("WARMUP", "30"), ("VIEWER_PORT", &port)],
    );
    assert_eq!(out.code, 5, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("service \"counter\" was not healthy within 10s"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("last health check"), "{}", out.stderr);
    // The viewer waits for a healthy counter: it was never started.
    let (containers, _, _) = p.leftovers();
    assert_eq!(containers, [p.container("counter")]);
    p.sidepod(&["down", "-v", "-t", "0"]).success();
    p.assert_nothing_left();
}

#[test]
fn shared_localhost_service_reaches_service_and_sees_the_workspace() {
    let host = host!();
    let p = Project::scenario(&host, "shared-localhost", "shared");
    let out = p.sidepod(&["up", "--exit-code-from", "build"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("build-1 | hello from the workspace"),
        "{}",
        out.stdout
    );
    p.sidepod(&["down", "-t", "0"]).success();
    p.assert_nothing_left();
}

#[test]
fn services_reach_each_other_by_name_alias_and_localhost() {
    let host = host!();
    let compose = format!(
        "services:
  web:
    image: {BUSYBOX}
    init: true
    command: [\"sh\", \"-c\", \"echo pong > /tmp/index.html && exec httpd -f -p 7070 -h /tmp\"]
    container_name: WEB_NAME
    networks:
      default:
        aliases: [frontend]
  client:
    image: {BUSYBOX}
    depends_on: [web]
    command: [\"sh\", \"-c\", \"sleep 1; for h in 127.0.0.1 localhost web frontend WEB_NAME; do wget -q -O - http://$$h:7070/ | sed \\\"s/^/$$h /\\\"; done\"]
"
    );
    let p0 = Project::with_files(&host, "names", &[]);
    let compose = compose.replace("WEB_NAME", &format!("{}-the-web", p0.name));
    p0.write("compose.yaml", &compose);
    let out = p0.sidepod(&["up", "--exit-code-from", "client"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    for h in [
        "127.0.0.1",
        "localhost",
        "web",
        "frontend",
        &format!("{}-the-web", p0.name),
    ] {
        let reached = out
            .stdout
            .lines()
            .any(|l| l.starts_with("client-1 ") && l.ends_with(&format!("| {h} pong")));
        assert!(reached, "{h}:\n{}", out.stdout);
    }
    p0.sidepod(&["down", "-t", "0"]).success();
    p0.assert_nothing_left();
}

#[test]
fn a_port_conflict_in_one_pod_as_chosen_fails_with_exit_3_before_anything_is_created() {
    let host = host!();
    let p = Project::with_files(
        &host,
        "conflict",
        &[(
            "compose.yaml",
            &format!(
                "x-sidepod: {{network: pod}}\nservices:\n  a:\n    image: {BUSYBOX}\n    expose: [\"6380\"]\n  b:\n    image: {BUSYBOX}\n    expose: [\"6380\"]\n"
            ),
        )],
    );
    let out = p.sidepod(&["up", "-d"]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(out.stderr.contains("\"a\" and \"b\""), "{}", out.stderr);
    assert_ne!(
        host.podman(&["pod", "exists", &p.name]).code,
        0,
        "a pod was created"
    );
    p.assert_nothing_left();
}

fn migration_stack(code: u8) -> String {
    format!(
        "services:
  migrate:
    image: {BUSYBOX}
    command: [\"sh\", \"-c\", \"echo migrating schema; exit {code}\"]
  app:
    image: {BUSYBOX}
    init: true
    command: [\"sleep\", \"300\"]
    depends_on:
      migrate:
        condition: service_completed_successfully
"
    )
}

#[test]
fn a_failed_migration_fails_up_and_the_app_never_starts() {
    let host = host!();
    let p = Project::with_files(&host, "migfail", &[("compose.yaml", &migration_stack(1))]);
    let out = p.sidepod(&["up", "-d"]);
    assert_eq!(out.code, 5, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("service \"migrate\" did not complete successfully: exit code 1"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("migrating schema"),
        "the log tail is shown: {}",
        out.stderr
    );
    let (containers, _, _) = p.leftovers();
    assert_eq!(
        containers,
        [p.container("migrate")],
        "the app must never start"
    );
    p.sidepod(&["down", "-t", "0"]).success();
    p.assert_nothing_left();
}

#[test]
fn a_successful_migration_lets_the_app_start() {
    let host = host!();
    let p = Project::with_files(&host, "migok", &[("compose.yaml", &migration_stack(0))]);
    p.sidepod(&["up", "-d"]).success();
    assert_eq!(
        p.inspect(&p.container("app"), "{{.State.Status}}"),
        "running"
    );
    assert_eq!(
        p.inspect(&p.container("migrate"), "{{.State.ExitCode}}"),
        "0"
    );
    p.sidepod(&["down", "-t", "0"]).success();
    p.assert_nothing_left();
}

#[test]
fn independent_slow_services_start_and_become_healthy_together() {
    let host = host!();
    let slow = |name: &str| {
        format!(
            "  {name}:
    image: {BUSYBOX}
    init: true
    command: [\"sh\", \"-c\", \"sleep 3; touch /tmp/ready; exec sleep 300\"]
    healthcheck:
      test: [\"CMD\", \"test\", \"-f\", \"/tmp/ready\"]
      interval: 1s
      retries: 10
"
        )
    };
    let compose = format!("services:\n{}{}", slow("left"), slow("right"));
    let p = Project::with_files(&host, "parallel", &[("compose.yaml", &compose)]);
    p.sidepod(&["up", "-d", "--wait"]).success();
    // Started together, not one after the other's health (each takes 3 s to be healthy;
    // how long the whole takes is contrib/bench.sh's to measure, not a test's)...
    let start_of = |s: &str| -> f64 {
        let t = p.inspect(&p.container(s), "{{.State.StartedAt.Unix}}");
        t.parse().unwrap()
    };
    assert!((start_of("left") - start_of("right")).abs() <= 1.0);
    // ...and both healthy when `--wait` returns.
    for s in ["left", "right"] {
        assert_eq!(
            p.inspect(&p.container(s), "{{.State.Health.Status}}"),
            "healthy"
        );
    }
    p.sidepod(&["down", "-t", "0"]).success();
    p.assert_nothing_left();
}

fn sleeper_stack() -> String {
    format!(
        "services:
  db:
    image: {BUSYBOX}
    init: true
    command: [\"sh\", \"-c\", \"echo db ready; exec sleep 300\"]
  app:
    image: {BUSYBOX}
    init: true
    depends_on: [db]
    command: [\"sh\", \"-c\", \"echo app ready; exec sleep 300\"]
"
    )
}

#[test]
fn down_after_sidepod_was_killed_removes_everything() {
    let host = host!();
    let p = Project::with_files(&host, "killed", &[("compose.yaml", &sleeper_stack())]);
    let mut child = p.spawn(&["up"], &[]);
    p.wait_running(2);
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    child.wait().unwrap();
    p.sidepod(&["down", "-t", "1"]).success();
    p.assert_nothing_left();
}

#[test]
fn ctrl_c_stops_an_attached_up_gracefully_with_exit_130() {
    let host = host!();
    let p = Project::with_files(&host, "ctrlc", &[("compose.yaml", &sleeper_stack())]);
    let child = p.spawn(&["up"], &[]);
    p.wait_running(2);
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(
        stdout.contains("db-1  | db ready") && stdout.contains("app-1 | app ready"),
        "{stdout}"
    );
    // Stopped in reverse dependency order: app before db.
    assert!(
        stderr.find("app-1  Stopped") < stderr.find("db-1  Stopping"),
        "{stderr}"
    );
    for s in ["db", "app"] {
        assert_eq!(p.inspect(&p.container(s), "{{.State.Status}}"), "exited");
    }
    p.sidepod(&["down", "-t", "0"]).success();
    p.assert_nothing_left();
}

#[test]
fn logs_are_prefixed_and_tail_limits_them() {
    let host = host!();
    let compose = format!(
        "services:
  talker:
    image: {BUSYBOX}
    init: true
    command: [\"sh\", \"-c\", \"echo one; echo two; exec sleep 300\"]
  db:
    image: {BUSYBOX}
    init: true
    command: [\"sh\", \"-c\", \"echo db-line; exec sleep 300\"]
"
    );
    let p = Project::with_files(&host, "logs", &[("compose.yaml", &compose)]);
    p.sidepod(&["up", "-d"]).success();
    p.wait_for(Duration::from_secs(20), "output", || {
        p.sidepod(&["logs"]).stdout.contains("talker-1 | two")
    });
    let all = p.sidepod(&["logs"]);
    assert!(all.stdout.contains("db-1     | db-line"), "{}", all.stdout);
    assert!(all.stdout.contains("talker-1 | one"), "{}", all.stdout);
    let tail = p.sidepod(&["logs", "--tail", "1", "talker"]);
    assert_eq!(tail.stdout, "talker-1 | two\n");
    // --since: a duration ago, or a time (nothing was written after 2100).
    let recent = p.sidepod(&["logs", "--since", "10m", "talker"]);
    assert_eq!(
        recent.stdout, "talker-1 | one\ntalker-1 | two\n",
        "{}",
        recent.stderr
    );
    let future = p.sidepod(&["logs", "--since", "2100-01-01T00:00:00Z", "talker"]);
    assert_eq!(future.code, 0, "{}", future.stderr);
    assert_eq!(future.stdout, "");
    let unknown = p.sidepod(&["logs", "nope"]);
    assert_eq!(unknown.code, 2, "{}", unknown.stderr);
    // -f follows both, prefixed, until Ctrl-C (a normal end for following).
    let follow = p.spawn(&["logs", "-f"], &[]);
    std::thread::sleep(Duration::from_secs(2));
    std::process::Command::new("kill")
        .args(["-INT", &follow.id().to_string()])
        .status()
        .unwrap();
    let out = follow.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout.contains("talker-1 | two") && stdout.contains("db-1     | db-line"),
        "{stdout}"
    );
    p.sidepod(&["down", "-t", "0"]).success();
    p.assert_nothing_left();
}

#[test]
fn missing_podman_is_exit_4_with_what_to_do() {
    let host = host!();
    let p = Project::with_files(&host, "nopodman", &[("compose.yaml", &sleeper_stack())]);
    let out = p.sidepod(&["--podman", "/nonexistent/podman", "up", "-d"]);
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert!(
        out.stderr.contains("podman was not found"),
        "{}",
        out.stderr
    );
    let doctor = p.sidepod(&["--podman", "/nonexistent/podman", "doctor"]);
    assert_eq!(doctor.code, 4, "{}", doctor.stdout);
    assert!(
        doctor
            .stdout
            .starts_with("PROBLEM  podman  podman was not found at /nonexistent/podman\n"),
        "{}",
        doctor.stdout
    );
    assert!(
        doctor.stdout.contains("apt-get install podman"),
        "{}",
        doctor.stdout
    );
    p.assert_nothing_left();
}

#[test]
fn doctor_finds_this_host_ready_and_names_the_fix_for_a_known_problem() {
    let host = host!();
    let rootless = matches!(host.mode, Mode::Rootless { .. });
    // A containers.conf without the ulimits this host needs (DESIGN's host facts).
    let p = Project::with_files(
        &host,
        "doctor",
        &[
            ("compose.yaml", &sleeper_stack()),
            (
                "no-ulimits.conf",
                "[engine]\nruntime = \"runc\"\n\n[network]\nnetwork_backend = \"netavark\"\n",
            ),
        ],
    );
    let doctor_pods = || {
        host.podman(&[
            "pod",
            "ps",
            "-q",
            "--filter",
            "label=io.sidepod.doctor=true",
        ])
        .stdout
    };

    let ready = p.sidepod(&["doctor"]);
    assert_eq!(ready.code, 0, "{}{}", ready.stdout, ready.stderr);
    let mut expected = vec![
        "ok       containers  a container starts\n",
        "ok       pods        a pod with a published port starts\n",
        "ok       network     netavark with aardvark-dns: in bridge mode, services find each other by name\n",
        "podman is ready for sidepod\n",
    ];
    if rootless {
        expected.extend([
            "rootless, as sidepod-test",
            "ok       user ids    subuid ",
            "/dev/net/tun usable",
        ]);
    } else {
        expected.push("ok       mode        rootful\n");
    }
    for line in expected {
        assert!(
            ready.stdout.contains(line),
            "{line:?} in:\n{}",
            ready.stdout
        );
    }
    assert_eq!(doctor_pods(), "", "doctor left its probe pod");

    let conf = p.dir.join("no-ulimits.conf");
    let env = [("CONTAINERS_CONF", conf.to_str().unwrap())];
    let doctor = p.sidepod_env(&["doctor"], &env);
    let up = p.sidepod_env(&["up", "-d"], &env);
    let fix =
        "fix: set `[containers] default_ulimits = [\"nofile=1024:1024\", \"nproc=4096:4096\"]`";
    if rootless {
        // A rootless container gets the user's own limits: nothing to fix.
        assert_eq!(doctor.code, 0, "{}", doctor.stdout);
        assert_eq!(up.code, 0, "{}", up.stderr);
    } else {
        assert_eq!(doctor.code, 4, "{}", doctor.stdout);
        assert!(
            doctor.stdout.contains(
                "PROBLEM  containers  a container cannot start: podman's default open-file"
            ),
            "{}",
            doctor.stdout
        );
        assert!(doctor.stdout.contains(fix), "{}", doctor.stdout);
        assert!(
            doctor.stdout.ends_with("2 problems to fix\n"),
            "{}",
            doctor.stdout
        );
        assert_eq!(up.code, 4, "{}", up.stderr);
        assert!(
            up.stderr.contains("this is a host problem"),
            "{}",
            up.stderr
        );
        assert!(up.stderr.contains(fix), "{}", up.stderr);
    }
    assert_eq!(doctor_pods(), "", "doctor left its probe pod");
    p.sidepod(&["down", "-t", "0"]).success();
    p.assert_nothing_left();
}

#[test]
fn up_build_builds_the_target_stage_with_its_args() {
    let host = host!();
    let containerfile = format!(
        "FROM {BUSYBOX} AS base\nARG GREETING=hi\nRUN echo \"$GREETING from the build\" > /greeting\n\
         FROM base AS final\nCMD [\"sh\", \"-c\", \"cat /greeting; exec sleep 300\"]\n\
         FROM base AS other\nCMD [\"echo\", \"wrong stage\"]\n"
    );
    let compose = "services:
  app:
    build:
      context: .
      dockerfile: Containerfile.app
      target: final
      args: {GREETING: hello}
    init: true
";
    let p = Project::with_files(
        &host,
        "build",
        &[
            ("compose.yaml", compose),
            ("Containerfile.app", &containerfile),
        ],
    );
    let out = p.sidepod(&["up", "--build", "-d"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let image = format!("localhost/{}-app:latest", p.name);
    assert_eq!(p.inspect(&p.container("app"), "{{.ImageName}}"), image);
    p.wait_for(Duration::from_secs(20), "the greeting", || {
        p.sidepod(&["logs", "app"])
            .stdout
            .contains("app-1 | hello from the build")
    });
    p.sidepod(&["down", "-t", "0"]).success();
    p.assert_nothing_left();
    assert_eq!(host.podman(&["rmi", &image]).code, 0);
}

#[test]
fn up_starts_named_services_with_their_dependencies_unless_no_deps() {
    let host = host!();
    let p = Project::with_files(&host, "select", &[("compose.yaml", &sleeper_stack())]);
    p.sidepod(&["up", "-d", "db"]).success();
    assert_eq!(p.leftovers().0, [p.container("db")]);
    p.sidepod(&["down", "-t", "0"]).success();
    p.sidepod(&["up", "-d", "--no-deps", "app"]).success();
    assert_eq!(p.leftovers().0, [p.container("app")]);
    p.sidepod(&["down", "-t", "0"]).success();
    p.sidepod(&["up", "-d", "app"]).success();
    let mut all = p.leftovers().0;
    all.sort();
    assert_eq!(all, [p.container("app"), p.container("db")]);
    let unknown = p.sidepod(&["up", "-d", "nope"]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown.stderr.contains("no such service: nope"),
        "{}",
        unknown.stderr
    );
    p.sidepod(&["down", "-t", "0"]).success();
    p.assert_nothing_left();
}

#[test]
fn up_of_n_plain_services_makes_about_n_plus_5_podman_calls() {
    let host = host!();
    let services: String = (1..=6)
        .map(|i| format!("  s{i}:\n    image: {BUSYBOX}\n    init: true\n    command: [\"sleep\", \"300\"]\n"))
        .collect();
    let p = Project::with_files(
        &host,
        "calls",
        &[("compose.yaml", &format!("services:\n{services}"))],
    );
    let out = p.sidepod(&["-v", "up", "-d"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let calls: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains(" podman ") && l.contains(" ms, exit "))
        .collect();
    assert!(
        calls.len() <= 6 + 5,
        "{} podman calls:\n{}",
        calls.len(),
        calls.join("\n")
    );
    assert_eq!(
        calls.iter().filter(|l| l.contains("podman run ")).count(),
        6
    );
    p.sidepod(&["down", "-t", "0"]).success();
    p.assert_nothing_left();
}

#[test]
fn supervise_abort_on_exit_and_exit_code_from_end_the_run_with_the_workers_code() {
    let host = host!();
    let p = Project::scenario(&host, "supervise", "supervise");
    let started = std::time::Instant::now();
    let out = p.sidepod(&["up", "--abort-on-container-exit"]);
    assert_eq!(out.code, 3, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("worker-1 | worker-done"),
        "{}",
        out.stdout
    );
    // web runs under an init: it stops on SIGTERM at once, not after the 10 s timeout.
    assert!(
        started.elapsed() < Duration::from_secs(9),
        "took {:?}",
        started.elapsed()
    );
    for s in ["web", "flaky"] {
        assert_ne!(
            p.inspect(&p.container(s), "{{.State.Status}}"),
            "running",
            "{s} still runs"
        );
    }
    let out = p.sidepod(&["up", "--exit-code-from", "worker"]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    p.sidepod(&["down", "-t", "0"]).success();
    p.assert_nothing_left();
}

#[test]
fn supervise_restarts_are_reported_and_sigterm_stops_everything_with_143() {
    let host = host!();
    let p = Project::scenario(&host, "supervise", "restarts");
    let child = p.spawn(&["up"], &[]);
    let flaky = p.container("flaky");
    p.wait_for(
        Duration::from_secs(60),
        "flaky to use up its 3 restarts",
        || {
            let (containers, _, _) = p.leftovers();
            containers.contains(&flaky)
                && p.inspect(&flaky, "{{.RestartCount}} {{.State.Status}}") == "3 exited"
        },
    );
    std::thread::sleep(Duration::from_secs(2));
    let (code, stdout, stderr) = common::podman::terminate(child);
    assert_eq!(code, Some(143), "{stderr}");
    for n in 1..=3 {
        assert!(
            stderr.contains(&format!(
                "flaky-1 restarted by its policy (on-failure:3): restart {n}"
            )),
            "{stderr}"
        );
    }
    assert!(!stderr.contains("restart 4"), "{stderr}");
    // The output of every run is streamed, each line once: the first run's and the
    // three restarts'.
    let starts = stdout
        .lines()
        .filter(|l| {
            l.split_once(" | ")
                .is_some_and(|(prefix, text)| prefix.trim() == "flaky-1" && text == "start")
        })
        .count();
    assert_eq!(starts, 4, "{stdout}");
    assert_eq!(
        p.inspect(&p.container("web"), "{{.State.Status}}"),
        "exited",
        "nothing is left running"
    );
    p.sidepod(&["down", "-t", "0"]).success();
    p.assert_nothing_left();
}
