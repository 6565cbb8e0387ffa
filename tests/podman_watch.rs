//! Real podman, `develop.watch`: `sidepod watch` syncs changed files into a running
//! container and removes the deleted ones; `up --watch` rebuilds an image and follows
//! the recreated container's logs. Rootful, or rootless with SIDEPOD_TEST_MODE=rootless.

#[macro_use]
mod common;

use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::Duration;

use common::podman::{Project, BUSYBOX};

/// Starts `sidepod -p NAME ARGS` with its stderr in a file, so that the test sees when
/// watching has begun; returns the child and that file.
/// Starts sidepod with its stderr in the file returned, and its stdout in `sidepod.stdout`
/// beside it, so that a test can watch both while it runs.
fn start(p: &Project, args: &[&str]) -> (Child, PathBuf) {
    let log = p.dir.join("sidepod.stderr");
    let file = std::fs::File::create(&log).unwrap();
    let out = std::fs::File::create(p.dir.join("sidepod.stdout")).unwrap();
    let mut all = vec!["-p", p.name.as_str()];
    all.extend_from_slice(args);
    let child = p
        .host
        .command(env!("CARGO_BIN_EXE_sidepod"), &all, &p.dir, &[])
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(file)
        .spawn()
        .expect("spawn sidepod");
    (child, log)
}

fn read(path: &std::path::Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// Waits until the watcher is in place: changes from now on are seen.
fn until_watching(p: &Project, log: &std::path::Path) {
    p.wait_for(Duration::from_secs(120), "Watch enabled", || {
        read(log).contains("Watch enabled")
    });
}

fn interrupt(child: &std::process::Child) {
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// `cat` of a file in a container, or nothing when it is not there.
fn read_in(p: &Project, container: &str, path: &str) -> Option<String> {
    let out = p.host.podman(&["exec", container, "cat", path]);
    (out.code == 0).then(|| out.stdout.trim().to_string())
}

#[test]
fn watch_syncs_changed_files_removes_deleted_ones_and_leaves_the_service_running() {
    let host = host!();
    let compose = format!(
        "services:
  app:
    image: {BUSYBOX}
    command: [\"sleep\", \"300\"]
    develop:
      watch:
        - path: ./src
          action: sync
          target: /app
          ignore: [\"*.tmp\"]
"
    );
    let p = Project::with_files(&host, "watchsync", &[("compose.yaml", &compose)]);
    std::fs::create_dir_all(p.dir.join("src/old")).unwrap();
    p.write("src/old/gone.txt", "soon gone");
    let (child, log) = start(&p, &["watch"]);
    until_watching(&p, &log);
    p.wait_running(1);
    let app = p.container("app");
    std::fs::create_dir_all(p.dir.join("src/lib")).unwrap();
    p.write("src/lib/index.js", "console.log(2)");
    p.wait_for(Duration::from_secs(30), "the first sync", || {
        read_in(&p, &app, "/app/lib/index.js").as_deref() == Some("console.log(2)")
    });
    p.write("src/scratch.tmp", "ignored");
    p.write("src/main.js", "main v2");
    std::fs::remove_dir_all(p.dir.join("src/old")).unwrap();
    p.wait_for(Duration::from_secs(30), "main.js synced", || {
        read_in(&p, &app, "/app/main.js").as_deref() == Some("main v2")
    });
    p.wait_for(Duration::from_secs(30), "old/ removed", || {
        read_in(&p, &app, "/app/old/gone.txt").is_none()
    });
    assert_eq!(read_in(&p, &app, "/app/scratch.tmp"), None, "ignored");
    interrupt(&child);
    let out = child.wait_with_output().unwrap();
    let stderr = read(&log);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("Watch enabled for app"), "{stderr}");
    assert!(stderr.contains("Syncing service app after"), "{stderr}");
    assert!(stderr.contains("Watch disabled"), "{stderr}");
    assert_eq!(
        p.inspect(&app, "{{.State.Status}}"),
        "running",
        "watch leaves the services running"
    );
}

#[test]
fn up_watch_rebuilds_recreates_and_follows_the_new_container() {
    let host = host!();
    let compose = format!(
        "services:
  app:
    build:
      context: .
      dockerfile_inline: |
        FROM {BUSYBOX}
        COPY version /version
        STOPSIGNAL SIGKILL
        CMD [\"sh\", \"-c\", \"echo running version $(cat /version); exec sleep 300\"]
    develop:
      watch:
        - path: ./version
          action: rebuild
"
    );
    let p = Project::with_files(
        &host,
        "watchbuild",
        &[("compose.yaml", &compose), ("version", "1\n")],
    );
    let (child, log) = start(&p, &["up", "--watch"]);
    until_watching(&p, &log);
    p.wait_running(1);
    let app = p.container("app");
    let first_image = p.inspect(&app, "{{.Image}}");
    p.write("version", "2\n");
    p.wait_for(Duration::from_secs(120), "the rebuilt container", || {
        let logs = p.host.podman(&["logs", &app]);
        logs.stdout.contains("running version 2")
    });
    p.wait_running(1);
    // The new container's line reaches sidepod's output, whenever podman has it.
    let stdout_file = p.dir.join("sidepod.stdout");
    p.wait_for(
        Duration::from_secs(30),
        "version 2 in sidepod's output",
        || read(&stdout_file).contains("running version 2"),
    );
    let second_image = p.inspect(&app, "{{.Image}}");
    assert_ne!(first_image, second_image, "built again");
    let old = p.host.podman(&["image", "exists", &first_image]);
    assert_ne!(old.code, 0, "the replaced image is pruned");
    interrupt(&child);
    let out = child.wait_with_output().unwrap();
    let stdout = read(&stdout_file);
    let stderr = read(&log);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(
        stdout.contains("app-1  | running version 1")
            || stdout.contains("app-1 | running version 1"),
        "{stdout}"
    );
    assert!(
        stdout.contains("running version 2"),
        "the new container's log is followed: {stdout}"
    );
    assert!(
        !stderr.contains("exited with code"),
        "a recreate is no exit: {stderr}"
    );
    assert!(stderr.contains("Rebuilding service app after"), "{stderr}");
    assert_eq!(
        p.inspect(&app, "{{.State.Status}}"),
        "exited",
        "Ctrl-C stops an attached up"
    );
}

#[test]
fn watch_no_up_watches_what_runs_and_quiet_prune_are_taken() {
    let host = host!();
    let compose = format!(
        "services:\n  app:\n    image: {BUSYBOX}\n    command: [\"sleep\", \"300\"]\n    \
         develop:\n      watch:\n        - path: ./src\n          action: sync\n          target: /app\n"
    );
    let p = Project::with_files(&host, "watchnoup", &[("compose.yaml", &compose)]);
    std::fs::create_dir_all(p.dir.join("src")).unwrap();
    // --no-up starts nothing: with nothing running, there is nothing to sync into.
    p.sidepod(&["up", "-d"]).success();
    let app = p.container("app");
    let started = p.inspect(&app, "{{.State.StartedAt}}");
    let (child, log) = start(&p, &["watch", "--no-up", "--quiet", "--prune=false"]);
    until_watching(&p, &log);
    p.write("src/main.js", "v3");
    p.wait_for(Duration::from_secs(30), "main.js synced", || {
        read_in(&p, &app, "/app/main.js").as_deref() == Some("v3")
    });
    interrupt(&child);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", read(&log));
    // The container it found running is the one it synced into: not started again.
    assert_eq!(p.inspect(&app, "{{.State.StartedAt}}"), started);
    assert!(!read(&log).contains("Started"), "{}", read(&log));
    p.sidepod(&["down", "-v"]).success();
    p.assert_nothing_left();
}
