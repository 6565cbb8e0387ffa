//! docker compose's flags, each seen where it acts: in the podman commands a dry run
//! prints (`--dry-run` changes nothing), for the flags whose whole effect is there.
//! Their effect on real containers is checked in the podman tests.

mod common;

use common::Test;

const COMPOSE: &str = "services:
  db:
    image: docker.io/library/postgres:16
  api:
    build: ./api
    image: registry.example/shop/api:1
    depends_on: [db]
    ports: [\"8080:80\"]
  web:
    image: docker.io/library/nginx:1
    ports: [\"8081:80\"]
";

/// The podman commands `sidepod --dry-run ARGS` prints for the project.
fn dry(args: &[&str]) -> String {
    let mut all = vec!["--dry-run"];
    all.extend_from_slice(args);
    let out = Test::new()
        .file("compose.yaml", COMPOSE)
        .file("api/Dockerfile", "FROM scratch\n")
        .args(&all)
        .run();
    assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
    out.stdout
}

/// The images of the `podman pull` (or push) lines.
fn images(text: &str, verb: &str) -> Vec<String> {
    let words = |l: &str| l.split_whitespace().last().unwrap_or_default().to_string();
    lines_with(text, &format!("podman {verb} "))
        .into_iter()
        .map(words)
        .collect()
}

fn lines_with<'a>(text: &'a str, word: &str) -> Vec<&'a str> {
    text.lines().filter(|l| l.contains(word)).collect()
}

#[test]
fn create_takes_ups_flags_and_starts_nothing() {
    let out = dry(&[
        "create",
        "--build",
        "--pull",
        "always",
        "--quiet-pull",
        "--force-recreate",
        "--remove-orphans",
        "--scale",
        "db=2",
        "-y",
        "web",
        "api",
    ]);
    assert!(!out.contains("podman run"), "{out}");
    assert_eq!(
        lines_with(&out, "podman create").len(),
        4,
        "two of db, api and web:\n{out}"
    );
    assert!(out.contains("podman build"), "--build:\n{out}");
    assert_eq!(
        lines_with(&out, "podman pull").len(),
        2,
        "--pull always, db and web:\n{out}"
    );
    let kept = dry(&["create", "--no-build", "--no-recreate", "web"]);
    assert!(!kept.contains("podman build"), "{kept}");
    assert_eq!(lines_with(&kept, "podman create").len(), 1, "{kept}");
    // --pull never with an image that is not here: an error before anything is made.
    let never = Test::new()
        .file("compose.yaml", COMPOSE)
        .args(&["--dry-run", "create", "--pull", "never", "web"])
        .run();
    assert_ne!(never.code, 0);
    assert!(
        never.stderr.contains("pull_policy is never"),
        "{}",
        never.stderr
    );
    assert!(!never.stdout.contains("podman create"), "{}", never.stdout);
}

#[test]
fn run_passes_its_flags_to_the_one_off_container() {
    let out = dry(&[
        "run",
        "--rm",
        "-T",
        "-i",
        "--entrypoint",
        "sh",
        "-w",
        "/srv",
        "--env",
        "A=1",
        "-e",
        "B=2",
        "--cap-drop",
        "NET_RAW",
        "--quiet-pull",
        "--quiet-build",
        "-q",
        "--remove-orphans",
        "--build",
        "--no-deps",
        "api",
        "-c",
        "true",
    ]);
    let run = lines_with(&out, "podman run");
    assert_eq!(run.len(), 1, "{out}");
    for part in [
        "--entrypoint sh",
        "--workdir /srv",
        "--env A=1",
        "--env B=2",
        "--cap-drop NET_RAW",
        "--interactive",
        " -c true",
    ] {
        assert!(run[0].contains(part), "{part}: {}", run[0]);
    }
    assert!(out.contains("podman build"), "--build builds first:\n{out}");
    // --service-ports publishes the service's own ports, which a one-off leaves out;
    // --use-aliases gives it the service's name on the network (bridge mode).
    let bridge = dry(&[
        "--network",
        "bridge",
        "run",
        "--rm",
        "-T",
        "--service-ports",
        "--use-aliases",
        "--no-deps",
        "web",
        "true",
    ]);
    let run = lines_with(&bridge, "podman run");
    assert!(run[0].contains("8081:80"), "{}", run[0]);
    assert!(run[0].contains("web"), "{}", run[0]);
    let plain = dry(&[
        "--network",
        "bridge",
        "run",
        "--rm",
        "-T",
        "--no-deps",
        "web",
        "true",
    ]);
    assert!(
        !lines_with(&plain, "podman run")[0].contains("8081:80"),
        "{plain}"
    );
}

#[test]
fn pull_push_and_build_choose_their_images_as_docker_compose_does() {
    // pull: with --include-deps, what api depends on; a build-only service is passed
    // over (--ignore-buildable is what sidepod always does).
    let out = dry(&[
        "pull",
        "--include-deps",
        "--ignore-buildable",
        "--ignore-pull-failures",
        "--policy",
        "always",
        "api",
    ]);
    assert_eq!(images(&out, "pull"), ["docker.io/library/postgres:16"]);
    let alone = dry(&["pull", "api"]);
    assert_eq!(images(&alone, "pull"), ["registry.example/shop/api:1"]);
    // push: the named services' images, and with --include-deps their dependencies'.
    let out = dry(&["push", "--include-deps", "api"]);
    let pushed = images(&out, "push");
    assert!(
        pushed.contains(&"registry.example/shop/api:1".to_string()),
        "{out}"
    );
    assert!(
        pushed.contains(&"docker.io/library/postgres:16".to_string()),
        "{out}"
    );
    assert!(!dry(&["push", "api"]).contains("postgres"));
    // build --pull: newer base images.
    let out = dry(&["build", "--pull", "--no-cache", "api"]);
    let build = lines_with(&out, "podman build");
    assert!(
        build[0].contains("--pull") && build[0].contains("--no-cache"),
        "{out}"
    );
}

#[test]
fn up_accepts_the_quiet_and_yes_flags_and_project_directory_moves_the_project() {
    let out = dry(&[
        "up",
        "-d",
        "--quiet-pull",
        "--quiet-build",
        "-y",
        "--no-build",
        "web",
    ]);
    assert_eq!(lines_with(&out, "podman run").len(), 1, "{out}");
    // --project-directory: relative paths (the build context) are taken from there.
    let t = Test::new()
        .file(
            "elsewhere/compose.yaml",
            "services:\n  app:\n    build: ./ctx\n",
        )
        .file("elsewhere/ctx/Dockerfile", "FROM scratch\n");
    let dir = t.cwd().join("elsewhere");
    let out = t
        .args(&[
            "--dry-run",
            "-f",
            "elsewhere/compose.yaml",
            "--project-directory",
            dir.to_str().unwrap(),
            "build",
        ])
        .run();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains(&format!("{}/ctx", dir.display())),
        "{}",
        out.stdout
    );
}
