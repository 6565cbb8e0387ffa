//! The trust gate for shared CI hosts (`sidepod job --restrict`, `SIDEPOD_RESTRICT=1`, or
//! the host's `/etc/sidepod/host.yaml`): a job from an untrusted repository may not
//! reach past its pod and its workspace. What it refuses is said with the file, the
//! service and the key, before anything is created.

use std::path::{Path, PathBuf};

use crate::compose::LoadError;
use crate::model::{FileSource, Job, MountKind, NetworkMode, Service, VolumesSource, MAIN};

/// The host's own settings, which no job file can change.
pub const HOST_CONFIG: &str = "/etc/sidepod/host.yaml";

#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct HostConfig {
    #[serde(default)]
    restrict: bool,
}

/// True when this host restricts jobs: its config file says so, as does the file
/// `SIDEPOD_HOST_CONFIG` names (which can only add to the host's). A file that cannot
/// be read is an error: a gate must not open because of a typo.
pub fn host_restricts(extra: Option<&Path>) -> Result<bool, LoadError> {
    let mut files = vec![PathBuf::from(HOST_CONFIG)];
    files.extend(extra.map(Path::to_path_buf));
    for file in files {
        let text = match std::fs::read_to_string(&file) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                return Err(LoadError::File {
                    file: file.display().to_string(),
                    message: e.to_string(),
                })
            }
        };
        let config: HostConfig = match serde_norway::from_str::<Option<HostConfig>>(&text) {
            Ok(c) => c.unwrap_or_default(),
            Err(e) => {
                return Err(LoadError::Invalid {
                    file: file.display().to_string(),
                    at: "top level".into(),
                    message: format!("{e} (the host config has one key, restrict: true|false)"),
                })
            }
        };
        if config.restrict {
            return Ok(true);
        }
    }
    Ok(false)
}

/// `security_opt` values that turn confinement off.
fn disables_confinement(opt: &str) -> bool {
    let opt = opt.replace(':', "=");
    matches!(
        opt.as_str(),
        "label=disable"
            | "seccomp=unconfined"
            | "apparmor=unconfined"
            | "systempaths=unconfined"
            | "no-new-privileges=false"
    ) || opt.starts_with("unmask=")
        || opt.starts_with("label=type:spc_t")
        || opt.starts_with("label=type=spc_t")
}

/// A path that is podman's or docker's API socket, or the directory holding it.
fn is_engine_socket(path: &Path) -> bool {
    let text = path.to_string_lossy();
    text.ends_with("podman.sock")
        || text.ends_with("docker.sock")
        || text.contains("/podman/podman")
        || text.ends_with("/run/podman")
        || text.ends_with("/run/docker")
}

/// The path a bind source really is: symbolic links followed where it exists.
fn real(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Refuses what reaches past the pod and the workspace.
pub fn check(job: &Job, display: &str) -> Result<(), LoadError> {
    let workspace = real(&job.project.directory);
    let refuse = |service: &str, key: &str, what: String| {
        let at = if service == MAIN {
            format!("container: {key}")
        } else {
            format!("service {service:?}: {key}")
        };
        LoadError::Invalid {
            file: display.to_string(),
            at,
            message: format!(
                "{what}, which --restrict refuses (this host runs untrusted jobs); a trusted \
                 job runs without --restrict"
            ),
        }
    };
    let services = job
        .project
        .services
        .values()
        .chain(std::iter::once(&job.container));
    for s in services {
        check_service(s, &workspace, &refuse)?;
    }
    for (kind, objects) in [
        ("secret", &job.project.secrets),
        ("config", &job.project.configs),
    ] {
        for (name, source) in objects {
            let outside = match source {
                FileSource::File(f) if !real(f).starts_with(&workspace) => {
                    format!("reads {} from outside the workspace", f.display())
                }
                FileSource::External(secret) => {
                    format!("reads the host's podman secret {secret:?}")
                }
                _ => continue,
            };
            return Err(LoadError::Invalid {
                file: display.to_string(),
                at: format!("{kind} {name:?}"),
                message: format!("{outside}, which --restrict refuses"),
            });
        }
    }
    for (name, v) in &job.project.volumes {
        if let Some(device) = v.driver_opts.get("device") {
            let device = real(Path::new(device));
            if !device.starts_with(&workspace) {
                return Err(LoadError::Invalid {
                    file: display.to_string(),
                    at: format!("volume {name:?}: driver_opts.device"),
                    message: format!(
                        "binds {} from outside the workspace, which --restrict refuses",
                        device.display()
                    ),
                });
            }
        }
    }
    Ok(())
}

fn check_service(
    s: &Service,
    workspace: &Path,
    refuse: &dyn Fn(&str, &str, String) -> LoadError,
) -> Result<(), LoadError> {
    let name = s.name.as_str();
    if s.privileged {
        return Err(refuse(name, "privileged", "a privileged container".into()));
    }
    if let Some(d) = s.devices.first() {
        return Err(refuse(name, "devices", format!("host device {d}")));
    }
    if let Some(c) = s.cap_add.first() {
        return Err(refuse(name, "cap_add", format!("added capability {c}")));
    }
    if s.network_mode == Some(NetworkMode::Host) {
        return Err(refuse(
            name,
            "network_mode",
            "the host's network namespace".into(),
        ));
    }
    if let Some(opt) = s
        .runtime
        .security_opt
        .iter()
        .find(|o| disables_confinement(o))
    {
        return Err(refuse(
            name,
            "security_opt",
            format!("{opt}, which turns confinement off"),
        ));
    }
    if let Some(v) = s
        .volumes_from
        .iter()
        .find(|v| matches!(v.source, VolumesSource::Container(_)))
    {
        let VolumesSource::Container(c) = &v.source else {
            unreachable!()
        };
        return Err(refuse(
            name,
            "volumes_from",
            format!("the volumes of container {c:?}, outside the job"),
        ));
    }
    for (key, what, value) in [
        ("pid", "the host's process namespace", &s.runtime.pid),
        ("ipc", "the host's IPC namespace", &s.runtime.ipc),
        (
            "userns_mode",
            "the host's user namespace",
            &s.runtime.userns,
        ),
    ] {
        let value = value.as_deref().unwrap_or_default();
        if value == "host" || value.starts_with("container:") {
            return Err(refuse(name, key, format!("{what} ({key}: {value})")));
        }
    }
    if let Some(b) = &s.build {
        check_build(name, b, workspace, refuse)?;
    }
    for m in s.volumes.iter().filter(|m| m.kind == MountKind::Bind) {
        let source = real(Path::new(m.source.as_deref().unwrap_or_default()));
        if is_engine_socket(&source) {
            return Err(refuse(
                name,
                "volumes",
                format!("the container engine's socket {}", source.display()),
            ));
        }
        if !source.starts_with(workspace) {
            return Err(refuse(
                name,
                "volumes",
                format!(
                    "a bind mount of {} from outside the workspace ({})",
                    source.display(),
                    workspace.display()
                ),
            ));
        }
    }
    Ok(())
}

/// A build that would reach the host: its network, its SSH agent, or a context outside
/// the workspace.
fn check_build(
    name: &str,
    b: &crate::model::Build,
    workspace: &Path,
    refuse: &dyn Fn(&str, &str, String) -> LoadError,
) -> Result<(), LoadError> {
    if b.network.as_deref() == Some("host") {
        return Err(refuse(
            name,
            "build.network",
            "a build on the host's network".into(),
        ));
    }
    if let Some(id) = b.ssh.keys().next() {
        return Err(refuse(
            name,
            "build.ssh",
            format!("the host's SSH agent or keys ({id}) in a build"),
        ));
    }
    if let Some((context, path)) = b
        .additional_contexts
        .iter()
        .find(|(_, p)| p.starts_with('/') && !real(Path::new(p)).starts_with(workspace))
    {
        return Err(refuse(
            name,
            "build.additional_contexts",
            format!("build context {context} from outside the workspace ({path})"),
        ));
    }
    if !real(&b.context).starts_with(workspace) {
        return Err(refuse(
            name,
            "build.context",
            format!(
                "a build context outside the workspace ({})",
                b.context.display()
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confinement_and_sockets_are_recognised() {
        for opt in [
            "label=disable",
            "label:disable",
            "seccomp=unconfined",
            "apparmor:unconfined",
            "unmask=ALL",
            "systempaths=unconfined",
        ] {
            assert!(disables_confinement(opt), "{opt}");
        }
        assert!(!disables_confinement("no-new-privileges"));
        assert!(!disables_confinement("label=level:s0:c100,c200"));
        assert!(is_engine_socket(Path::new(
            "/run/user/1000/podman/podman.sock"
        )));
        assert!(is_engine_socket(Path::new("/var/run/docker.sock")));
        assert!(!is_engine_socket(Path::new("/home/u/src/app")));
    }
}
