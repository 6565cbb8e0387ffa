//! Real podman and a real registry (Debian's `docker-registry`, with htpasswd logins):
//! each CI format's registry login (GitHub credentials, Drone auth_config and
//! image_pull_secrets, CircleCI auth) lets its image be pulled, and the password is never
//! printed nor put on a command line. Rootful, or rootless with SIDEPOD_TEST_MODE=rootless.
//! `contrib/setup-host.sh` installs the registry and marks 127.0.0.1:5099 as plain HTTP.

#[macro_use]
mod common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::podman::{Project, BUSYBOX};

const ADDRESS: &str = "127.0.0.1:5099";

/// A registry on ADDRESS that lets `user` in with `password`, until dropped. One at a
/// time: the tests take turns on the one port, across threads, test processes, and the
/// rootful and rootless runs.
struct Registry {
    child: Child,
    _dir: tempfile::TempDir,
    _turn: Turn,
}

/// A turn on ADDRESS: an exclusive `flock` on a file beside the other tests' scratch
/// files, let go when dropped (the file is closed).
struct Turn {
    _file: std::fs::File,
}

impl Turn {
    fn take() -> Turn {
        use std::os::unix::fs::OpenOptionsExt;
        use std::os::unix::io::AsRawFd;
        let path = std::env::temp_dir().join("sidepod-test-registry.lock");
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o666)
            .open(&path)
            .or_else(|_| std::fs::File::open(&path))
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        // SAFETY: flock on a descriptor this owns, which stays open while the lock is held.
        let locked = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
        assert_eq!(locked, 0, "flock {}", path.display());
        Turn { _file: file }
    }
}

impl Registry {
    fn start(user: &str, password: &str) -> Registry {
        let turn = Turn::take();
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
        Registry {
            child,
            _dir: dir,
            _turn: turn,
        }
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
fn each_formats_registry_login_pulls_its_private_image_and_the_password_stays_hidden() {
    let host = host!();
    let password = format!("reg-pass-{}", std::process::id());
    let _registry = Registry::start("tester", &password);
    let p = Project::with_files(&host, "registry", &[]);
    let image = format!("{ADDRESS}/private/{}:1", p.name);
    let creds = format!("tester:{password}");
    push_private(&host, &image, &creds);

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

    // Drone: a step's image through `auth_config` from a secret, a service's through
    // `image_pull_secrets` holding a Docker config, each pulled before the step runs.
    let service_image = format!("{ADDRESS}/private/{}-helper:1", p.name);
    for tag in [&image, &service_image] {
        push_private(&host, tag, &creds);
    }
    let config = format!(
        r#"{{"auths": {{"http://{ADDRESS}": {{"auth": "{}"}}}}}}"#,
        base64_login("tester", &password)
    );
    let pipeline = format!(
        "kind: pipeline
type: docker
name: private
image_pull_secrets: [dockerconfig]
steps:
- name: greet
  image: {image}
  pull: always
  auth_config:
    username: tester
    password:
      from_secret: registry_password
  commands: [echo pulled with auth_config]
services:
- name: helper
  image: {service_image}
  commands: [sleep 1000]
"
    );
    p.write(".drone.yml", &pipeline);
    let env = [
        ("registry_password", password.as_str()),
        ("dockerconfig", config.as_str()),
    ];
    let out = p.sidepod_env(&["-v", "job", "-f", ".drone.yml"], &env);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("pulled with auth_config"),
        "{}",
        out.stdout
    );
    for text in [&out.stdout, &out.stderr] {
        assert!(
            !text.contains(&password) && !text.contains(&base64_login("tester", &password)),
            "the password was printed:\n{text}"
        );
    }
    assert_eq!(
        out.stderr.matches("--authfile=").count(),
        2,
        "each image pulled once, with its login: {}",
        out.stderr
    );
    p.assert_nothing_left();
    let _ = host.podman(&["rmi", &image, &service_image]);

    // CircleCI: the primary image's `auth`, its password from the environment.
    let config = format!(
        "version: 2.1
jobs:
  build:
    docker:
      - image: {image}
        auth:
          username: tester
          password: $REGISTRY_PASSWORD
    steps:
      - run: echo pulled with auth
"
    );
    std::fs::create_dir_all(p.dir.join(".circleci")).unwrap();
    p.write(".circleci/config.yml", &config);
    let env = [("REGISTRY_PASSWORD", password.as_str())];
    let out = p.sidepod_env(&["-v", "job", "-f", ".circleci/config.yml"], &env);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("pulled with auth"), "{}", out.stdout);
    assert!(out.stderr.contains("--authfile="), "{}", out.stderr);
    assert!(
        !out.stdout.contains(&password) && !out.stderr.contains(&password),
        "{}\n{}",
        out.stdout,
        out.stderr
    );
    p.assert_nothing_left();
    let _ = host.podman(&["rmi", &image]);
}

/// Pushes the busybox test image to the registry as `image`, and removes it here, so
/// that only a pull with a login brings it back.
fn push_private(host: &common::podman::Host, image: &str, creds: &str) {
    assert_eq!(host.podman(&["tag", BUSYBOX, image]).code, 0);
    let pushed = host.podman(&["push", "--creds", creds, image]);
    assert_eq!(pushed.code, 0, "{}", pushed.stderr);
    assert_eq!(host.podman(&["rmi", image]).code, 0);
}

/// base64 of `user:password`, as a Docker config's `auth` holds a login.
fn base64_login(user: &str, password: &str) -> String {
    let out = Command::new("base64")
        .arg("-w0")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(format!("{user}:{password}").as_bytes())?;
            child.wait_with_output()
        })
        .unwrap();
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn pull_policy_daily_pulls_once_a_day_by_sidepods_own_record_of_its_pulls() {
    let host = host!();
    let password = format!("daily-pass-{}", std::process::id());
    let _registry = Registry::start("tester", &password);
    let p = Project::with_files(&host, "daily", &[]);
    let image = format!("{ADDRESS}/private/{}:1", p.name);
    let creds = format!("tester:{password}");
    push_private(&host, &image, &creds);
    // The user's own login, as `podman login` keeps it.
    let login = host.podman(&["login", "-u", "tester", "-p", &password, ADDRESS]);
    assert_eq!(login.code, 0, "{}", login.stderr);
    p.write(
        "compose.yaml",
        &format!(
            "services:\n  app:\n    image: {image}\n    pull_policy: daily\n    init: true\n    command: [sleep, '300']\n"
        ),
    );
    let state = tempfile::tempdir().unwrap();
    let _ = Command::new("chmod")
        .arg("a+rwx")
        .arg(state.path())
        .status();
    let state_dir = state.path().display().to_string();
    let env = [("SIDEPOD_STATE_DIR", state_dir.as_str())];
    let pulls =
        |out: &common::Outcome| out.stderr.matches(&format!("pull --quiet {image}")).count();
    let up = || {
        let out = p.sidepod_env(&["-v", "up", "-d"], &env);
        assert_eq!(out.code, 0, "{}", out.stderr);
        p.sidepod(&["down", "-t", "0"]).success();
        out
    };
    // `pull -q` pulls and says nothing; `pull` says what it pulled.
    let quiet = p.sidepod_env(&["pull", "-q"], &env);
    assert_eq!(
        (quiet.code, quiet.stderr.as_str()),
        (0, ""),
        "{}",
        quiet.stderr
    );
    assert_eq!(host.podman(&["image", "exists", &image]).code, 0);
    let said = p.sidepod_env(&["pull"], &env);
    assert!(said.stderr.contains("Pulled"), "{}", said.stderr);
    assert_eq!(host.podman(&["rmi", &image]).code, 0);
    std::fs::remove_file(state.path().join("pulls")).unwrap();
    // Missing: pulled, and the pull recorded.
    assert_eq!(pulls(&up()), 1);
    let record = std::fs::read_to_string(state.path().join("pulls")).unwrap();
    assert!(record.contains(&image), "{record}");
    // Pulled a moment ago: not again.
    assert_eq!(pulls(&up()), 0);
    // Pulled two days ago, as far as the record says: again.
    std::fs::write(state.path().join("pulls"), format!("1000 {image}\n")).unwrap();
    assert_eq!(pulls(&up()), 1);
    // The record lost: pulled once more, which is safe.
    std::fs::remove_file(state.path().join("pulls")).unwrap();
    assert_eq!(pulls(&up()), 1);
    let _ = host.podman(&["logout", ADDRESS]);
    p.assert_nothing_left();
    let _ = host.podman(&["rmi", &image]);
}

#[test]
fn cache_to_pushes_build_layers_to_the_registry_and_cache_from_builds_from_them() {
    let host = host!();
    let password = format!("cache-pass-{}", std::process::id());
    let _registry = Registry::start("tester", &password);
    let dockerfile = format!("FROM {BUSYBOX}\nRUN cat /proc/sys/kernel/random/uuid > /stamp\n");
    let p = Project::with_files(&host, "cache", &[("Dockerfile", &dockerfile)]);
    let cache = format!("{ADDRESS}/cache/{}", p.name);
    let image = format!("localhost/{}-app:1", p.name);
    p.write(
        "compose.yaml",
        &format!(
            "services:\n  app:\n    image: {image}\n    build:\n      context: .\n      cache_from: [\"{cache}:latest\"]\n      cache_to: [\"type=registry,ref={cache}:buildcache,mode=max\"]\n"
        ),
    );
    let login = host.podman(&["login", "-u", "tester", "-p", &password, ADDRESS]);
    assert_eq!(login.code, 0, "{}", login.stderr);
    let stamp = || {
        let out = host.podman(&["run", "--rm", &image, "cat", "/stamp"]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        out.stdout.trim().to_string()
    };
    // Every local trace of the build goes: the image, and the cache images a pull made.
    let forget = || {
        let cached = host.podman(&["images", "-q", &cache]);
        for id in cached.stdout.split_whitespace().chain([image.as_str()]) {
            let _ = host.podman(&["rmi", "-f", id]);
        }
    };
    let build = p.sidepod(&["build"]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    let first = stamp();
    forget();
    // Built again with nothing local: the RUN layer comes from the registry.
    let build = p.sidepod(&["build"]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    assert_eq!(stamp(), first, "the second build ran the step again");
    forget();
    // Without the registry's cache, the step runs again: the stamp is new.
    p.write(
        "compose.yaml",
        &format!("services:\n  app:\n    image: {image}\n    build: .\n"),
    );
    let build = p.sidepod(&["build"]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    assert_ne!(stamp(), first);
    forget();
    let _ = host.podman(&["logout", ADDRESS]);
    p.assert_nothing_left();
}

#[test]
fn push_sends_the_services_images_to_their_registry_with_the_users_login() {
    let host = host!();
    let password = format!("push-pass-{}", std::process::id());
    let _registry = Registry::start("pusher", &password);
    let p = Project::with_files(&host, "push", &[]);
    let image = format!("{ADDRESS}/pushed/{}:1", p.name);
    assert_eq!(host.podman(&["tag", BUSYBOX, &image]).code, 0);
    p.write(
        "compose.yaml",
        &format!("services:\n  app:\n    image: {image}\n  local:\n    build: .\n"),
    );
    p.write("Dockerfile", &format!("FROM {BUSYBOX}\n"));
    // Without a login, the registry refuses: the push fails, naming the service.
    let denied = p.sidepod(&["push", "app"]);
    assert_ne!(denied.code, 0, "{}", denied.stderr);
    assert!(
        denied.stderr.contains("\"app\"") || denied.stderr.contains("app"),
        "{}",
        denied.stderr
    );
    // ... unless told to go on.
    let ignored = p.sidepod(&["push", "--ignore-push-failures", "app"]);
    assert_eq!(ignored.code, 0, "{}", ignored.stderr);
    assert!(ignored.stderr.contains("warning"), "{}", ignored.stderr);
    let login = host.podman(&["login", "-u", "pusher", "-p", &password, ADDRESS]);
    assert_eq!(login.code, 0, "{}", login.stderr);
    // The service without an image name has nothing to push, and is passed over.
    let pushed = p.sidepod(&["push", "-q"]);
    let _ = host.podman(&["logout", ADDRESS]);
    assert_eq!(pushed.code, 0, "{}", pushed.stderr);
    // It is in the registry: removed here, it pulls again.
    assert_eq!(host.podman(&["rmi", &image]).code, 0);
    let pulled = host.podman(&["pull", "--creds", &format!("pusher:{password}"), &image]);
    assert_eq!(pulled.code, 0, "{}", pulled.stderr);
    let _ = host.podman(&["rmi", &image]);
    p.assert_nothing_left();
}
