//! The podman backend against stand-in podmans: retries of its known races.
use std::os::unix::fs::PermissionsExt;

use super::*;

/// A stand-in podman whose `run` loses the infra race the way podman 4 does, and whose
/// `start` fails `start_failures` times the same way, then works. It logs its calls.
fn racing_podman(dir: &Path, start_failures: u32) -> PodmanBackend {
    let script = dir.join("podman");
    let log = dir.join("calls");
    let count = dir.join("starts");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho \"$1\" >> {log}\n\
             if [ \"$1\" = run ]; then echo 'Error: unable to restart a container in a paused or unknown state: container state improper' >&2; exit 126; fi\n\
             n=$(( $(cat {count} 2>/dev/null || echo 0) + 1 )); echo $n > {count}\n\
             if [ $n -le {start_failures} ]; then echo 'container state improper' >&2; exit 126; fi\n",
            log = log.display(),
            count = count.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    PodmanBackend::locate(Some(&script), false).unwrap()
}

fn spec() -> ContainerSpec {
    ContainerSpec {
        name: "shop-db-1".into(),
        pod: "shop".into(),
        image: "img".into(),
        ..ContainerSpec::default()
    }
}

#[tokio::test]
async fn a_run_that_loses_the_infra_start_race_is_started_again() {
    let dir = tempfile::tempdir().unwrap();
    let podman = racing_podman(dir.path(), 1);
    assert_eq!(podman.run(&spec()).await.unwrap(), "shop-db-1");
    let calls = std::fs::read_to_string(dir.path().join("calls")).unwrap();
    assert_eq!(calls, "run\nstart\nstart\n");
}

#[tokio::test]
async fn a_race_that_never_settles_is_the_run_error() {
    let dir = tempfile::tempdir().unwrap();
    let podman = racing_podman(dir.path(), 100);
    let err = podman.run(&spec()).await.unwrap_err();
    assert!(
        err.to_string().contains("container state improper"),
        "{err}"
    );
    assert!(err.to_string().contains("podman run"), "{err}");
}

/// A podman whose `ps --external` fails `failures` times as podman 4.3's does while
/// another container goes away; its plain `ps` lists the one labelled container.
fn flaky_external_ps(dir: &Path, failures: u32) -> PodmanBackend {
    let script = dir.join("podman");
    let count = dir.join("tries");
    let running = r#"{"Names":["p-a-1"],"State":"running","Labels":{"io.sidepod.project":"p"}}"#;
    let storage = r#"{"Names":["p-b-1"],"State":"storage","Labels":null}"#;
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\ncase \"$*\" in *--external*)\n\
             n=$(( $(cat {count} 2>/dev/null || echo 0) + 1 )); echo $n > {count}\n\
             if [ $n -le {failures} ]; then echo 'Error: determining buildah container for container x: container not known' >&2; exit 125; fi\n\
             echo '[{running},{storage}]';;\n*) echo '[{running}]';;\nesac\n",
            count = count.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    PodmanBackend::locate(Some(&script), false).unwrap()
}

#[tokio::test]
async fn a_failing_external_ps_is_asked_again_then_given_up_for_the_plain_one() {
    let dir = tempfile::tempdir().unwrap();
    let podman = flaky_external_ps(dir.path(), 2);
    let (containers, leftovers) = podman
        .containers_and_leftovers("io.sidepod.project", "p")
        .await
        .unwrap();
    assert_eq!(containers[0].name, "p-a-1");
    assert_eq!(leftovers, ["p-b-1"]);
    let dir = tempfile::tempdir().unwrap();
    let podman = flaky_external_ps(dir.path(), 100);
    let (containers, leftovers) = podman
        .containers_and_leftovers("io.sidepod.project", "p")
        .await
        .unwrap();
    assert_eq!(containers.len(), 1);
    assert!(leftovers.is_empty());
}
