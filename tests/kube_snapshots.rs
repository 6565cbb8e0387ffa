//! Snapshots of `generate kube`: the whole YAML, for a job with two sidecars, a matrix,
//! a secret, and a Compose stack with ordered dependencies. A change to the output
//! shows here as a diff; `SIDEPOD_UPDATE_SNAPSHOTS=1 cargo test --test kube_snapshots`
//! rewrites the expected files, to be read and committed. And the flags' errors.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The secret the `secret` fixture reads from the environment.
const SECRET: &str = "snapshot-s3cret";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/kube-snapshots")
        .join(name)
}

/// `sidepod generate kube` of fixture `name` with `flags`, against `expected`.
fn check(name: &str, flags: &[&str], expected: &str) {
    let dir = fixture(name);
    let file = if dir.join("sidepod.yaml").exists() {
        "sidepod.yaml"
    } else {
        "compose.yaml"
    };
    let out = Command::new(env!("CARGO_BIN_EXE_sidepod"))
        .args(["-p", name, "-f", file, "generate", "kube"])
        .args(flags)
        .current_dir(&dir)
        .env("DB_PASSWORD", SECRET)
        .env_remove("COMPOSE_FILE")
        .env_remove("COMPOSE_PROJECT_NAME")
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{stderr}");
    assert!(!stdout.contains(SECRET), "the secret is written:\n{stdout}");
    let text = format!("# stderr:\n{}\n{stdout}", comment(&stderr));
    let path = dir.join(expected);
    if std::env::var_os("SIDEPOD_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &text).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_default();
    if want != text {
        let first = want
            .lines()
            .zip(text.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(want.lines().count().min(text.lines().count()));
        panic!(
            "{} differs from the output at line {}:\n  expected: {:?}\n  got:      {:?}\n\
             (SIDEPOD_UPDATE_SNAPSHOTS=1 rewrites it)\n\nthe output:\n{text}",
            path.display(),
            first + 1,
            want.lines().nth(first),
            text.lines().nth(first),
        );
    }
}

/// The warnings, as YAML comments above the documents.
fn comment(stderr: &str) -> String {
    stderr
        .lines()
        .map(|l| format!("#   {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_job_with_two_sidecars_is_a_job_with_native_sidecars_and_its_steps_in_order() {
    check("two-sidecars", &[], "job.yaml");
    check(
        "two-sidecars",
        &["--workspace", "git:https://example.com/app.git#main"],
        "job-git.yaml",
    );
    check("two-sidecars", &["--for", "podman"], "pod.yaml");
}

#[test]
fn a_matrix_is_one_job_per_combination() {
    check("matrix", &[], "job.yaml");
}

#[test]
fn a_secret_is_referenced_from_a_secret_and_never_written() {
    check("secret", &["--workspace", "pvc:app-source"], "job.yaml");
}

#[test]
fn a_compose_stack_orders_its_services_with_sidecars_and_init_containers() {
    check("compose-order", &[], "pod.yaml");
    check("compose-order", &["--for", "podman"], "pod-podman.yaml");
}

/// `generate kube` of fixture `name` with `flags`: exit code, stdout, stderr.
fn generate(name: &str, file: &str, flags: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sidepod"))
        .args(["-p", name, "-f", file, "generate", "kube"])
        .args(flags)
        .current_dir(fixture(name))
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn a_workspace_that_is_none_of_the_three_forms_is_a_usage_error_naming_them() {
    for bad in [
        "nfs:/srv",
        "pvc:",
        "pvc:Not_Valid",
        "git:",
        "git:https://x/y.git#",
    ] {
        let (code, stdout, stderr) =
            generate("two-sidecars", "sidepod.yaml", &["--workspace", bad]);
        assert_eq!(code, Some(2), "{bad}: {stderr}");
        assert!(stdout.is_empty(), "{bad}: {stdout}");
        assert!(
            stderr.contains(&format!("--workspace {bad:?}"))
                && stderr
                    .contains("`empty`, `pvc:NAME` (a PersistentVolumeClaim) or `git:URL[#REF]`"),
            "{bad}: {stderr}"
        );
    }
    let (code, _, stderr) = generate("two-sidecars", "sidepod.yaml", &["--for", "helm"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("kubernetes, podman"), "{stderr}");
}

#[test]
fn a_workspace_for_a_compose_project_is_said_to_be_unused() {
    let (code, stdout, stderr) =
        generate("compose-order", "compose.yaml", &["--workspace", "pvc:src"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("kind: Pod\n"));
    assert!(!stdout.contains("src"), "{stdout}");
    assert!(
        stderr.contains("--workspace is for a job's workspace; a Compose project has none"),
        "{stderr}"
    );
}
