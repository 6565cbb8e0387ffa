//! Real podman and a real registry (Debian's `docker-registry`, with htpasswd logins):
//! a CI job's registry credentials let its image be pulled, and the password is never
//! printed nor put on a command line. Rootful, or rootless with SIDEPOD_TEST_MODE=rootless.
//! `contrib/setup-host.sh` installs the registry and marks 127.0.0.1:5099 as plain HTTP.

#[macro_use]
mod common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::podman::{Project, BUSYBOX};

const ADDRESS: &str = "127.0.0.1:5099";

/// A registry on ADDRESS that lets `user` in with `password`, until dropped.
struct Registry {
    child: Child,
    _dir: tempfile::TempDir,
}

impl Registry {
    fn start(user: &str, password: &str) -> Registry {
        let dir = tempfile::tempdir().unwrap();
        let htpasswd = Command::new("htpasswd")
            .args(["-Bbn", user, password])
            .output()
            .expect("htpasswd (apache2-utils; run contrib/setup-host.sh)");
        assert!(htpasswd.status.success());
        std::fs::write(dir.path().join("htpasswd"), &htpasswd.stdout).unwrap();
        let config = format!(
            "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {root}/data\nhttp:\n  addr: {ADDRESS}\nauth:\n  htpasswd:\n    realm: sidepod-test\n    path: {root}/htpasswd\n",
            root = dir.path().display()
        );
        std::fs::write(dir.path().join("config.yml"), config).unwrap();
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(dir.path().join("config.yml"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("docker-registry (run contrib/setup-host.sh)");
        let started = std::time::Instant::now();
        while std::net::TcpStream::connect(ADDRESS).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "the registry did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Registry { child, _dir: dir }
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn workflow(image: &str, credentials: &str) -> String {
    format!(
        "on: push
jobs:
  test:
    runs-on: ubuntu-latest
    container:
      image: {image}
{credentials}    steps:
      - run: echo pulled with a login
"
    )
}

#[test]
fn a_workflows_credentials_pull_its_private_image_and_the_password_stays_hidden() {
    let host = host!();
    let password = format!("reg-pass-{}", std::process::id());
    let _registry = Registry::start("tester", &password);
    let p = Project::with_files(&host, "registry", &[]);
    let image = format!("{ADDRESS}/private/{}:1", p.name);
    assert_eq!(host.podman(&["tag", BUSYBOX, &image]).code, 0);
    let creds = format!("tester:{password}");
    let pushed = host.podman(&["push", "--creds", &creds, &image]);
    assert_eq!(pushed.code, 0, "{}", pushed.stderr);
    assert_eq!(host.podman(&["rmi", &image]).code, 0);

    // Without a login the registry refuses, and the job says so.
    std::fs::create_dir_all(p.dir.join(".github/workflows")).unwrap();
    p.write(".github/workflows/ci.yml", &workflow(&image, ""));
    let denied = p.sidepod(&["job", "-f", ".github/workflows/ci.yml"]);
    assert_ne!(denied.code, 0, "{}", denied.stderr);
    assert!(
        denied.stderr.contains("unauthorized") || denied.stderr.contains("authentication required"),
        "{}",
        denied.stderr
    );
    p.assert_nothing_left();

    let credentials = "      credentials:\n        username: tester\n        password: ${{ secrets.REGISTRY_PASSWORD }}\n";
    p.write(".github/workflows/ci.yml", &workflow(&image, credentials));
    let env = [("REGISTRY_PASSWORD", password.as_str())];
    // -v prints every podman command sidepod runs.
    let out = p.sidepod_env(&["-v", "job", "-f", ".github/workflows/ci.yml"], &env);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("pulled with a login"), "{}", out.stdout);
    assert!(out.stderr.contains("--authfile="), "{}", out.stderr);
    for text in [&out.stdout, &out.stderr] {
        assert!(
            !text.contains(&password),
            "the password was printed:\n{text}"
        );
    }
    p.assert_nothing_left();
    let _ = host.podman(&["rmi", &image]);
}
