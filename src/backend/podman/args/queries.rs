//! The argv of podman's queries: lists, inspections and existence checks, the host's
//! version and info, and doctor's probes.

use std::path::Path;
use std::time::Duration;

use super::{pod_remove_args, strings, with_names};

pub(crate) fn label_filter(label: &str, value: &str) -> String {
    if value.is_empty() {
        format!("label={label}")
    } else {
        format!("label={label}={value}")
    }
}

/// `ps`, `pod ps` and `volume ls` of what carries `label=value`, as JSON.
pub(crate) fn list_args(what: &[&str], label: &str, value: &str) -> Vec<String> {
    let mut a: Vec<String> = what.iter().map(|s| s.to_string()).collect();
    a.extend([
        "--filter".into(),
        label_filter(label, value),
        "--format".into(),
        "json".into(),
    ]);
    a
}

pub(crate) fn inspect_args(names: &[String]) -> Vec<String> {
    with_names(strings(["container", "inspect"]), names)
}

/// Each container's name and the stop signal it was created with, one per line.
pub(crate) fn stop_signal_args(names: &[String]) -> Vec<String> {
    with_names(
        strings([
            "container",
            "inspect",
            "--format",
            "{{.Name}}\t{{.Config.StopSignal}}",
        ]),
        names,
    )
}

pub(crate) fn wait_args(name: &str) -> Vec<String> {
    vec!["wait".into(), name.into()]
}

pub fn image_id_args(image: &str) -> Vec<String> {
    strings(["image", "inspect", "--format", "{{.Id}}", image])
}

pub fn image_remove_args(images: &[String]) -> Vec<String> {
    with_names(strings(["image", "rm"]), images)
}

/// `podman cp SOURCE/. CONTAINER:DEST`: the directory's contents, not the directory.
pub fn copy_into_args(container: &str, source: &std::path::Path, dest: &str) -> Vec<String> {
    let from = format!("{}/.", source.display());
    vec!["cp".into(), from, format!("{container}:{dest}")]
}

pub(crate) fn exists_args(kind: &str, name: &str) -> Vec<String> {
    vec![kind.into(), "exists".into(), name.into()]
}

/// Every container, with those in podman's storage that podman does not know.
pub(crate) fn external_ps_args() -> Vec<String> {
    strings(["ps", "--all", "--external", "--format", "json"])
}

pub(crate) fn version_args() -> Vec<String> {
    strings(["version", "--format", "{{.Client.Version}}"])
}

pub(crate) fn info_args() -> Vec<String> {
    strings(["info", "--format", "json"])
}

/// The ports an image exposes, as JSON.
pub(crate) fn image_exposed_args(image: &str) -> Vec<String> {
    strings([
        "image",
        "inspect",
        "--format",
        "{{json .Config.ExposedPorts}}",
        image,
    ])
}

/// `pull` with the registry login in `authfile`.
pub(crate) fn pull_with_auth_args(image: &str, authfile: &Path) -> Vec<String> {
    let mut args = super::pull_args(image);
    args.insert(1, format!("--authfile={}", authfile.display()));
    args
}

/// A container on `rootfs` (an empty directory) that runs `command`, which it lacks.
pub(crate) fn probe_run_args(rootfs: &Path, command: &str) -> Vec<String> {
    let rootfs = rootfs.display().to_string();
    strings([
        "run",
        "--rm",
        "--network",
        "none",
        "--rootfs",
        &rootfs,
        command,
    ])
}

/// A pod labelled as doctor's that publishes `port` on 127.0.0.1, started, then removed.
pub(crate) fn probe_pod_args(name: &str, port: u16) -> [Vec<String>; 3] {
    let publish = format!("127.0.0.1:{port}:{port}/tcp");
    let label = "io.sidepod.doctor=true";
    [
        strings([
            "pod", "create", "--name", name, "--label", label, "-p", &publish,
        ]),
        strings(["pod", "start", name]),
        pod_remove_args(name, Duration::ZERO),
    ]
}
