//! Real podman: the everyday Compose commands beyond up and down (exec, run, build, pull,
//! start/stop/restart/kill), re-running `up`, orphans, and that `--dry-run` changes
//! nothing. Rootful, or rootless with SIDEPOD_TEST_MODE=rootless.

#[macro_use]
mod common;

use std::time::Duration;

use common::podman::{free_port, Project, BUSYBOX};

fn stack(db_env: &str, port: u16) -> String {
    format!(
        "services:
  db:
    image: {BUSYBOX}
    init: true
    command: [\"sleep\", \"300\"]
    environment: {{LEVEL: \"{db_env}\"}}
  web:
    image: {BUSYBOX}
    init: true
    depends_on: [db]
    command: [\"sh\", \"-c\", \"echo web up; exec sleep 300\"]
    ports: [\"{port}:80\"]
"
    )
}

fn id(p: &Project, service: &str) -> String {
    p.inspect(&p.container(service), "{{.Id}}")
}

#[test]
fn exec_passes_exit_codes_environment_workdir_and_user() {
    let host = host!();
    let p = Project::with_files(
        &host,
        "exec",
        &[("compose.yaml", &stack("1", common::podman::free_port()))],
    );
    p.sidepod(&["up", "-d"]).success();
    assert_eq!(
        p.sidepod(&["exec", "-T", "db", "sh", "-c", "exit 7"]).code,
        7
    );
    let env = p.sidepod(&[
        "exec",
        "-T",
        "-e",
        "EXTRA=yes",
        "db",
        "sh",
        "-c",
        "echo $LEVEL $EXTRA",
    ]);
    assert_eq!(env.stdout.trim(), "1 yes", "{}", env.stderr);
    let wd = p.sidepod(&[
        "exec",
        "-T",
        "-w",
        "/tmp",
        "-u",
        "65534",
        "db",
        "sh",
        "-c",
        "pwd; id -u",
    ]);
    assert_eq!(wd.stdout, "/tmp\n65534\n");
    let none = p.sidepod(&["exec", "-T", "nope", "true"]);
    assert_eq!(none.code, 2, "{}", none.stderr);
    p.sidepod(&["stop", "db"]).success();
    let stopped = p.sidepod(&["exec", "-T", "db", "true"]);
    assert_eq!(stopped.code, 5);
    assert!(
        stopped.stderr.contains("has no running container"),
        "{}",
        stopped.stderr
    );
    p.sidepod(&["down", "-t", "0"]).success();
    p.assert_nothing_left();
}

#[test]
fn run_starts_dependencies_passes_the_exit_code_and_rm_removes_it() {
    let host = host!();
    let p = Project::with_files(
        &host,
        "run",
        &[("compose.yaml", &stack("1", common::podman::free_port()))],
    );
    let out = p.sidepod(&[
        "run",
        "--rm",
        "-T",
        "web",
        "sh",
        "-c",
        "echo one-off; exit 4",
    ]);
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert!(out.stdout.contains("one-off"), "{}", out.stdout);
    assert_eq!(
        p.inspect(&p.container("db"), "{{.State.Status}}"),
        "running",
        "dependency started"
    );
    let (containers, _, _) = p.leftovers();
    assert_eq!(
        containers,
        [p.container("db")],
        "the one-off container is gone and web was not started"
    );
    // Without --rm the one-off stays, labelled as such, until down.
    let kept = p.sidepod(&[
        "run",
        "-T",
        "--name",
        &format!("{}-once", p.name),
        "--no-deps",
        "web",
        "true",
    ]);
    assert_eq!(kept.code, 0, "{}", kept.stderr);
    assert_eq!(
        p.inspect(
            &format!("{}-once", p.name),
            "{{index .Config.Labels \"com.docker.compose.oneoff\"}}"
        ),
        "True"
    );
    p.sidepod(&["down", "-t", "0"]).success();
    p.assert_nothing_left();
}

#[test]
fn build_with_args_then_up_uses_the_built_image() {
    let host = host!();
    let containerfile = format!(
        "FROM {BUSYBOX} AS base\nARG GREETING=hi\nRUN echo \"$GREETING from the build\" > /greeting\n\
         FROM base AS final\nCMD [\"sh\", \"-c\", \"cat /greeting; exec sleep 300\"]\n"
    );
    let compose = "services:\n  app:\n    build: {context: ., target: final}\n    init: true\n";
    let p = Project::with_files(
        &host,
        "buildcmd",
        &[("compose.yaml", compose), ("Containerfile", &containerfile)],
    );
    let built = p.sidepod(&["build", "--build-arg", "GREETING=hey"]);
    assert_eq!(built.code, 0, "{}", built.stderr);
    let up = p.sidepod(&["up", "-d"]);
    assert!(
        !up.stderr.contains("Building"),
        "up rebuilt an existing image: {}",
        up.stderr
    );
    p.wait_for(std::time::Duration::from_secs(20), "the greeting", || {
        p.sidepod(&["logs", "app"])
            .stdout
            .contains("hey from the build")
    });
    p.sidepod(&["down", "-t", "0"]).success();
    p.assert_nothing_left();
    assert_eq!(
        host.podman(&["rmi", &format!("localhost/{}-app:latest", p.name)])
            .code,
        0
    );
}

#[test]
fn pull_policy_never_with_a_missing_image_is_a_clear_error() {
    let host = host!();
    let compose =
        "services:\n  app:\n    image: localhost/sidepod-test/not-here:1\n    pull_policy: never\n";
    let p = Project::with_files(&host, "never", &[("compose.yaml", compose)]);
    let out = p.sidepod(&["up", "-d"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("service \"app\": image localhost/sidepod-test/not-here:1 is not here and its pull_policy is never"),
        "{}",
        out.stderr
    );
    p.assert_nothing_left();
}

#[test]
fn rerunning_up_keeps_what_is_unchanged_and_recreates_what_changed() {
    let host = host!();
    let port = common::podman::free_port();
    let p = Project::with_files(&host, "reup", &[("compose.yaml", &stack("1", port))]);
    p.sidepod(&["up", "-d"]).success();
    let (db1, web1) = (id(&p, "db"), id(&p, "web"));
    let pod1 = p.inspect(&p.container("db"), "{{.Pod}}");
    p.sidepod(&["up", "-d"]).success();
    assert_eq!(
        (id(&p, "db"), id(&p, "web")),
        (db1.clone(), web1.clone()),
        "unchanged: same containers"
    );
    // Changing db's environment recreates db only.
    p.write("compose.yaml", &stack("2", port));
    p.sidepod(&["up", "-d"]).success();
    assert_ne!(id(&p, "db"), db1);
    assert_eq!(id(&p, "web"), web1);
    // Changing a published port recreates the pod, and says why.
    p.write("compose.yaml", &stack("2", common::podman::free_port()));
    let out = p.sidepod(&["up", "-d"]);
    out.success();
    assert!(
        out.stderr
            .contains("published ports, network, DNS or host entries changed"),
        "{}",
        out.stderr
    );
    assert_ne!(p.inspect(&p.container("db"), "{{.Pod}}"), pod1);
    // --force-recreate recreates everything.
    let db2 = id(&p, "db");
    p.sidepod(&["up", "-d", "--force-recreate"]).success();
    assert_ne!(id(&p, "db"), db2);
    p.sidepod(&["down", "-t", "0"]).success();
    p.assert_nothing_left();
}

#[test]
fn orphans_are_pointed_out_and_removed_on_request() {
    let host = host!();
    let service = |name: &str| {
        format!(
            "  {name}:\n    image: {BUSYBOX}\n    init: true\n    command: [\"sleep\", \"300\"]\n"
        )
    };
    let p = Project::with_files(
        &host,
        "orphans",
        &[(
            "compose.yaml",
            &format!("services:\n{}{}", service("a"), service("b")),
        )],
    );
    p.sidepod(&["up", "-d"]).success();
    let pod = p.inspect(&p.container("a"), "{{.Pod}}");
    p.write("compose.yaml", &format!("services:\n{}", service("a")));
    let warned = p.sidepod(&["up", "-d"]);
    warned.success();
    assert!(
        warned.stderr.contains(&p.container("b")) && warned.stderr.contains("--remove-orphans"),
        "{}",
        warned.stderr
    );
    assert_eq!(
        p.inspect(&p.container("a"), "{{.Pod}}"),
        pod,
        "the pod is kept"
    );
    assert_eq!(p.inspect(&p.container("b"), "{{.State.Status}}"), "running");
    p.sidepod(&["up", "-d", "--remove-orphans"]).success();
    assert_eq!(p.leftovers().0, [p.container("a")]);
    p.sidepod(&["down", "-t", "0"]).success();
    p.assert_nothing_left();
}

#[test]
fn stop_start_restart_and_kill_act_on_the_named_services() {
    let host = host!();
    let p = Project::with_files(
        &host,
        "ctl",
        &[("compose.yaml", &stack("1", common::podman::free_port()))],
    );
    p.sidepod(&["up", "-d"]).success();
    let status = |s: &str| p.inspect(&p.container(s), "{{.State.Status}}");
    p.sidepod(&["stop", "web"]).success();
    assert_eq!(
        (status("web"), status("db")),
        ("exited".into(), "running".into()),
        "stop S stops only S"
    );
    p.sidepod(&["stop"]).success();
    assert_eq!(status("db"), "exited");
    p.sidepod(&["start", "web"]).success();
    assert_eq!(
        (status("web"), status("db")),
        ("running".into(), "running".into()),
        "start S starts what S depends on"
    );
    let before = p.inspect(&p.container("db"), "{{.State.StartedAt}}");
    p.sidepod(&["restart", "db"]).success();
    assert_ne!(
        p.inspect(&p.container("db"), "{{.State.StartedAt}}"),
        before
    );
    p.sidepod(&["kill", "-s", "SIGKILL", "db"]).success();
    p.wait_for(std::time::Duration::from_secs(10), "db killed", || {
        status("db") == "exited"
    });
    assert_eq!(p.inspect(&p.container("db"), "{{.State.ExitCode}}"), "137");
    assert_eq!(status("web"), "running");
    p.sidepod(&["down", "-t", "0"]).success();
    p.assert_nothing_left();
}

#[test]
fn dry_runs_change_nothing() {
    let host = host!();
    let p = Project::scenario(&host, "unicorn-stack", "dry");
    // Everything a run of this project could create carries its name; other tests run
    // at the same time, so look only at those.
    let name = format!("name={}", p.name);
    let state = || {
        let list = |args: &[&str]| host.podman(args).stdout;
        (
            list(&[
                "ps",
                "-a",
                "--filter",
                &name,
                "--format",
                "{{.ID}} {{.Exited}} {{.ExitCode}} {{.StartedAt}}",
            ]),
            list(&[
                "pod",
                "ps",
                "--filter",
                &name,
                "--format",
                "{{.ID}} {{.Status}} {{.NumberOfContainers}}",
            ]),
            list(&["volume", "ls", "--filter", &name, "--format", "{{.Name}}"]),
        )
    };
    let port = common::podman::free_port().to_string();
    let env = [("VIEWER_PORT", port.as_str())];
    for args in [
        &["--dry-run", "up", "-d", "--wait"][..],
        &["--dry-run", "up"][..],
        &["--dry-run", "run", "--rm", "viewer", "true"][..],
    ] {
        let before = state();
        let out = p.sidepod_env(args, &env);
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
        assert!(
            out.stdout.lines().all(|l| l.starts_with("podman ")),
            "{}",
            out.stdout
        );
        assert_eq!(state(), before, "{args:?} changed something");
    }
    // With the stack up, dry runs of the commands that stop or remove change nothing.
    p.sidepod_env(&["up", "-d", "--wait"], &env).success();
    for args in [
        &["--dry-run", "down", "-v"][..],
        &["--dry-run", "stop"][..],
        &["--dry-run", "kill"][..],
        &["--dry-run", "restart"][..],
        &["--dry-run", "up", "-d", "--force-recreate"][..],
    ] {
        let before = state();
        let out = p.sidepod_env(args, &env);
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
        assert!(!out.stdout.is_empty(), "{args:?} printed nothing");
        assert_eq!(state(), before, "{args:?} changed something");
    }
    p.sidepod(&["down", "-v", "-t", "0"]).success();
    p.assert_nothing_left();
}

#[test]
fn wait_passes_exit_codes_on_and_down_project_takes_the_project_down() {
    let host = host!();
    let compose = format!(
        "services:
  fails:
    image: {BUSYBOX}
    command: [\"sh\", \"-c\", \"sleep 2; exit 3\"]
  passes:
    image: {BUSYBOX}
    command: [\"true\"]
  serves:
    image: {BUSYBOX}
    init: true
    command: [\"sleep\", \"300\"]
"
    );
    let p = Project::with_files(&host, "wait", &[("compose.yaml", &compose)]);
    let unknown = p.sidepod(&["wait", "nope"]);
    assert_eq!(unknown.code, 2, "{}", unknown.stderr);
    assert!(
        unknown.stderr.contains("no such service: nope"),
        "{}",
        unknown.stderr
    );
    let nothing = p.sidepod(&["wait"]);
    assert_eq!(nothing.code, 1, "{}", nothing.stderr);
    assert!(
        nothing
            .stderr
            .contains("no containers to wait for; run `sidepod up` first"),
        "{}",
        nothing.stderr
    );

    p.sidepod(&["up", "-d"]).success();
    let both = p.sidepod(&["wait", "passes", "fails"]);
    assert_eq!(both.code, 3, "{}", both.stderr);
    for (service, code) in [("passes", 0), ("fails", 3)] {
        let line = format!("Container {}  Exited ({code})", p.container(service));
        assert!(both.stderr.contains(&line), "{line:?} in {}", both.stderr);
    }
    // Waiting leaves everything as it was.
    assert_eq!(
        p.inspect(&p.container("serves"), "{{.State.Status}}"),
        "running"
    );

    // The first container to stop ends the wait and takes the project down.
    p.sidepod(&["start", "fails"]).success();
    let started = std::time::Instant::now();
    let down = p.sidepod(&["wait", "--down-project", "serves", "fails"]);
    assert_eq!(down.code, 3, "{}", down.stderr);
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
    assert!(
        down.stderr.contains(&format!("Pod {}  Removed", p.name)),
        "{}",
        down.stderr
    );
    p.assert_nothing_left();
}

#[test]
fn generated_kube_yaml_runs_under_podman_kube_play_and_down_removes_it() {
    let host = host!();
    let port = common::podman::free_port();
    let compose = format!(
        "services:
  web:
    image: {BUSYBOX}
    command: [\"sh\", \"-c\", \"cp /config/motd /data/index.html; exec httpd -f -p 8080 -h /data\"]
    volumes: [\"./motd:/config/motd:ro\", \"site:/data\"]
    ports: [\"{port}:8080\"]
    healthcheck: {{test: [\"CMD\", \"wget\", \"-q\", \"-O\", \"/dev/null\", \"http://127.0.0.1:8080/\"], interval: 1s}}
  client:
    image: {BUSYBOX}
    command: [\"sh\", \"-c\", \"until wget -q -O /tmp/page http://web:8080/; do sleep 1; done; cat /tmp/page; exec sleep 300\"]
    depends_on: {{web: {{condition: service_healthy}}}}
volumes:
  site: {{}}
"
    );
    let p = Project::with_files(
        &host,
        "kube",
        &[
            ("compose.yaml", &compose),
            ("motd", "hello from kube play\n"),
        ],
    );
    // The Kubernetes form: web, which client waits for, is a native sidecar that holds
    // client back until its startup probe passes.
    let native = p.sidepod(&["generate", "kube"]);
    native.success();
    let web_sidecar = "  initContainers:\n  - name: web\n";
    assert!(native.stdout.contains(web_sidecar), "{}", native.stdout);
    assert!(
        native
            .stdout
            .contains("    restartPolicy: Always\n    startupProbe:\n"),
        "{}",
        native.stdout
    );
    p.write("native.yaml", &native.stdout);
    let played = host.run("podman", &["kube", "play", "native.yaml"], &p.dir, &[]);
    if played.code == 0 {
        // A podman with native sidecars: client starts only once web is healthy.
        let client = format!("{}-client", p.name);
        p.wait_for(Duration::from_secs(60), "the client's page", || {
            host.podman(&["logs", &client]).stdout == "hello from kube play\n"
        });
        host.run("podman", &["kube", "down", "native.yaml"], &p.dir, &[]);
    } else {
        // Podman 4 refuses probes on init containers, so it cannot run native sidecars:
        // it says so, leaving the pod and the volume it made, which `down -v` removes.
        // The schema check in CI (contrib/validate-kube.sh) validates this form instead.
        assert!(
            played
                .stderr
                .contains("cannot create an init container that has either of"),
            "{}",
            played.stderr
        );
        eprintln!(
            "note: this podman cannot play native sidecars: {}",
            played.stderr.trim()
        );
        p.sidepod(&["down", "-v", "-t", "0"]).success();
        p.assert_nothing_left();
    }

    // The podman form: every service one of the pod's containers, started together.
    let generated = p.sidepod(&["generate", "kube", "--for", "podman"]);
    generated.success();
    assert!(
        generated
            .stderr
            .contains("not kept: depends_on (podman kube play starts a pod's containers together"),
        "{}",
        generated.stderr
    );
    assert!(!generated.stdout.contains("initContainers"));
    p.write("kube.yaml", &generated.stdout);

    let play = host.run("podman", &["kube", "play", "kube.yaml"], &p.dir, &[]);
    assert_eq!(play.code, 0, "{}", play.stderr);
    // The published port, the bind mount and the named volume work as under `up`, and
    // the client reaches the web service by its name.
    assert_eq!(
        common::podman::http_get(port, "/"),
        "hello from kube play\n"
    );
    let client = format!("{}-client", p.name);
    p.wait_for(Duration::from_secs(60), "the client's page", || {
        host.podman(&["logs", &client]).stdout == "hello from kube play\n"
    });
    // The volume's name is made a valid Kubernetes name, and the YAML says so.
    let volume = format!("{}-site", p.name);
    assert!(
        generated
            .stdout
            .contains(&format!("#   {}_site -> {volume}\n", p.name)),
        "{}",
        generated.stdout
    );
    assert_eq!(host.podman(&["volume", "exists", &volume]).code, 0);
    assert!(!p
        .inspect(&format!("{}-web", p.name), "{{.Config.Healthcheck}}")
        .is_empty());

    // The pod and the volume carry the project's labels: `down -v` finds and removes them.
    p.sidepod(&["down", "-v", "-t", "0"]).success();
    p.assert_nothing_left();
    assert_ne!(host.podman(&["volume", "exists", &volume]).code, 0);
}

#[test]
fn a_generated_job_runs_its_steps_under_podman_kube_play_with_the_job_runners_exit_code() {
    let host = host!();
    let job = format!(
        "container: {{image: {BUSYBOX}}}
services:
  web:
    image: {BUSYBOX}
    command: [httpd, -f, -p, '8080', -h, /workspace]
    expose: ['8080']
steps:
  - name: one
    run: echo hello > index.html && until wget -q -O - http://web:8080/; do sleep 0.2; done
  - name: two
    run: exit 3
  - name: skipped
    run: echo never
  - name: report
    when: always
    run: echo reported
"
    );
    let p = Project::with_files(&host, "kubejob", &[("sidepod.yaml", &job)]);

    // A cluster's form is a batch/v1 Job, which podman 4 cannot play: it says so and
    // creates nothing; the schema check in CI validates it instead.
    let native = p.sidepod(&["-f", "sidepod.yaml", "generate", "kube"]);
    native.success();
    assert!(native.stdout.contains("kind: Job\n"), "{}", native.stdout);
    assert!(
        native.stdout.contains("  backoffLimit: 0\n"),
        "{}",
        native.stdout
    );
    p.write("job.yaml", &native.stdout);
    let played = host.run("podman", &["kube", "play", "job.yaml"], &p.dir, &[]);
    if played.code != 0 {
        assert!(
            played
                .stderr
                .contains("does not contain any supported kube kind"),
            "{}",
            played.stderr
        );
        eprintln!(
            "note: this podman cannot play a Job: {}",
            played.stderr.trim()
        );
        p.assert_nothing_left();
    } else {
        host.run("podman", &["kube", "down", "job.yaml"], &p.dir, &[]);
    }

    // The podman form is a Pod whose main container runs the steps in order: it stops
    // at the failing step, still runs the `always` one, and ends with the failing code.
    let pod = p.sidepod(&["-f", "sidepod.yaml", "generate", "kube", "--for", "podman"]);
    pod.success();
    p.write("pod.yaml", &pod.stdout);
    let played = host.run("podman", &["kube", "play", "pod.yaml"], &p.dir, &[]);
    assert_eq!(played.code, 0, "{}", played.stderr);
    let main = format!("{}-main", p.name);
    p.wait_for(Duration::from_secs(60), "the steps to end", || {
        p.inspect(&main, "{{.State.Status}}") == "exited"
    });
    assert_eq!(p.inspect(&main, "{{.State.ExitCode}}"), "3");
    assert_eq!(
        host.podman(&["logs", &main]).stdout,
        "== one\nhello\n== two\n== report\nreported\n"
    );
    p.sidepod(&["-f", "sidepod.yaml", "down", "-v", "-t", "0"])
        .success();
    p.assert_nothing_left();
}

#[test]
fn progress_json_gives_one_object_per_event_and_quiet_none() {
    let host = host!();
    let p = Project::with_files(
        &host,
        "progress",
        &[("compose.yaml", &stack("1", common::podman::free_port()))],
    );
    let up = p.sidepod(&["--progress", "json", "up", "-d"]);
    up.success();
    let events = common::json_events(&up.stderr);
    for service in ["db", "web"] {
        let id = format!("Container {}", p.container(service));
        assert!(
            events
                .iter()
                .any(|e| e["id"] == id.as_str() && e["status"] == "Started"),
            "{id} Started in {events:?}"
        );
    }
    assert!(
        events
            .iter()
            .any(|e| e["type"] == "pod" && e["status"] == "Created"),
        "{events:?}"
    );
    // A failure is an event of its own, so that every line stays JSON.
    let bad = p.sidepod(&["--progress", "json", "stop", "nosuch"]);
    assert_ne!(bad.code, 0);
    let failed = common::json_events(&bad.stderr);
    assert!(
        failed
            .iter()
            .any(|e| e["type"] == "error" && e["message"].as_str().unwrap().contains("nosuch")),
        "{failed:?}"
    );
    let down = p.sidepod(&["--progress", "quiet", "down", "-t", "0"]);
    down.success();
    assert_eq!(down.stderr, "");
    p.assert_nothing_left();
}

#[test]
fn restart_true_dependents_restart_when_their_dependency_is_recreated_or_restarted() {
    let host = host!();
    let compose = |level: &str| {
        format!(
            "services:
  db:
    image: {BUSYBOX}
    init: true
    command: [\"sleep\", \"300\"]
    environment: {{LEVEL: \"{level}\"}}
  app:
    image: {BUSYBOX}
    init: true
    command: [\"sleep\", \"300\"]
    depends_on: {{db: {{condition: service_started, restart: true}}}}
  watcher:
    image: {BUSYBOX}
    init: true
    command: [\"sleep\", \"300\"]
    depends_on: [db]
"
        )
    };
    let p = Project::with_files(&host, "restarttrue", &[("compose.yaml", &compose("1"))]);
    p.sidepod(&["up", "-d"]).success();
    let state = |service: &str| p.inspect(&p.container(service), "{{.Id}} {{.State.StartedAt}}");
    let (app, watcher) = (state("app"), state("watcher"));
    std::thread::sleep(Duration::from_secs(1));

    p.write("compose.yaml", &compose("2"));
    let up = p.sidepod(&["up", "-d"]);
    up.success();
    let line = format!(
        "Container {}  Restarted (after db was recreated)",
        p.container("app")
    );
    assert!(up.stderr.contains(&line), "{}", up.stderr);
    let app_after = state("app");
    assert_eq!(
        app_after.split(' ').next(),
        app.split(' ').next(),
        "same container"
    );
    assert_ne!(app_after, app, "app started again");
    assert_eq!(state("watcher"), watcher, "watcher untouched");

    std::thread::sleep(Duration::from_secs(1));
    let restart = p.sidepod(&["restart", "db"]);
    restart.success();
    assert!(
        restart.stderr.contains(&format!(
            "Container {}  Restarted (after db)",
            p.container("app")
        )),
        "{}",
        restart.stderr
    );
    assert_ne!(state("app"), app_after);
    assert_eq!(state("watcher"), watcher);
    p.sidepod(&["down", "-t", "0"]).success();
    p.assert_nothing_left();
}

#[test]
fn pause_unpause_port_top_rm_and_ls_act_on_the_project() {
    let host = host!();
    let cannot_pause = host.rootless_on_cgroups_v1();
    let port = common::podman::free_port();
    let p = Project::with_files(&host, "extras", &[("compose.yaml", &stack("1", port))]);
    p.sidepod(&["up", "-d"]).success();
    let state = |service: &str| p.inspect(&p.container(service), "{{.State.Status}}");

    // port: where web's port 80 is published; db publishes none.
    let published = p.sidepod(&["port", "web", "80"]);
    published.success();
    assert_eq!(
        published.stdout.trim().rsplit(':').next(),
        Some(port.to_string().as_str())
    );
    let none = p.sidepod(&["port", "db", "80"]);
    assert_eq!(none.code, 1);
    assert!(
        none.stderr
            .contains("service \"db\" does not publish port 80/tcp"),
        "{}",
        none.stderr
    );

    // top: each running container's processes, under its name.
    let top = p.sidepod(&["top", "db"]);
    top.success();
    assert!(
        top.stdout.starts_with(&format!("{}\n", p.container("db"))),
        "{}",
        top.stdout
    );
    assert!(top.stdout.contains("sleep 300"), "{}", top.stdout);

    // ls: the project, with its state and its file.
    let ls = p.sidepod(&["ls", "--format", "json"]);
    ls.success();
    let row = ls
        .json()
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["Name"] == p.name.as_str())
        .cloned()
        .unwrap_or_else(|| panic!("{} not in {}", p.name, ls.stdout));
    assert_eq!(row["Status"], "running(2)");
    assert_eq!(
        row["ConfigFiles"],
        p.dir
            .join("compose.yaml")
            .canonicalize()
            .unwrap()
            .to_str()
            .unwrap()
    );

    // ls --filter name=: only the projects whose name holds it.
    let mine = p.sidepod(&["ls", "-q", "--filter", &format!("name={}", p.name)]);
    assert_eq!(mine.stdout, format!("{}\n", p.name));
    let none = p.sidepod(&["ls", "-q", "--filter", "name=no-project-has-this"]);
    assert_eq!(none.stdout, "");
    let bad = p.sidepod(&["ls", "--filter", "status=running"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);

    // pause and unpause; where the host cannot pause, sidepod says why and what to do.
    let pause = p.sidepod(&["pause", "db"]);
    if cannot_pause {
        assert_eq!(pause.code, 4, "{}", pause.stderr);
        assert!(
            pause.stderr.contains("fix: boot the host with cgroups v2"),
            "{}",
            pause.stderr
        );
        assert_eq!(state("db"), "running");
    } else {
        pause.success();
        assert_eq!(state("db"), "paused");
        p.sidepod(&["unpause"]).success();
        assert_eq!(state("db"), "running");
    }

    // rm: only stopped containers, unless -s stops them first.
    let nothing = p.sidepod(&["rm", "-f"]);
    nothing.success();
    assert!(
        nothing.stderr.contains("No stopped containers"),
        "{}",
        nothing.stderr
    );
    p.sidepod(&["stop", "web"]).success();
    p.sidepod(&["rm", "-f"]).success();
    let (containers, pods, _) = p.leftovers();
    assert_eq!(containers, [p.container("db")]);
    assert_eq!(pods, std::slice::from_ref(&p.name));
    p.sidepod(&["rm", "-s", "-f", "db"]).success();
    assert_eq!(p.leftovers().0, Vec::<String>::new());
    let quiet = p.sidepod(&["ls", "-a", "-q"]);
    assert!(
        !quiet.stdout.lines().any(|l| l == p.name),
        "{}",
        quiet.stdout
    );

    p.sidepod(&["down", "-t", "0"]).success();
    p.assert_nothing_left();
}

#[test]
fn resource_limits_and_kernel_settings_reach_the_container() {
    let host = host!();
    let cgroups_v1_rootless = host.rootless_on_cgroups_v1();
    let compose = format!(
        "services:
  app:
    image: {BUSYBOX}
    init: true
    command: [\"sh\", \"-c\", \"cat /proc/sys/net/core/somaxconn; id -G; exec sleep 300\"]
    mem_limit: 64m
    cpus: 0.5
    pids_limit: 100
    sysctls: {{net.core.somaxconn: 1024}}
    group_add: [\"4242\"]
"
    );
    let p = Project::with_files(&host, "limits", &[("compose.yaml", &compose)]);
    let up = p.sidepod(&["up", "-d"]);
    up.success();
    let app = p.container("app");
    p.wait_for(Duration::from_secs(30), "the app's output", || {
        host.podman(&["logs", &app]).stdout.lines().count() >= 2
    });
    let logs = host.podman(&["logs", &app]).stdout;
    let mut lines = logs.lines();
    assert_eq!(lines.next(), Some("1024"), "{logs}");
    assert!(
        lines
            .next()
            .unwrap_or_default()
            .split(' ')
            .any(|g| g == "4242"),
        "{logs}"
    );
    if cgroups_v1_rootless {
        // podman starts it without limits here; sidepod says so.
        assert!(
            up.stderr
                .contains("resource limits are ignored by rootless podman"),
            "{}",
            up.stderr
        );
    } else {
        assert_eq!(
            p.inspect(
                &app,
                "{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}}"
            ),
            "67108864 500000000 100"
        );
    }
    p.sidepod(&["down", "-t", "0"]).success();
    p.assert_nothing_left();
}

#[test]
fn secrets_and_configs_are_mounted_read_only_from_their_files() {
    let host = host!();
    let compose = format!(
        "services:
  app:
    image: {BUSYBOX}
    command: [\"sh\", \"-c\", \"cat /run/secrets/token /etc/app.conf; echo x > /run/secrets/token || echo read-only\"]
    secrets: [token]
    configs: [{{source: app_conf, target: /etc/app.conf}}]
secrets:
  token: {{file: ./token.txt}}
configs:
  app_conf: {{file: ./app.conf}}
"
    );
    let p = Project::with_files(
        &host,
        "secrets",
        &[
            ("compose.yaml", &compose),
            ("token.txt", "t0ken\n"),
            ("app.conf", "debug = false\n"),
        ],
    );
    let run = p.sidepod(&["run", "--rm", "-T", "app"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.starts_with("t0ken\ndebug = false\n"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.ends_with("read-only\n"), "{}", run.stdout);
    p.sidepod(&["down", "-t", "0"]).success();
    p.assert_nothing_left();
}

#[test]
fn dns_settings_reach_every_container_through_the_pod() {
    let host = host!();
    let compose = format!(
        "services:
  app:
    image: {BUSYBOX}
    init: true
    command: [\"sleep\", \"300\"]
    dns: 10.11.12.13
    dns_search: [corp.example]
    dns_opt: [\"ndots:3\"]
  other:
    image: {BUSYBOX}
    init: true
    command: [\"sleep\", \"300\"]
"
    );
    let p = Project::with_files(&host, "dns", &[("compose.yaml", &compose)]);
    p.sidepod(&["up", "-d"]).success();
    for service in ["app", "other"] {
        let resolv = p.sidepod(&["exec", "-T", service, "cat", "/etc/resolv.conf"]);
        resolv.success();
        for line in ["nameserver 10.11.12.13", "corp.example", "ndots:3"] {
            assert!(
                resolv.stdout.contains(line),
                "{service}: {line:?} in {}",
                resolv.stdout
            );
        }
    }
    p.sidepod(&["down", "-t", "0"]).success();
    p.assert_nothing_left();
}

#[test]
fn volumes_from_mounts_another_services_volumes() {
    let host = host!();
    let compose = format!(
        "services:
  data:
    image: {BUSYBOX}
    init: true
    command: [\"sh\", \"-c\", \"echo shared > /shared/file; exec sleep 300\"]
    volumes: [store:/shared]
  reader:
    image: {BUSYBOX}
    command: [\"sh\", \"-c\", \"sleep 1; cat /shared/file; touch /shared/x || echo read-only\"]
    volumes_from: [\"data:ro\"]
volumes:
  store: {{}}
"
    );
    let p = Project::with_files(&host, "volfrom", &[("compose.yaml", &compose)]);
    p.sidepod(&["up", "-d"]).success();
    let reader = p.container("reader");
    p.wait_for(Duration::from_secs(30), "the reader to finish", || {
        p.inspect(&reader, "{{.State.Status}}") == "exited"
    });
    assert_eq!(
        host.podman(&["logs", &reader]).stdout,
        "shared\nread-only\n"
    );
    p.sidepod(&["down", "-v", "-t", "0"]).success();
    p.assert_nothing_left();
}

#[test]
fn an_images_own_healthcheck_is_waited_for_and_disable_turns_it_off() {
    let host = host!();
    // Healthy two seconds after it starts: a dependent must wait for that.
    let containerfile = format!(
        "FROM {BUSYBOX}\nHEALTHCHECK --interval=1s --timeout=2s --retries=30 CMD test -f /tmp/ready\n\
         CMD [\"sh\", \"-c\", \"sleep 2; touch /tmp/ready; exec sleep 300\"]\n"
    );
    let compose = format!(
        "services:
  db:
    build: .
    init: true
  web:
    image: {BUSYBOX}
    init: true
    depends_on: {{db: {{condition: service_healthy}}}}
    command: [\"sleep\", \"300\"]
  quiet:
    build: .
    init: true
    healthcheck: {{disable: true}}
"
    );
    let p = Project::with_files(
        &host,
        "imagehc",
        &[
            ("compose.yaml", &compose),
            ("Containerfile", &containerfile),
        ],
    );
    let up = p.sidepod(&["up", "-d", "--wait", "--wait-timeout", "60"]);
    assert_eq!(up.code, 0, "{}", up.stderr);
    let db = p.container("db");
    let healthy = up
        .stderr
        .find(&format!("Container {db}  Healthy"))
        .unwrap_or_else(|| panic!("db was not waited for: {}", up.stderr));
    let web_started = up
        .stderr
        .find(&format!("Container {}  Started", p.container("web")))
        .unwrap();
    assert!(healthy < web_started, "{}", up.stderr);
    // The disabled one has no healthcheck at all, not even its image's.
    assert!(
        !up.stderr
            .contains(&format!("Container {}  Healthy", p.container("quiet"))),
        "{}",
        up.stderr
    );
    let configured = p.inspect(&p.container("quiet"), "{{.Config.Healthcheck}}");
    assert!(configured.contains("NONE"), "{configured}");
    p.sidepod(&["down", "-t", "0"]).success();
    p.assert_nothing_left();
    for service in ["db", "quiet"] {
        host.podman(&["rmi", &format!("localhost/{}-{service}:latest", p.name)]);
    }
}

#[test]
fn ps_after_up_d_shows_current_health_not_starting_forever() {
    let host = host!();
    // Nothing waits for its health: only `ps` runs the check, podman's timers never do.
    let compose = format!(
        "services:\n  api:\n    image: {BUSYBOX}\n    init: true\n    command: [\"sleep\", \"300\"]\n    healthcheck: {{test: [\"CMD\", \"true\"], interval: 1h}}\n"
    );
    let p = Project::with_files(&host, "pshealth", &[("compose.yaml", &compose)]);
    p.sidepod(&["up", "-d"]).success();
    let ps = p.sidepod(&["ps"]);
    ps.success();
    assert!(ps.stdout.contains("running (healthy)"), "{}", ps.stdout);
    let json = p.sidepod(&["ps", "--format", "json"]);
    assert!(
        json.stdout.contains("\"Health\":\"healthy\""),
        "{}",
        json.stdout
    );
    p.sidepod(&["down", "-t", "0"]).success();
    p.assert_nothing_left();
}

#[test]
fn ps_prints_ids_services_states_and_each_services_own_ports() {
    let host = host!();
    let port = free_port();
    let compose = format!(
        "services:
  web:
    image: {BUSYBOX}
    command: [httpd, -f, -p, '80']
    ports: ['127.0.0.1:{port}:80']
  db:
    image: {BUSYBOX}
    init: true
    command: [sleep, '300']
  once:
    image: {BUSYBOX}
    command: [sh, -c, 'exit 3']
"
    );
    let p = Project::with_files(&host, "psflags", &[("compose.yaml", &compose)]);
    p.sidepod(&["up", "-d"]).success();
    let exited = || {
        p.sidepod(&["ps", "-a", "--status", "exited", "--services"])
            .stdout
    };
    let started = std::time::Instant::now();
    while exited() != "once\n" {
        assert!(started.elapsed().as_secs() < 30, "once never exited");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let services = p.sidepod(&["ps", "--services"]);
    assert_eq!(services.stdout, "db\nweb\n");
    let ids = p.sidepod(&["ps", "-q"]);
    let ids: Vec<&str> = ids.stdout.lines().collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert_eq!(p.inspect(ids[0], "{{.Name}}"), p.container("db"));
    let filtered = p.sidepod(&["ps", "-a", "--filter", "status=exited", "-q"]);
    assert_eq!(filtered.stdout.lines().count(), 1, "{}", filtered.stdout);
    let json = p.sidepod(&["ps", "--format", "json"]);
    let rows: Vec<serde_json::Value> = json
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let row = |s: &str| rows.iter().find(|r| r["Service"] == s).unwrap().clone();
    // The pod publishes web's port; only web shows it.
    assert_eq!(row("web")["Project"], p.name);
    assert_eq!(row("web")["Publishers"][0]["PublishedPort"], port);
    assert_eq!(row("web")["Publishers"][0]["TargetPort"], 80);
    assert_eq!(row("web")["Publishers"][0]["URL"], "127.0.0.1");
    assert_eq!(row("db")["Publishers"], serde_json::json!([]));
    assert_eq!(row("db")["Ports"], "");
    let table = p.sidepod(&["ps"]);
    let db_line = table.stdout.lines().find(|l| l.contains("db")).unwrap();
    assert!(!db_line.contains("->"), "{}", table.stdout);
    let bad = p.sidepod(&["ps", "--filter", "name=web"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("status=STATE"), "{}", bad.stderr);
    p.sidepod(&["down", "-t", "0"]).success();
    p.assert_nothing_left();
}

#[test]
fn logs_take_n_index_until_and_print_without_prefix_or_colour() {
    let host = host!();
    let compose = format!(
        "services:
  talk:
    image: {BUSYBOX}
    init: true
    command: [sh, -c, 'echo first; echo second; exec sleep 300']
    deploy: {{replicas: 2}}
"
    );
    let p = Project::with_files(&host, "logflags", &[("compose.yaml", &compose)]);
    p.sidepod(&["up", "-d"]).success();
    let started = std::time::Instant::now();
    while p.sidepod(&["logs"]).stdout.matches("second").count() < 2 {
        assert!(started.elapsed().as_secs() < 30, "no output");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let last = p.sidepod(&["logs", "-n", "1"]);
    assert_eq!(last.stdout.matches("second").count(), 2, "{}", last.stdout);
    assert!(!last.stdout.contains("first"), "{}", last.stdout);
    let second = p.sidepod(&["logs", "--index", "2"]);
    assert!(
        second.stdout.lines().all(|l| l.starts_with("talk-2 ")),
        "{}",
        second.stdout
    );
    assert_eq!(second.stdout.lines().count(), 2, "{}", second.stdout);
    let bare = p.sidepod(&["logs", "--no-log-prefix", "--index", "1"]);
    assert_eq!(bare.stdout, "first\nsecond\n");
    let plain = p.sidepod(&["--ansi", "always", "logs", "--no-color"]);
    assert!(!plain.stdout.contains('\x1b'), "{:?}", plain.stdout);
    let coloured = p.sidepod(&["--ansi", "always", "logs"]);
    assert!(coloured.stdout.contains('\x1b'), "{:?}", coloured.stdout);
    let before = p.sidepod(&["logs", "--until", "2000-01-01T00:00:00Z"]);
    assert_eq!(before.code, 0, "{}", before.stderr);
    assert_eq!(before.stdout, "");
    p.sidepod(&["down", "-t", "0"]).success();
    p.assert_nothing_left();
}

#[test]
fn up_scales_pulls_and_keeps_or_refuses_as_its_flags_say() {
    let host = host!();
    let compose = |extra: &str| {
        format!(
            "services:
  web:
    image: {BUSYBOX}
    init: true
    command: [sleep, '300']
    environment: {{MARK: '{extra}'}}
  app:
    build: .
    image: localhost/never-built-{pid}:1
    profiles: [built]
  absent:
    image: localhost/absent-{pid}:1
    profiles: [absent]
",
            pid = std::process::id()
        )
    };
    let p = Project::with_files(&host, "upflags", &[("compose.yaml", &compose("a"))]);
    let running = || {
        let ids = p.sidepod(&["ps", "-q"]);
        assert_eq!(ids.code, 0, "{}", ids.stderr);
        ids.stdout.lines().count()
    };
    p.sidepod(&["up", "-d", "--scale", "web=3"]).success();
    assert_eq!(running(), 3);
    let first = p.inspect(&p.container("web"), "{{.Id}}");
    // Down to one: the others go, the first stays as it was.
    let down = p.sidepod(&["up", "-d", "--scale", "web=1"]);
    assert_eq!(down.code, 0, "{}", down.stderr);
    assert!(down.stderr.contains("web-3  Removed"), "{}", down.stderr);
    assert_eq!(running(), 1);
    assert_eq!(p.inspect(&p.container("web"), "{{.Id}}"), first);
    // A changed file, with --no-recreate: the container is kept.
    p.write("compose.yaml", &compose("b"));
    p.sidepod(&["up", "-d", "--no-recreate"]).success();
    assert_eq!(p.inspect(&p.container("web"), "{{.Id}}"), first);
    p.sidepod(&["up", "-d"]).success();
    assert_ne!(p.inspect(&p.container("web"), "{{.Id}}"), first);
    // --no-build: a missing image of a build service is an error, and nothing is built.
    let unbuilt = p.sidepod(&["--profile", "built", "up", "-d", "--no-build", "app"]);
    assert_eq!(unbuilt.code, 3, "{}", unbuilt.stderr);
    assert!(unbuilt.stderr.contains("--no-build"), "{}", unbuilt.stderr);
    // --pull never, over the file's default (missing): an image that is not here is
    // an error instead of a pull.
    let never = p.sidepod(&[
        "--profile",
        "absent",
        "-v",
        "up",
        "-d",
        "--pull",
        "never",
        "absent",
    ]);
    assert_ne!(never.code, 0, "{}", never.stderr);
    assert!(
        never.stderr.contains("pull_policy is never"),
        "{}",
        never.stderr
    );
    assert!(!never.stderr.contains("pull --quiet"), "{}", never.stderr);
    let bad = p.sidepod(&["up", "-d", "--scale", "web"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    let unknown = p.sidepod(&["up", "-d", "--scale", "nope=2"]);
    assert_ne!(unknown.code, 0);
    assert!(unknown.stderr.contains("nope"), "{}", unknown.stderr);
    p.sidepod(&["down", "-t", "0"]).success();
    p.assert_nothing_left();
}

#[test]
fn attached_up_shows_the_services_asked_for_bare_or_with_timestamps() {
    let host = host!();
    let compose = format!(
        "services:
  loud:
    image: {BUSYBOX}
    command: [sh, -c, 'echo from-loud; sleep 1']
  quiet:
    image: {BUSYBOX}
    command: [sh, -c, 'echo from-quiet; sleep 1']
"
    );
    let p = Project::with_files(&host, "attachflags", &[("compose.yaml", &compose)]);
    let up = p.sidepod(&[
        "up",
        "--no-attach",
        "quiet",
        "--no-log-prefix",
        "--timestamps",
    ]);
    assert_eq!(up.code, 0, "{}", up.stderr);
    assert!(!up.stdout.contains("from-quiet"), "{}", up.stdout);
    let line = up.stdout.lines().find(|l| l.contains("from-loud")).unwrap();
    assert!(!line.contains(" | "), "{line}");
    // podman's timestamp comes first: 2026-12-02T17:00:00.000000000+00:00 from-loud
    assert!(line.split(' ').next().unwrap().contains('T'), "{line}");
    let only = p.sidepod(&["up", "--attach", "quiet"]);
    assert!(only.stdout.contains("from-quiet"), "{}", only.stdout);
    assert!(!only.stdout.contains("from-loud"), "{}", only.stdout);
    p.sidepod(&["down", "-t", "0"]).success();
    p.assert_nothing_left();
}

#[test]
fn down_rmi_removes_the_built_images_and_exec_d_returns_at_once() {
    let host = host!();
    let named = format!("localhost/rmi-named-{}:1", std::process::id());
    assert_eq!(host.podman(&["tag", BUSYBOX, &named]).code, 0);
    let compose = format!(
        "services:
  built:
    build: .
    init: true
    command: [sleep, '300']
  named:
    image: {named}
    init: true
    command: [sleep, '300']
"
    );
    let p = Project::with_files(
        &host,
        "rmi",
        &[
            ("compose.yaml", &compose),
            ("Dockerfile", &format!("FROM {BUSYBOX}\nRUN touch /built\n")),
        ],
    );
    p.sidepod(&["up", "-d"]).success();
    let started = std::time::Instant::now();
    let exec = p.sidepod(&[
        "exec",
        "-d",
        "named",
        "sh",
        "-c",
        "sleep 5; touch /tmp/done",
    ]);
    assert_eq!(exec.code, 0, "{}", exec.stderr);
    // Well short of the command's 5 s, on a loaded host too.
    assert!(started.elapsed().as_secs_f64() < 4.0, "exec -d waited");
    let done = || {
        p.sidepod(&["exec", "named", "test", "-e", "/tmp/done"])
            .code
            == 0
    };
    assert!(!done());
    while !done() {
        assert!(
            started.elapsed().as_secs() < 20,
            "the detached command never ran"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let built = format!("localhost/{}-built:latest", p.name);
    let exists = |image: &str| host.podman(&["image", "exists", image]).code == 0;
    assert!(exists(&built));
    // local: only the image built without a name of its own.
    let down = p.sidepod(&["down", "-t", "0", "--rmi", "local"]);
    assert_eq!(down.code, 0, "{}", down.stderr);
    assert!(!exists(&built), "{}", down.stderr);
    assert!(exists(&named));
    p.sidepod(&["up", "-d"]).success();
    let down = p.sidepod(&["down", "-t", "0", "--rmi", "all"]);
    assert_eq!(down.code, 0, "{}", down.stderr);
    assert!(!exists(&built) && !exists(&named), "{}", down.stderr);
    p.assert_nothing_left();
}

#[test]
fn run_takes_detach_volumes_labels_capabilities_and_ports_where_they_can_hold() {
    let host = host!();
    let compose = format!(
        "services:
  tool:
    image: {BUSYBOX}
    init: true
    command: [sleep, '300']
"
    );
    let p = Project::with_files(&host, "runflags", &[("compose.yaml", &compose)]);
    p.writable_dir("data");
    p.write("data/hello", "from the host\n");
    let read = p.sidepod(&[
        "run",
        "--rm",
        "-v",
        "./data:/mnt:ro",
        "-l",
        "purpose=check",
        "--cap-add",
        "NET_ADMIN",
        "tool",
        "sh",
        "-c",
        "cat /mnt/hello; grep CapEff /proc/self/status",
    ]);
    assert_eq!(read.code, 0, "{}", read.stderr);
    assert!(read.stdout.contains("from the host"), "{}", read.stdout);
    let plain = p.sidepod(&["run", "--rm", "tool", "grep", "CapEff", "/proc/self/status"]);
    let caps = |out: &str| {
        out.lines()
            .find(|l| l.starts_with("CapEff"))
            .map(str::to_string)
    };
    assert!(caps(&plain.stdout).is_some(), "{}", plain.stdout);
    assert_ne!(
        caps(&read.stdout),
        caps(&plain.stdout),
        "--cap-add changed nothing"
    );
    let detached = p.sidepod(&["run", "-d", "-l", "purpose=check", "tool", "sleep", "300"]);
    assert_eq!(detached.code, 0, "{}", detached.stderr);
    let name = detached.stdout.trim().to_string();
    assert!(name.starts_with(&format!("{}-tool-run-", p.name)), "{name}");
    assert_eq!(p.inspect(&name, "{{.State.Status}}"), "running");
    assert_eq!(
        p.inspect(&name, "{{index .Config.Labels \"purpose\"}}"),
        "check"
    );
    // In one pod, a one-off cannot publish a port of its own.
    let port = free_port().to_string();
    let refused = p.sidepod(&["run", "--rm", "-p", &format!("{port}:80"), "tool", "true"]);
    assert_eq!(refused.code, 3, "{}", refused.stderr);
    assert!(refused.stderr.contains("bridge mode"), "{}", refused.stderr);
    let bad = p.sidepod(&["run", "--rm", "-p", "notaport", "tool", "true"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    p.sidepod(&["down", "-t", "0"]).success();
    p.assert_nothing_left();
    // In bridge mode it can.
    let served = p.sidepod(&[
        "--network",
        "bridge",
        "run",
        "-d",
        "-p",
        &format!("127.0.0.1:{port}:80"),
        "tool",
        "sh",
        "-c",
        "mkdir -p /www && echo served > /www/index.html && exec httpd -f -p 80 -h /www",
    ]);
    assert_eq!(served.code, 0, "{}", served.stderr);
    let started = std::time::Instant::now();
    loop {
        let got = std::panic::catch_unwind(|| common::podman::http_get(port.parse().unwrap(), "/"));
        if let Ok(body) = got {
            assert_eq!(body, "served\n");
            break;
        }
        assert!(started.elapsed().as_secs() < 20, "nothing served on {port}");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    p.sidepod(&["--network", "bridge", "down", "-t", "0"])
        .success();
    p.assert_nothing_left();
}

#[test]
fn cp_copies_between_a_service_container_and_the_host() {
    let host = host!();
    let compose = format!(
        "services:
  box:
    image: {BUSYBOX}
    init: true
    command: [sleep, '300']
"
    );
    let p = Project::with_files(&host, "cp", &[("compose.yaml", &compose)]);
    p.write("note.txt", "from the host\n");
    p.sidepod(&["up", "-d"]).success();
    let into = p.sidepod(&["cp", "./note.txt", "box:/tmp/note.txt"]);
    assert_eq!(into.code, 0, "{}", into.stderr);
    let cat = p.sidepod(&["exec", "box", "cat", "/tmp/note.txt"]);
    assert_eq!(cat.stdout, "from the host\n");
    p.sidepod(&[
        "exec",
        "box",
        "sh",
        "-c",
        "echo from the box > /tmp/back.txt",
    ])
    .success();
    p.writable_dir("out");
    let out = p.sidepod(&["cp", "box:/tmp/back.txt", "out/back.txt"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        std::fs::read_to_string(p.dir.join("out/back.txt")).unwrap(),
        "from the box\n"
    );
    let both = p.sidepod(&["cp", "box:/a", "box:/b"]);
    assert_eq!(both.code, 2, "{}", both.stderr);
    let none = p.sidepod(&["cp", "a", "b"]);
    assert_eq!(none.code, 2, "{}", none.stderr);
    let unknown = p.sidepod(&["cp", "nope:/a", "b"]);
    assert!(
        unknown.stderr.contains("no such service: nope"),
        "{}",
        unknown.stderr
    );
    p.sidepod(&["down", "-t", "0"]).success();
    p.assert_nothing_left();
}

#[test]
fn images_volumes_and_scale_list_and_size_the_project() {
    let host = host!();
    let compose = format!(
        "services:
  app:
    image: {BUSYBOX}
    init: true
    command: [sleep, '300']
    volumes: [data:/data]
  other:
    image: {BUSYBOX}
    init: true
    command: [sleep, '300']
    volumes: [scratch:/scratch]
volumes:
  data: {{}}
  scratch: {{}}
"
    );
    let p = Project::with_files(&host, "lists", &[("compose.yaml", &compose)]);
    p.sidepod(&["up", "-d"]).success();
    let images = p.sidepod(&["images"]);
    assert_eq!(images.code, 0, "{}", images.stderr);
    let lines: Vec<&str> = images.stdout.lines().collect();
    assert!(lines[0].starts_with("CONTAINER"), "{}", images.stdout);
    assert_eq!(lines.len(), 3, "{}", images.stdout);
    let (repo, tag) = BUSYBOX.rsplit_once(':').unwrap();
    assert!(
        lines[1].contains(repo) && lines[1].contains(tag),
        "{}",
        images.stdout
    );
    let ids = p.sidepod(&["images", "-q"]);
    assert_eq!(ids.stdout.lines().count(), 1, "one image: {}", ids.stdout);
    assert_eq!(ids.stdout.trim().len(), 12, "{}", ids.stdout);
    let volumes = p.sidepod(&["volumes", "-q"]);
    assert_eq!(
        volumes.stdout,
        format!("{0}_data\n{0}_scratch\n", p.name),
        "{}",
        volumes.stderr
    );
    let own = p.sidepod(&["volumes", "-q", "app"]);
    assert_eq!(own.stdout, format!("{}_data\n", p.name));
    let scale = p.sidepod(&["scale", "app=2"]);
    assert_eq!(scale.code, 0, "{}", scale.stderr);
    let ps = p.sidepod(&["ps", "-q", "app"]);
    assert_eq!(ps.stdout.lines().count(), 2, "{}", ps.stdout);
    p.sidepod(&["scale", "app=1"]).success();
    let ps = p.sidepod(&["ps", "-q", "app"]);
    assert_eq!(ps.stdout.lines().count(), 1, "{}", ps.stdout);
    let bad = p.sidepod(&["scale", "app"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    p.sidepod(&["down", "-t", "0", "-v"]).success();
    p.assert_nothing_left();
}

#[test]
fn start_wait_returns_once_the_services_are_healthy_or_fails_in_time() {
    let host = host!();
    let compose = format!(
        "services:
  slow:
    image: {BUSYBOX}
    init: true
    command: [sh, -c, 'sleep 2; touch /tmp/ready; exec sleep 300']
    healthcheck: {{test: [CMD, test, -e, /tmp/ready], interval: 1h, start_interval: 250ms, start_period: 30s}}
  never:
    image: {BUSYBOX}
    init: true
    command: [sleep, '300']
    healthcheck: {{test: [CMD, 'false'], interval: 1h, start_interval: 250ms, retries: 1}}
    profiles: [broken]
"
    );
    let p = Project::with_files(&host, "startwait", &[("compose.yaml", &compose)]);
    p.sidepod(&["up", "-d"]).success();
    p.sidepod(&["stop", "-t", "0"]).success();
    let start = p.sidepod(&["start", "--wait"]);
    assert_eq!(start.code, 0, "{}", start.stderr);
    assert!(start.stderr.contains("Healthy"), "{}", start.stderr);
    let json = p.sidepod(&["ps", "--format", "json"]);
    assert!(
        json.stdout.contains("\"Health\":\"healthy\""),
        "{}",
        json.stdout
    );
    p.sidepod(&["--profile", "broken", "up", "-d", "never"])
        .success();
    p.sidepod(&["--profile", "broken", "stop", "-t", "0", "never"])
        .success();
    let never = p.sidepod(&[
        "--profile",
        "broken",
        "start",
        "--wait",
        "--wait-timeout",
        "3",
        "never",
    ]);
    assert_eq!(never.code, 5, "{}", never.stderr);
    p.sidepod(&["--profile", "broken", "down", "-t", "0"])
        .success();
    p.assert_nothing_left();
}

#[test]
fn restart_takes_its_followers_along_unless_no_deps() {
    let host = host!();
    let compose = format!(
        "services:
  db:
    image: {BUSYBOX}
    init: true
    command: [sleep, '300']
  app:
    image: {BUSYBOX}
    init: true
    command: [sleep, '300']
    depends_on:
      db: {{condition: service_started, restart: true}}
"
    );
    let p = Project::with_files(&host, "restartdeps", &[("compose.yaml", &compose)]);
    p.sidepod(&["up", "-d"]).success();
    let started = |s: &str| p.inspect(&p.container(s), "{{.State.StartedAt}}");
    let app = started("app");
    let alone = p.sidepod(&["restart", "--no-deps", "-t", "0", "db"]);
    assert_eq!(alone.code, 0, "{}", alone.stderr);
    assert_eq!(started("app"), app, "app was restarted: {}", alone.stderr);
    let along = p.sidepod(&["restart", "-t", "0", "db"]);
    assert_eq!(along.code, 0, "{}", along.stderr);
    assert_ne!(started("app"), app, "{}", along.stderr);
    p.sidepod(&["down", "-t", "0"]).success();
    p.assert_nothing_left();
}
