//! Real podman, build keys that need a real component beside podman: a git URL as the
//! build context (served by git's own daemon), and `build.ssh` forwarding an ssh agent
//! into a `RUN --mount=type=ssh`. Rootful, or rootless with SIDEPOD_TEST_MODE=rootless.

#[macro_use]
mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::podman::{free_port, Project, BUSYBOX};

/// A child process killed when the test ends, however it ends.
struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(["-c", "user.email=t@example.com", "-c", "user.name=t"])
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .status()
        .expect("git");
    assert!(status.success(), "git {args:?}");
}

#[test]
fn a_git_url_is_a_build_context() {
    let host = host!();
    let repos = tempfile::tempdir().unwrap();
    let work = repos.path().join("work");
    std::fs::create_dir(&work).unwrap();
    std::fs::write(
        work.join("Dockerfile"),
        format!("FROM {BUSYBOX}\nCOPY greeting /greeting\nCMD [\"cat\", \"/greeting\"]\n"),
    )
    .unwrap();
    std::fs::write(work.join("greeting"), "built from git\n").unwrap();
    git(&work, &["init", "-q"]);
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-qm", "context"]);
    git(repos.path(), &["clone", "-q", "--bare", "work", "app.git"]);
    let port = free_port();
    let base = repos.path().display().to_string();
    let daemon = Daemon(
        Command::new("git")
            .args([
                "daemon",
                "--export-all",
                "--reuseaddr",
                "--listen=127.0.0.1",
            ])
            .arg(format!("--port={port}"))
            .arg(format!("--base-path={base}"))
            .arg(&base)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("git daemon"),
    );
    let compose = format!("services:\n  app:\n    build: git://127.0.0.1:{port}/app.git\n");
    let p = Project::with_files(&host, "gitctx", &[("compose.yaml", &compose)]);
    p.wait_for(Duration::from_secs(10), "git daemon", || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    let out = p.sidepod(&["up"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("app-1 | built from git"),
        "{}",
        out.stdout
    );
    drop(daemon);
    p.sidepod(&["down"]).success();
    let image = format!("localhost/{}-app:latest", p.name);
    assert_eq!(host.podman(&["rmi", &image]).code, 0);
}

#[test]
fn build_ssh_forwards_the_users_agent_and_refuses_clearly_without_one() {
    let host = host!();
    let compose = format!(
        "services:
  app:
    build:
      context: .
      ssh: [default]
      dockerfile_inline: |
        FROM {BUSYBOX}
        RUN --mount=type=ssh test -S \"$$SSH_AUTH_SOCK\" && echo agent reached > /seen
        CMD [\"cat\", \"/seen\"]
"
    );
    let p = Project::with_files(&host, "sshagent", &[("compose.yaml", &compose)]);
    let without = p.sidepod(&["build"]);
    assert_eq!(without.code, 3, "{}", without.stderr);
    assert!(
        without.stderr.contains("SSH_AUTH_SOCK is not set"),
        "{}",
        without.stderr
    );
    // The agent runs as whoever runs sidepod, its socket in the project's directory.
    let sock = p.dir.join("agent.sock");
    let sock_arg = sock.display().to_string();
    let _agent = Daemon(
        host.command("ssh-agent", &["-D", "-a", &sock_arg], &p.dir, &[])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("ssh-agent"),
    );
    p.wait_for(Duration::from_secs(10), "the agent's socket", || {
        sock.exists()
    });
    let out = p.sidepod_env(&["up"], &[("SSH_AUTH_SOCK", &sock_arg)]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("app-1 | agent reached"),
        "{}",
        out.stdout
    );
    p.sidepod(&["down"]).success();
    let image = format!("localhost/{}-app:latest", p.name);
    assert_eq!(host.podman(&["rmi", &image]).code, 0);
}
