//! Real podman: the Compose keys the loader accepts as docker compose does, where they
//! change what runs. Secrets and configs from `content` and `environment`, an inline
//! Dockerfile with extra tags, an image mounted as a volume, `deploy.restart_policy`,
//! and what `up` refuses before it creates anything. Rootful, or rootless with
//! SIDEPOD_TEST_MODE=rootless.

#[macro_use]
mod common;

use std::time::Duration;

use common::podman::{Project, BUSYBOX};

#[test]
fn secrets_and_configs_from_content_and_environment_are_mounted_read_only() {
    let host = host!();
    let compose = "services:
  app:
    image: BUSYBOX
    init: true
    command: [sh, -c, 'cat /run/secrets/token /run/secrets/cert /etc/app.conf; stat -c %a /run/secrets/token; sleep 300']
    secrets:
      - source: token
        mode: 0400
      - cert
    configs:
      - source: app
        target: /etc/app.conf
secrets:
  token: {environment: APP_TOKEN}
  cert: {content: \"cert-from-content\"}
configs:
  app:
    content: |
      listen=8080
"
    .replace("BUSYBOX", BUSYBOX);
    let p = Project::with_files(&host, "content", &[("compose.yaml", &compose)]);
    let env = [("APP_TOKEN", "token-from-the-environment")];
    p.sidepod_env(&["up", "-d"], &env).success();
    let mut logs = String::new();
    p.wait_for(Duration::from_secs(20), "the files in the log", || {
        logs = p.sidepod(&["logs", "app"]).stdout;
        logs.contains("listen=8080")
    });
    assert!(logs.contains("token-from-the-environment"), "{logs}");
    assert!(logs.contains("cert-from-content"), "{logs}");
    // The mode the file asks for; read-only inside the container.
    assert!(logs.contains("app-1 | 400"), "{logs}");
    let write = p.sidepod(&[
        "exec",
        "-T",
        "app",
        "sh",
        "-c",
        "echo changed > /run/secrets/cert",
    ]);
    assert_ne!(write.code, 0, "a mounted secret must be read-only");
    p.sidepod(&["down", "-t", "0"]).success();
    p.assert_nothing_left();
}

#[test]
fn an_inline_dockerfile_builds_with_its_extra_tags() {
    let host = host!();
    let compose = format!(
        "services:
  app:
    build:
      context: .
      dockerfile_inline: |
        FROM {BUSYBOX}
        RUN echo built-inline > /built
        CMD [\"sh\", \"-c\", \"cat /built; exec sleep 300\"]
      tags: [localhost/PROJECT-extra:1]
    init: true
"
    );
    let p = Project::with_files(&host, "inline", &[("compose.yaml", "")]);
    p.write("compose.yaml", &compose.replace("PROJECT", &p.name));
    let out = p.sidepod(&["up", "--build", "-d"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    p.wait_for(Duration::from_secs(20), "the built file", || {
        p.sidepod(&["logs", "app"])
            .stdout
            .contains("app-1 | built-inline")
    });
    let extra = format!("localhost/{}-extra:1", p.name);
    assert_eq!(host.podman(&["image", "exists", &extra]).code, 0, "{extra}");
    p.sidepod(&["down", "-t", "0"]).success();
    p.assert_nothing_left();
    let image = format!("localhost/{}-app:latest", p.name);
    assert_eq!(host.podman(&["rmi", &image, &extra]).code, 0);
}

#[test]
fn an_image_is_mounted_as_a_volume_and_restart_policy_comes_from_deploy() {
    let host = host!();
    let compose = "services:
  app:
    image: BUSYBOX
    init: true
    command: [sh, -c, 'ls /tools/bin/busybox && sleep 300']
    volumes:
      - type: image
        source: BUSYBOX
        target: /tools
    deploy:
      restart_policy: {condition: on-failure, max_attempts: 3}
"
    .replace("BUSYBOX", BUSYBOX);
    let p = Project::with_files(&host, "imagevol", &[("compose.yaml", &compose)]);
    p.sidepod(&["up", "-d"]).success();
    p.wait_for(Duration::from_secs(20), "the image's file", || {
        p.sidepod(&["logs", "app"])
            .stdout
            .contains("app-1 | /tools/bin/busybox")
    });
    let container = p.container("app");
    assert_eq!(
        p.inspect(&container, "{{.HostConfig.RestartPolicy.Name}}"),
        "on-failure"
    );
    assert_eq!(
        p.inspect(
            &container,
            "{{.HostConfig.RestartPolicy.MaximumRetryCount}}"
        ),
        "3"
    );
    p.sidepod(&["down", "-t", "0"]).success();
    p.assert_nothing_left();
}

#[test]
fn lifecycle_hooks_write_their_markers_and_a_failing_one_fails_its_service() {
    let host = host!();
    let compose = "services:
  app:
    image: BUSYBOX
    init: true
    command: [sleep, '300']
    volumes: ['./out:/out']
    environment: {WHO: app}
    pre_start:
      - command: [sh, -c, 'echo \"pre_start $$WHO\" >> /out/log; touch /tmp/pre-start-was-here']
    post_start:
      - command: [sh, -c, 'echo \"post_start $$WHO $$EXTRA $$(pwd)\" >> /out/log']
        working_dir: /tmp
        environment: {EXTRA: extra}
      - command: [sh, -c, 'id -u > /tmp/uid']
        user: '65534'
    pre_stop:
      - command: [sh, -c, 'echo \"pre_stop $$WHO\" >> /out/log']
"
    .replace("BUSYBOX", BUSYBOX);
    let p = Project::with_files(&host, "hooks", &[("compose.yaml", &compose)]);
    let out = p.writable_dir("out");
    let up = p.sidepod(&["up", "-d"]);
    assert_eq!(up.code, 0, "{}", up.stderr);
    let log = || std::fs::read_to_string(out.join("log")).unwrap_or_default();
    let first = log();
    let lines: Vec<&str> = first.lines().collect();
    assert_eq!(lines.len(), 2, "{first}");
    assert_eq!(lines[0], "pre_start app", "{first}");
    assert_eq!(lines[1], "post_start app extra /tmp", "{first}");
    // pre_start ran in a container of its own, not the service's.
    let own = p.sidepod(&["exec", "app", "ls", "/tmp/pre-start-was-here"]);
    assert_ne!(own.code, 0, "{}", own.stdout);
    let uid = p.sidepod(&["exec", "app", "cat", "/tmp/uid"]);
    assert_eq!(
        uid.stdout.trim(),
        "65534",
        "the hook's user: {}",
        uid.stderr
    );
    // Unchanged on a second `up`: no hook runs again.
    p.sidepod(&["up", "-d"]).success();
    assert_eq!(log(), first);
    p.sidepod(&["down", "-t", "1"]).success();
    assert_eq!(log(), format!("{first}pre_stop app\n"));
    p.assert_nothing_left();

    let broken = compose.replace("'id -u > /tmp/uid'", "'echo the hook broke; exit 7'");
    p.write("compose.yaml", &broken);
    let up = p.sidepod(&["up", "-d"]);
    assert_eq!(up.code, 5, "{}", up.stderr);
    assert!(
        up.stderr
            .contains("service \"app\" failed its post_start hook")
            && up.stderr.contains("exit code 7")
            && up.stderr.contains("the hook broke"),
        "{}",
        up.stderr
    );
    p.sidepod(&["down", "-t", "0"]).success();
    p.assert_nothing_left();
}

#[test]
fn pre_start_runs_once_for_a_service_or_before_each_replica_with_per_replica() {
    let host = host!();
    let compose = "services:
  app:
    image: BUSYBOX
    init: true
    command: [sleep, '300']
    deploy: {replicas: 3}
    volumes: ['./out:/out']
    pre_start:
      - command: [sh, -c, 'echo once >> /out/log']
      - command: [sh, -c, 'echo \"each $$(hostname)\" >> /out/log']
        per_replica: true
"
    .replace("BUSYBOX", BUSYBOX);
    let p = Project::with_files(&host, "prestart", &[("compose.yaml", &compose)]);
    let out = p.writable_dir("out");
    let up = p.sidepod(&["up", "-d"]);
    assert_eq!(up.code, 0, "{}", up.stderr);
    let log = std::fs::read_to_string(out.join("log")).unwrap_or_default();
    let once = log.lines().filter(|l| *l == "once").count();
    let each = log.lines().filter(|l| l.starts_with("each ")).count();
    assert_eq!((once, each), (1, 3), "{log}");
    assert_eq!(log.lines().next(), Some("once"), "{log}");
    // A second `up` changes nothing, so no hook runs again.
    p.sidepod(&["up", "-d"]).success();
    let again = std::fs::read_to_string(out.join("log")).unwrap_or_default();
    assert_eq!(again, log);
    p.sidepod(&["down", "-t", "0"]).success();
    p.assert_nothing_left();
}

#[test]
fn pid_service_x_sees_the_processes_of_x_and_userns_keep_id_is_the_pods() {
    let host = host!();
    let compose = "services:
  app:
    image: BUSYBOX
    init: true
    command: [sleep, '1234']
  debugger:
    image: BUSYBOX
    pid: service:app
    command: [sleep, '300']
  loner:
    image: BUSYBOX
    init: true
    command: [sleep, '301']
"
    .replace("BUSYBOX", BUSYBOX);
    let p = Project::with_files(&host, "pid", &[("compose.yaml", &compose)]);
    p.sidepod(&["up", "-d"]).success();
    let ps = p.sidepod(&["exec", "debugger", "ps"]);
    assert_eq!(ps.code, 0, "{}", ps.stderr);
    assert!(
        ps.stdout.contains("sleep 1234"),
        "app's process: {}",
        ps.stdout
    );
    let own = p.sidepod(&["exec", "loner", "ps"]);
    assert!(!own.stdout.contains("sleep 1234"), "{}", own.stdout);
    p.sidepod(&["down", "-t", "0"]).success();
    p.assert_nothing_left();
    if let common::podman::Mode::Rootless { .. } = host.mode {
        // Rootless, keep-id for every service is the pod's user namespace: the
        // processes run as the user's own uid.
        let keep = "services:\n  a: {image: BUSYBOX, userns_mode: keep-id, command: [sleep, '300'], init: true}\n"
            .replace("BUSYBOX", BUSYBOX);
        p.write("compose.yaml", &keep);
        p.sidepod(&["up", "-d"]).success();
        let id = p.sidepod(&["exec", "a", "id", "-u"]);
        let me = host.run("id", &["-u"], &p.dir, &[]);
        assert_eq!(id.stdout.trim(), me.stdout.trim(), "{}", id.stderr);
        p.sidepod(&["down", "-t", "0"]).success();
        p.assert_nothing_left();
    }
}

#[test]
fn a_multi_stage_inline_build_with_a_context_and_a_secret_is_built_once_for_two_services() {
    let host = host!();
    const SECRET: &str = "s3cr3t-build-token-9c1";
    let compose = "services:
  app:
    build: &build
      context: .
      dockerfile_inline: |
        FROM BUSYBOX AS base
        COPY --from=extra greeting.txt /greeting.txt
        RUN --mount=type=secret,id=token wc -c < /run/secrets/token > /token-length
        FROM BUSYBOX
        COPY --from=base /greeting.txt /token-length /
        CMD [\"sleep\", \"300\"]
      additional_contexts:
        extra: ./extra
      secrets: [token]
    init: true
  worker:
    build: *build
    init: true
secrets:
  token:
    file: ./token.txt
"
    .replace("BUSYBOX", BUSYBOX);
    let p = Project::with_files(
        &host,
        "build",
        &[("compose.yaml", &compose), ("token.txt", SECRET)],
    );
    std::fs::create_dir(p.dir.join("extra")).unwrap();
    p.write("extra/greeting.txt", "hello from the other context\n");
    let quiet = p.sidepod(&["-v", "build", "-q"]);
    assert_eq!(quiet.code, 0, "{}", quiet.stderr);
    assert_eq!(quiet.stdout, "", "-q prints nothing");
    assert_eq!(
        quiet.stderr.matches("podman build ").count(),
        1,
        "one build for the two services: {}",
        quiet.stderr
    );
    assert!(!quiet.stderr.contains("Built"), "{}", quiet.stderr);
    for service in ["app", "worker"] {
        let image = format!("localhost/{}-{service}:latest", p.name);
        assert_eq!(host.podman(&["image", "exists", &image]).code, 0, "{image}");
    }
    // `up` finds both images and builds nothing.
    let up = p.sidepod(&["-v", "up", "-d"]);
    assert_eq!(up.code, 0, "{}", up.stderr);
    assert!(!up.stderr.contains("podman build "), "{}", up.stderr);
    let greeting = p.sidepod(&["exec", "app", "cat", "/greeting.txt", "/token-length"]);
    assert_eq!(
        greeting.stdout,
        format!("hello from the other context\n{}\n", SECRET.len())
    );
    // The build read the secret; the image holds no trace of it.
    let search = p.sidepod(&[
        "exec",
        "worker",
        "sh",
        "-c",
        &format!("grep -rls {SECRET} /bin /greeting.txt /token-length /etc /run 2>/dev/null; true"),
    ]);
    assert_eq!(search.stdout.trim(), "", "{}", search.stdout);
    p.sidepod(&["down", "-t", "0"]).success();
    // --no-cache builds again.
    let again = p.sidepod(&["-v", "build", "--no-cache"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again.stderr.contains("--no-cache"), "{}", again.stderr);
    assert!(again.stderr.contains("Built"), "{}", again.stderr);
    p.assert_nothing_left();
    for service in ["app", "worker"] {
        let _ = host.podman(&["rmi", &format!("localhost/{}-{service}:latest", p.name)]);
    }
}

#[test]
fn a_failing_service_with_max_attempts_2_is_restarted_exactly_twice() {
    let host = host!();
    let compose = "services:
  flaky:
    image: BUSYBOX
    command: [sh, -c, 'echo attempt; exit 3']
    deploy:
      restart_policy: {condition: on-failure, max_attempts: 2}
"
    .replace("BUSYBOX", BUSYBOX);
    let p = Project::with_files(&host, "attempts", &[("compose.yaml", &compose)]);
    p.sidepod(&["up", "-d"]).success();
    let container = p.container("flaky");
    p.wait_for(Duration::from_secs(30), "the last attempt to end", || {
        p.inspect(&container, "{{.State.Status}} {{.RestartCount}}") == "exited 2"
    });
    // No third restart comes.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(p.inspect(&container, "{{.RestartCount}}"), "2");
    assert_eq!(p.inspect(&container, "{{.State.ExitCode}}"), "3");
    let logs = p.sidepod(&["logs", "flaky"]);
    assert_eq!(
        logs.stdout.matches("attempt").count(),
        3,
        "the first run and two restarts: {}",
        logs.stdout
    );
    p.sidepod(&["down", "-t", "0"]).success();
    p.assert_nothing_left();
}

#[test]
fn up_refuses_a_missing_secret_file_and_a_provider_service_before_creating_anything() {
    let host = host!();
    let compose = "services:
  app:
    image: BUSYBOX
    secrets: [key]
secrets:
  key: {file: ./not-made-yet.key}
"
    .replace("BUSYBOX", BUSYBOX);
    let p = Project::with_files(&host, "refuse", &[("compose.yaml", &compose)]);
    // `config` loads it, as docker compose does; `up` is where the file must exist.
    p.sidepod(&["config", "-q"]).success();
    let up = p.sidepod(&["up", "-d"]);
    assert_eq!(up.code, 3, "{}", up.stderr);
    assert!(
        up.stderr.contains("not-made-yet.key does not exist"),
        "{}",
        up.stderr
    );
    p.assert_nothing_left();

    p.write(
        "compose.yaml",
        &format!("services:\n  app: {{image: {BUSYBOX}, depends_on: [ai]}}\n  ai:\n    provider: {{type: model}}\n"),
    );
    let up = p.sidepod(&["up", "-d"]);
    assert_eq!(up.code, 3, "{}", up.stderr);
    assert!(
        up.stderr.contains("service \"ai\" uses `provider`"),
        "{}",
        up.stderr
    );
    p.assert_nothing_left();
}
