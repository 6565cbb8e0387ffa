//! Real podman: the docker compose commands and flags beyond the core: `create` and
//! `up --no-start`, `events`, `stats`, `attach`, `export`, `up -V` and
//! `--always-recreate-deps`, `run --pull`.

#[macro_use]
mod common;

use std::io::{BufRead, BufReader};
use std::sync::mpsc;
use std::time::Duration;

use common::podman::{Project, BUSYBOX};

/// A ticker that prints a line every half second, and an app that depends on it.
fn stack() -> String {
    format!(
        "services:\n  ticker:\n    image: {BUSYBOX}\n    \
         command: [\"sh\", \"-c\", \"while true; do echo tick; sleep 0.5; done\"]\n    \
         stop_signal: SIGKILL\n    volumes: [/scratch]\n  \
         app:\n    image: {BUSYBOX}\n    command: [\"sleep\", \"300\"]\n    stop_signal: SIGKILL\n    \
         depends_on: [ticker]\n"
    )
}

fn states(p: &Project) -> Vec<(String, String)> {
    let ps = p.sidepod(&["ps", "-a", "--format", "json"]);
    assert_eq!(ps.code, 0, "{}", ps.stderr);
    let mut all: Vec<(String, String)> = ps
        .stdout
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["Service"].as_str().unwrap().to_string(),
                v["State"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    all.sort();
    all
}

/// Reads lines of a child's stdout into a channel.
fn lines_of(child: &mut std::process::Child) -> mpsc::Receiver<String> {
    let out = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// The first line within `limit` that `wanted` accepts.
fn first(
    rx: &mpsc::Receiver<String>,
    limit: Duration,
    wanted: impl Fn(&str) -> bool,
) -> Option<String> {
    let end = std::time::Instant::now() + limit;
    while let Some(left) = end.checked_duration_since(std::time::Instant::now()) {
        match rx.recv_timeout(left) {
            Ok(line) if wanted(&line) => return Some(line),
            Ok(_) => continue,
            Err(_) => return None,
        }
    }
    None
}

/// `stats ARGS`' table; none where podman has no stats (rootless on cgroups v1), whose
/// reason must then reach the user.
fn stats(p: &Project, args: &[&str]) -> Option<String> {
    let mut all = vec!["stats"];
    all.extend_from_slice(args);
    let out = p.sidepod(&all);
    if p.host.rootless_on_cgroups_v1() {
        assert_ne!(out.code, 0, "{}", out.stdout);
        assert!(out.stderr.contains("cgroups v2"), "{}", out.stderr);
        return None;
    }
    assert_eq!(out.code, 0, "{}", out.stderr);
    Some(out.stdout)
}

#[test]
fn create_and_up_no_start_make_the_containers_and_start_none() {
    let host = host!();
    let p = Project::with_files(&host, "create", &[("compose.yaml", &stack())]);
    let created = p.sidepod(&["create"]);
    assert_eq!(created.code, 0, "{}", created.stderr);
    assert!(
        created
            .stderr
            .contains(&format!("Container {}  Created", p.container("app"))),
        "{}",
        created.stderr
    );
    assert_eq!(
        states(&p),
        [
            ("app".to_string(), "created".to_string()),
            ("ticker".into(), "created".into())
        ]
    );
    // `start` starts what create made; `up --no-start` afterwards leaves them running.
    let started = p.sidepod(&["start"]);
    assert_eq!(started.code, 0, "{}", started.stderr);
    assert!(
        states(&p).iter().all(|(_, s)| s == "running"),
        "{:?}",
        states(&p)
    );
    assert_eq!(p.sidepod(&["up", "--no-start"]).code, 0);
    assert!(
        states(&p).iter().all(|(_, s)| s == "running"),
        "{:?}",
        states(&p)
    );
    assert_eq!(p.sidepod(&["down", "-v"]).code, 0);
    let no_start = p.sidepod(&["up", "--no-start", "app"]);
    assert_eq!(no_start.code, 0, "{}", no_start.stderr);
    assert!(
        states(&p).iter().all(|(_, s)| s == "created"),
        "{:?}",
        states(&p)
    );
    // --no-start with --wait cannot be: a usage error, and nothing changes.
    let both = p.sidepod(&["up", "--no-start", "--wait"]);
    assert_eq!(both.code, 2, "{}", both.stderr);
    assert_eq!(p.sidepod(&["down", "-v"]).code, 0);
    p.assert_nothing_left();
}

#[test]
fn events_stats_attach_and_export_show_the_projects_containers() {
    let host = host!();
    let p = Project::with_files(&host, "tools", &[("compose.yaml", &stack())]);
    assert_eq!(p.sidepod(&["up", "-d"]).code, 0);

    // events --json: a restart of the ticker is seen, with its service.
    let mut events = p.spawn(&["events", "--json"], &[]);
    let rx = lines_of(&mut events);
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(p.sidepod(&["restart", "ticker"]).code, 0);
    let seen = first(&rx, Duration::from_secs(30), |l| {
        l.contains("\"start\"") || l.contains("\"restart\"")
    });
    let _ = events.kill();
    let _ = events.wait();
    // Only service containers: not the pod's infra container.
    let rest: Vec<String> = rx.try_iter().collect();
    assert!(!rest.iter().any(|l| l.contains("-infra")), "{rest:?}");
    let seen = seen.expect("no start event of the restart");
    assert!(!seen.contains("-infra"), "{seen}");
    let v: serde_json::Value = serde_json::from_str(&seen).unwrap();
    assert_eq!(v["service"], "ticker", "{seen}");
    assert_eq!(v["attributes"]["name"], p.container("ticker"), "{seen}");
    assert_eq!(v["type"], "container");

    // stats --no-stream: one row per running container, once; and as JSON.
    if let Some(table) = stats(&p, &["--no-stream"]) {
        for service in ["ticker", "app"] {
            assert!(table.contains(&p.container(service)), "{table}");
        }
        let json = stats(&p, &["--no-stream", "--format", "json", "app"]).unwrap();
        let parsed: serde_json::Value = serde_json::from_str(&json).expect(&json);
        assert!(parsed.to_string().contains(&p.container("app")), "{json}");
        assert!(
            !parsed.to_string().contains(&p.container("ticker")),
            "{json}"
        );
        // --all --no-trunc: every running container, once, with its full name.
        let all = stats(&p, &["--all", "--no-trunc", "--no-stream"]).unwrap();
        for service in ["ticker", "app"] {
            assert_eq!(all.matches(&p.container(service)).count(), 1, "{all}");
        }
    }

    // attach: the ticker's output arrives.
    let mut attach = p.spawn(
        &["attach", "--no-stdin", "--sig-proxy=false", "ticker"],
        &[],
    );
    let rx = lines_of(&mut attach);
    let tick = first(&rx, Duration::from_secs(20), |l| l.contains("tick"));
    let _ = attach.kill();
    let _ = attach.wait();
    assert!(tick.is_some(), "attach showed no output");

    // export -o: the container's file system as a tar archive.
    let tar = p.writable_dir("out").join("app.tar");
    let export = p.sidepod(&["export", "-o", tar.to_str().unwrap(), "app"]);
    assert_eq!(export.code, 0, "{}", export.stderr);
    let listed = std::process::Command::new("tar")
        .arg("tf")
        .arg(&tar)
        .output()
        .unwrap();
    let names = String::from_utf8_lossy(&listed.stdout);
    assert!(
        names
            .lines()
            .any(|l| l.trim_end_matches('/') == "bin" || l.starts_with("bin/")),
        "{names}"
    );
    // A service without a container: an error naming it.
    let none = p.sidepod(&["export", "-o", "x.tar", "--index", "3", "app"]);
    assert_ne!(none.code, 0);
    assert!(
        none.stderr.contains("has no container #3"),
        "{}",
        none.stderr
    );

    assert_eq!(p.sidepod(&["down", "-v"]).code, 0);
    // stats of a project with nothing running says so, without podman's host-wide table.
    let idle = p.sidepod(&["stats", "--no-stream"]);
    assert_eq!(idle.code, 0, "{}", idle.stderr);
    assert!(
        idle.stderr.contains("no running containers"),
        "{}",
        idle.stderr
    );
    assert!(idle.stdout.is_empty(), "{}", idle.stdout);
    p.assert_nothing_left();
}

#[test]
fn renew_anon_volumes_and_always_recreate_deps_recreate_as_docker_compose_does() {
    let host = host!();
    let p = Project::with_files(&host, "renew", &[("compose.yaml", &stack())]);
    assert_eq!(p.sidepod(&["up", "-d"]).code, 0);
    let id = |service: &str| p.inspect(&p.container(service), "{{.Id}}");
    // The ticker's anonymous volume, by name.
    let scratch = || p.inspect(&p.container("ticker"), "{{range .Mounts}}{{.Name}}{{end}}");
    let exists = |volume: &str| host.podman(&["volume", "exists", volume]).code == 0;
    let (ticker, app) = (id("ticker"), id("app"));
    // --always-recreate-deps: the ticker, which app depends on, is recreated though
    // unchanged; app is kept.
    let up = p.sidepod(&["up", "-d", "--always-recreate-deps", "app"]);
    assert_eq!(up.code, 0, "{}", up.stderr);
    assert_ne!(id("ticker"), ticker, "{}", up.stderr);
    assert_eq!(id("app"), app, "{}", up.stderr);
    // -V: the recreated ticker's old anonymous volume goes with it.
    let old = scratch();
    assert!(exists(&old), "{old:?}");
    let renew = p.sidepod(&["up", "-d", "--force-recreate", "-V", "ticker"]);
    assert_eq!(renew.code, 0, "{}", renew.stderr);
    assert!(
        !exists(&old),
        "-V left the old anonymous volume {old} behind"
    );
    // Without -V it stays, as a dangling volume.
    let old = scratch();
    let keep = p.sidepod(&["up", "-d", "--force-recreate", "ticker"]);
    assert_eq!(keep.code, 0, "{}", keep.stderr);
    assert!(exists(&old) && scratch() != old, "{old}");
    assert_eq!(host.podman(&["volume", "rm", &old]).code, 0);
    // --always-recreate-deps with --no-recreate cannot be.
    let both = p.sidepod(&["up", "-d", "--always-recreate-deps", "--no-recreate"]);
    assert_eq!(both.code, 2, "{}", both.stderr);
    assert_eq!(p.sidepod(&["down", "-v"]).code, 0);
    p.assert_nothing_left();
}

#[test]
fn run_pull_never_refuses_a_missing_image_and_missing_runs_one_that_is_here() {
    let host = host!();
    let compose = format!(
        "services:\n  gone:\n    image: localhost/sidepod-test/not-here:1\n  here:\n    image: {BUSYBOX}\n"
    );
    let p = Project::with_files(&host, "runpull", &[("compose.yaml", &compose)]);
    let never = p.sidepod(&["run", "--rm", "--pull", "never", "gone", "true"]);
    assert_ne!(never.code, 0, "{}", never.stderr);
    assert!(never.stderr.contains("not-here"), "{}", never.stderr);
    let here = p.sidepod(&[
        "run", "--rm", "--pull", "missing", "-T", "here", "echo", "ran",
    ]);
    assert_eq!(here.code, 0, "{}", here.stderr);
    assert!(here.stdout.contains("ran"), "{}", here.stdout);
    assert_eq!(p.sidepod(&["down", "-v"]).code, 0);
    p.assert_nothing_left();
}

#[test]
fn exec_cp_port_images_ps_and_scale_take_their_compose_flags() {
    let host = host!();
    let compose = format!(
        "services:\n  box:\n    image: {BUSYBOX}\n    command: [\"sleep\", \"300\"]\n    \
         stop_signal: SIGKILL\n    ports: [\"8080\"]\n    depends_on: [dep]\n  \
         dep:\n    image: {BUSYBOX}\n    command: [\"sleep\", \"300\"]\n    stop_signal: SIGKILL\n"
    );
    let p = Project::with_files(&host, "flags", &[("compose.yaml", &compose)]);
    // scale --no-deps: box's replicas, without starting dep.
    let scaled = p.sidepod(&["scale", "--no-deps", "box=2"]);
    assert_eq!(scaled.code, 0, "{}", scaled.stderr);
    assert_eq!(
        states(&p),
        [
            ("box".to_string(), "running".to_string()),
            ("box".into(), "running".into())
        ]
    );
    // exec --index 2 reaches the second replica; --privileged has every capability.
    let second = format!("{}-box-2", p.name);
    let wrote = p.sidepod(&["exec", "-T", "--index", "2", "box", "touch", "/tmp/second"]);
    assert_eq!(wrote.code, 0, "{}", wrote.stderr);
    assert_eq!(
        host.podman(&["exec", &second, "test", "-f", "/tmp/second"])
            .code,
        0
    );
    assert_ne!(
        host.podman(&["exec", &p.container("box"), "test", "-f", "/tmp/second"])
            .code,
        0
    );
    let caps = |extra: &[&str]| {
        let mut args = vec!["exec", "-T"];
        args.extend_from_slice(extra);
        args.extend(["box", "grep", "CapEff", "/proc/self/status"]);
        p.sidepod(&args).stdout
    };
    assert_ne!(
        caps(&["--privileged"]),
        caps(&[]),
        "--privileged adds capabilities"
    );
    // cp -a -L --index 2: into the second replica.
    p.write("note.txt", "copied");
    let cp = p.sidepod(&[
        "cp",
        "-a",
        "-L",
        "--index",
        "2",
        "note.txt",
        "box:/tmp/note.txt",
    ]);
    assert_eq!(cp.code, 0, "{}", cp.stderr);
    let cat = host.podman(&["exec", &second, "cat", "/tmp/note.txt"]);
    assert_eq!(cat.stdout, "copied");
    // port --index --protocol: where replica 2's port 8080 is published.
    let port = p.sidepod(&["port", "--index", "1", "--protocol", "tcp", "box", "8080"]);
    assert_eq!(port.code, 0, "{}", port.stderr);
    assert!(
        port.stdout
            .trim()
            .rsplit(':')
            .next()
            .unwrap()
            .parse::<u16>()
            .is_ok(),
        "{}",
        port.stdout
    );
    // images --format json: one object per container, naming it.
    let images = p.sidepod(&["images", "--format", "json"]);
    assert_eq!(images.code, 0, "{}", images.stderr);
    assert_eq!(images.stdout.lines().count(), 2, "{}", images.stdout);
    for line in images.stdout.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect(line);
        assert!(
            v.to_string().contains(&format!("{}-box-", p.name)),
            "{line}"
        );
    }
    // ps --no-trunc prints what ps prints: sidepod never truncates.
    assert_eq!(
        p.sidepod(&["ps", "--no-trunc"]).stdout,
        p.sidepod(&["ps"]).stdout
    );
    // attach --detach-keys: podman takes the keys.
    let mut attach = p.spawn(
        &["attach", "--detach-keys", "ctrl-x", "--no-stdin", "box"],
        &[],
    );
    std::thread::sleep(Duration::from_secs(2));
    assert!(attach.try_wait().unwrap().is_none(), "attach ended at once");
    let _ = attach.kill();
    let _ = attach.wait();
    assert_eq!(p.sidepod(&["down", "-v"]).code, 0);
    p.assert_nothing_left();
}

#[test]
fn abort_on_container_failure_ends_at_a_failure_and_not_at_a_clean_exit() {
    let host = host!();
    let compose = format!(
        "services:\n  done:\n    image: {BUSYBOX}\n    command: [\"true\"]\n  \
         fail:\n    image: {BUSYBOX}\n    command: [\"sh\", \"-c\", \"sleep 2; exit 3\"]\n  \
         sleeper:\n    image: {BUSYBOX}\n    command: [\"sleep\", \"300\"]\n    stop_signal: SIGKILL\n"
    );
    let p = Project::with_files(&host, "abortfail", &[("compose.yaml", &compose)]);
    let out = p.sidepod(&["up", "--abort-on-container-failure"]);
    // done's exit 0 does not end the run; fail's exit 3 does, with its code.
    assert_eq!(out.code, 3, "{}", out.stderr);
    let clean = out
        .stderr
        .find("done-1 exited with code 0")
        .expect(&out.stderr);
    let failed = out
        .stderr
        .find("fail-1 exited with code 3")
        .expect(&out.stderr);
    assert!(clean < failed, "{}", out.stderr);
    assert!(
        out.stderr
            .contains(&format!("Container {}  Stopped", p.container("sleeper"))),
        "{}",
        out.stderr
    );
    assert_eq!(p.sidepod(&["down", "-v"]).code, 0);
    p.assert_nothing_left();
}

/// A service's own `ulimits` above what this host lets podman set (the user's hard limit
/// rootless, the kernel's fs.nr_open rootful) is that service's problem: exit 3 naming
/// the file, service and key, before anything is created; a GitHub job's `--ulimit`
/// option too.
#[test]
fn a_service_limit_the_host_cannot_grant_is_a_config_error_of_that_service() {
    let host = host!();
    let compose = format!(
        "services:\n  db:\n    image: {BUSYBOX}\n    command: [\"sleep\", \"300\"]\n    stop_signal: SIGKILL\n    \
         ulimits:\n      nofile: 4000000\n  app:\n    image: {BUSYBOX}\n    \
         command: [\"sleep\", \"300\"]\n    stop_signal: SIGKILL\n    depends_on: [db]\n"
    );
    let workflow = format!(
        "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    container: {BUSYBOX}\n    \
         services:\n      db:\n        image: {BUSYBOX}\n        \
         options: --ulimit nofile=4000000:4000000\n    steps:\n      - run: \"true\"\n"
    );
    let p = Project::with_files(
        &host,
        "limits",
        &[("compose.yaml", &compose), ("ci.yml", &workflow)],
    );
    let up = p.sidepod(&["up", "-d"]);
    assert_eq!(up.code, 3, "{}", up.stderr);
    assert!(
        up.stderr
            .contains("compose.yaml: service \"db\": ulimits.nofile: 4000000 is above"),
        "{}",
        up.stderr
    );
    // Rootless, the user's hard limit bounds it; rootful, fs.nr_open (or root's hard
    // limit, without CAP_SYS_RESOURCE).
    let user = up.stderr.contains("this user's hard limit (");
    assert!(
        user || (!host.rootless() && up.stderr.contains("the kernel's fs.nr_open (")),
        "{}",
        up.stderr
    );
    assert!(!up.stderr.contains("host problem"), "{}", up.stderr);
    p.assert_nothing_left();
    let job = p.sidepod(&["job", "-f", "ci.yml"]);
    assert_eq!(job.code, 3, "{}", job.stderr);
    assert!(
        job.stderr
            .contains("service \"db\": ulimits.nofile: 4000000 is above"),
        "{}",
        job.stderr
    );
    p.assert_nothing_left();
    // Within the ceiling, the same stack runs. (nproc too: given any --ulimit, podman
    // 4.3 drops containers.conf's default_ulimits and, rootful, raises nproc to its
    // maximum, which root without CAP_SYS_RESOURCE cannot.)
    p.write(
        "compose.yaml",
        &compose.replace("nofile: 4000000", "nofile: 1024\n      nproc: 1024"),
    );
    let ok = p.sidepod(&["up", "-d"]);
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    assert_eq!(p.sidepod(&["down", "-v"]).code, 0);
    p.assert_nothing_left();
}

/// podman's version, as major and minor.
fn podman_version(host: &common::podman::Host) -> (u32, u32) {
    let v = host
        .podman(&["version", "--format", "{{.Client.Version}}"])
        .stdout;
    let mut parts = v.trim().split(['.', '-']).map(|p| p.parse().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}

#[test]
fn a_subpath_this_podman_lacks_is_a_config_error_and_one_it_has_is_mounted() {
    let host = host!();
    let compose = format!(
        "services:\n  app:\n    image: {BUSYBOX}\n    command: [\"sleep\", \"300\"]\n    \
         stop_signal: SIGKILL\n    volumes:\n      - type: image\n        source: {BUSYBOX}\n        \
         target: /etc-of-busybox\n        image: {{subpath: etc}}\n"
    );
    let p = Project::with_files(&host, "subpath", &[("compose.yaml", &compose)]);
    let up = p.sidepod(&["up", "-d"]);
    if podman_version(&host) < (5, 1) {
        assert_eq!(up.code, 3, "{}", up.stderr);
        assert!(
            up.stderr.contains(
                "compose.yaml: service \"app\": volumes[0].image.subpath needs podman 5.1 or \
                 newer, and this host has podman "
            ),
            "{}",
            up.stderr
        );
        p.assert_nothing_left();
        return;
    }
    assert_eq!(up.code, 0, "{}", up.stderr);
    let passwd = p.sidepod(&["exec", "-T", "app", "cat", "/etc-of-busybox/passwd"]);
    assert!(passwd.stdout.contains("root:"), "{}", passwd.stderr);
    assert_eq!(p.sidepod(&["down", "-v"]).code, 0);
    p.assert_nothing_left();
}

/// A podman that notes, for each `run`, how many `run`s were going on at once.
const COUNTING_PODMAN: &str = r#"#!/bin/sh
here=$(dirname "$0")
if [ "$1" = run ]; then
    mkdir -p "$here/running"
    touch "$here/running/$$"
    ls "$here/running" | wc -l >> "$here/seen"
    /usr/bin/podman "$@"
    code=$?
    rm -f "$here/running/$$"
    exit $code
fi
exec /usr/bin/podman "$@"
"#;

#[test]
fn parallel_bounds_the_podman_calls_at_once_and_refuses_a_bad_number() {
    let host = host!();
    let mut compose = String::from("services:\n");
    for i in 0..6 {
        compose.push_str(&format!(
            "  s{i}:\n    image: {BUSYBOX}\n    command: [\"sleep\", \"300\"]\n    stop_signal: SIGKILL\n"
        ));
    }
    let p = Project::with_files(
        &host,
        "parallel",
        &[("compose.yaml", &compose), ("podman", COUNTING_PODMAN)],
    );
    use std::os::unix::fs::PermissionsExt;
    let wrapper = p.dir.join("podman");
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let wrapper = wrapper.to_str().unwrap();
    let most = || {
        let seen = std::fs::read_to_string(p.dir.join("seen")).unwrap_or_default();
        let _ = std::fs::remove_file(p.dir.join("seen"));
        let counts: Vec<usize> = seen.lines().filter_map(|l| l.trim().parse().ok()).collect();
        (counts.len(), counts.into_iter().max().unwrap_or(0))
    };
    let up = p.sidepod(&["--podman", wrapper, "--parallel", "2", "up", "-d"]);
    assert_eq!(up.code, 0, "{}", up.stderr);
    let (runs, at_once) = most();
    assert_eq!(
        (runs, at_once.min(2)),
        (6, 2),
        "at most 2 at once, all 6 run"
    );
    assert!(at_once <= 2, "{at_once} podman runs at once");
    assert_eq!(p.sidepod(&["down"]).code, 0);
    // The environment variable docker compose reads says the same.
    let env = [("COMPOSE_PARALLEL_LIMIT", "1")];
    let up = p.sidepod_env(&["--podman", wrapper, "up", "-d"], &env);
    assert_eq!(up.code, 0, "{}", up.stderr);
    assert_eq!(most(), (6, 1));
    assert_eq!(p.sidepod(&["down"]).code, 0);
    for bad in ["0", "-2", "many"] {
        let out = p.sidepod(&["--parallel", bad, "up", "-d"]);
        assert_eq!(out.code, 2, "{bad}: {}", out.stderr);
        assert!(
            out.stderr.contains("give 1 or more, or -1 for no limit"),
            "{}",
            out.stderr
        );
    }
    p.assert_nothing_left();
}

#[test]
fn a_storage_leftover_holding_a_service_name_is_removed_by_the_next_up() {
    let host = host!();
    let compose = format!(
        "services:\n  web:\n    image: {BUSYBOX}\n    command: [\"sleep\", \"300\"]\n    stop_signal: SIGKILL\n"
    );
    let p = Project::with_files(&host, "leftover", &[("compose.yaml", &compose)]);
    let name = p.container("web");
    // What a `podman run` that fails half-way leaves: a container in storage only, which
    // podman does not list, holding the name. buildah makes one the same way.
    let made = host.run("buildah", &["from", "--name", &name, BUSYBOX], &p.dir, &[]);
    assert_eq!(
        made.code, 0,
        "buildah (contrib/setup-host.sh installs it): {}",
        made.stderr
    );
    let raw = host.podman(&["run", "-d", "--name", &name, BUSYBOX, "true"]);
    assert_ne!(raw.code, 0, "podman itself refuses the name");
    assert!(raw.stderr.contains("already in use"), "{}", raw.stderr);
    let up = p.sidepod(&["up", "-d"]);
    assert_eq!(up.code, 0, "{}", up.stderr);
    assert!(
        up.stderr.contains(&format!(
            "removed {name}: a container left in podman's storage"
        )),
        "{}",
        up.stderr
    );
    assert_eq!(p.inspect(&name, "{{.State.Status}}"), "running");
    // down finds one too, and nothing is left, in storage either.
    assert_eq!(p.sidepod(&["stop"]).code, 0);
    assert_eq!(host.podman(&["rm", "--force", &name]).code, 0);
    let made = host.run("buildah", &["from", "--name", &name, BUSYBOX], &p.dir, &[]);
    assert_eq!(made.code, 0, "{}", made.stderr);
    let down = p.sidepod(&["down"]);
    assert_eq!(down.code, 0, "{}", down.stderr);
    let storage = host.podman(&["ps", "--all", "--external", "--format", "{{.Names}}"]);
    assert!(
        !storage.stdout.lines().any(|l| l == name),
        "{}",
        storage.stdout
    );
    p.assert_nothing_left();
}

/// The podman processes under `pid` now, its children and theirs: rootless podman
/// started the ordinary way is two processes, the second a child of the first.
fn podman_children(pid: u32) -> usize {
    let children = |pid: &str| -> Vec<String> {
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
            return Vec::new();
        };
        tasks
            .flatten()
            .filter_map(|t| std::fs::read_to_string(t.path().join("children")).ok())
            .flat_map(|c| c.split_whitespace().map(str::to_string).collect::<Vec<_>>())
            .collect()
    };
    let mut todo = children(&pid.to_string());
    let mut podman = 0;
    while let Some(child) = todo.pop() {
        if std::fs::read_to_string(format!("/proc/{child}/comm"))
            .is_ok_and(|comm| comm.trim() == "podman")
        {
            podman += 1;
        }
        todo.extend(children(&child));
    }
    podman
}

#[test]
fn attached_to_ten_services_sidepod_runs_two_podman_processes_and_shows_each_line_once() {
    let host = host!();
    let mut compose = String::from("services:\n");
    for i in 0..9 {
        compose += &format!(
            "  s{i}:\n    image: {BUSYBOX}\n    init: true\n    \
             command: [sh, -c, 'echo s{i}-first; sleep 2; echo s{i}-second; sleep 300']\n"
        );
    }
    // Restarted once by its policy: the follower of all logs starts again, and the
    // lines of the first run are not shown twice.
    compose += &format!(
        "  crash:\n    image: {BUSYBOX}\n    restart: on-failure:1\n    \
         command: [sh, -c, 'echo crash-run; sleep 1; exit 1']\n"
    );
    let p = Project::with_files(&host, "fewchildren", &[("compose.yaml", &compose)]);
    let child = p.spawn(&["up"], &[]);
    let crash = p.container("crash");
    p.wait_for(Duration::from_secs(60), "crash to be over", || {
        p.leftovers().0.contains(&crash)
            && p.inspect(&crash, "{{.RestartCount}} {{.State.Status}}") == "1 exited"
    });
    let (mut least, mut most) = (usize::MAX, 0);
    for _ in 0..15 {
        let now = podman_children(child.id());
        (least, most) = (least.min(now), most.max(now));
        std::thread::sleep(Duration::from_millis(200));
    }
    let (code, stdout, stderr) = common::podman::terminate(child);
    assert_eq!(code, Some(143), "{stderr}");
    // One events stream and one log follower, each one process rootless too; at times a
    // look with `inspect` besides (two processes rootless).
    assert!(
        least == 2 && most <= 4,
        "{least} to {most} podman processes at once\n{stderr}"
    );
    let count = |prefix: &str, text: &str| {
        stdout
            .lines()
            .filter(|l| {
                l.split_once(" | ")
                    .is_some_and(|(p, t)| p.trim() == prefix && t == text)
            })
            .count()
    };
    for i in 0..9 {
        for text in [format!("s{i}-first"), format!("s{i}-second")] {
            assert_eq!(count(&format!("s{i}-1"), &text), 1, "{text}\n{stdout}");
        }
    }
    assert_eq!(count("crash-1", "crash-run"), 2, "{stdout}");
    assert!(
        stderr.contains("crash-1 restarted by its policy (on-failure:1): restart 1"),
        "{stderr}"
    );
    assert!(stderr.contains("crash-1 exited with code 1"), "{stderr}");
    p.sidepod(&["down", "-t", "0"]).success();
    p.assert_nothing_left();
}
