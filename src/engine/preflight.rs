//! What `up`, `run` and `job` check before they create anything: what the loader accepts
//! but only a running stack needs. A secret's file must exist by now and its variable
//! be set; a service another program provides cannot run here; its limits must be ones
//! the host lets podman set; what it uses of podman's, this podman must have.

use super::EngineError;
use crate::backend::Backend;
use crate::model::{FileSource, MountKind, Project};

/// What a service may use that only newer podmans have: (key, podman major and minor).
/// Every other flag sidepod passes, podman 4.3 and 5 both have
/// (src/backend/podman/args/flags.rs).
fn podman_needs(project: &Project, service: &str) -> Vec<(String, (u32, u32))> {
    let Some(s) = project.services.get(service) else {
        return Vec::new();
    };
    let subpath = |i: usize, kind: &str, version| (format!("volumes[{i}].{kind}.subpath"), version);
    s.volumes
        .iter()
        .enumerate()
        .filter(|(_, m)| m.options.iter().any(|o| o.starts_with("subpath=")))
        .filter_map(|(i, m)| match m.kind {
            MountKind::Image => Some(subpath(i, "image", (5, 1))),
            MountKind::Volume => Some(subpath(i, "volume", (5, 4))),
            _ => None,
        })
        .collect()
}

/// `5.4.0`, `4.3.1`, `5.5.0-dev` as major and minor.
fn major_minor(version: &str) -> Option<(u32, u32)> {
    let mut parts = version.trim().split(['.', '-']);
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

/// The first use, by `services`, of something that podman `version` lacks.
fn too_old(project: &Project, services: &[String], version: &str) -> Result<(), String> {
    let Some(have) = major_minor(version) else {
        return Ok(());
    };
    for name in services {
        if let Some((key, (major, minor))) = podman_needs(project, name)
            .into_iter()
            .find(|(_, need)| have < *need)
        {
            return Err(format!(
                "service {name:?}: {key} needs podman {major}.{minor} or newer, and this host \
                 has podman {}; upgrade podman, or mount the whole volume or image instead",
                version.trim()
            ));
        }
    }
    Ok(())
}

/// Checks the services about to start, then what only a newer podman can run: podman's
/// version is asked once, and only when a service uses such a thing.
pub async fn check(
    backend: &dyn Backend,
    project: &Project,
    services: &[String],
) -> Result<(), EngineError> {
    check_services(project, services)?;
    if services.iter().all(|s| podman_needs(project, s).is_empty()) {
        return Ok(());
    }
    let version = backend.version().await?;
    too_old(project, services, &version).map_err(|e| EngineError::Unrunnable(in_files(project, e)))
}

/// The checks that need only the project; the first problem is the error.
fn check_services(project: &Project, services: &[String]) -> Result<(), EngineError> {
    for name in services {
        let Some(s) = project.services.get(name) else {
            continue;
        };
        super::limits::check(name, &s.ulimits, &super::limits::host_ceiling)
            .map_err(|e| EngineError::Unrunnable(in_files(project, e)))?;
        if let Some(key) = ["provider", "models"]
            .into_iter()
            .find(|k| s.unapplied.contains_key(*k))
        {
            return Err(EngineError::Unrunnable(format!(
                "service {name:?} uses `{key}`: another program (a docker compose provider \
                 plugin or model runner) provides it, and sidepod cannot; remove the service \
                 or start what it stands for yourself"
            )));
        }
        let build_secrets = s.build.iter().flat_map(|b| b.secrets.iter());
        let uses = s
            .secrets
            .iter()
            .chain(build_secrets)
            .map(|r| ("secret", &r.source, project.secrets.get(&r.source)))
            .chain(
                s.configs
                    .iter()
                    .map(|r| ("config", &r.source, project.configs.get(&r.source))),
            );
        for (kind, source, found) in uses {
            match found {
                Some(FileSource::File(path)) if !path.is_file() => {
                    return Err(EngineError::Unrunnable(format!(
                        "{kind} {source:?} of service {name:?}: file {} does not exist; \
                         create it, or point `file:` at one that does",
                        path.display()
                    )))
                }
                Some(FileSource::Environment { var, value: None }) => {
                    return Err(EngineError::Unrunnable(format!(
                        "{kind} {source:?} of service {name:?} is read from the variable \
                         {var}, which is not set; set it, or give the {kind} a `file:`"
                    )))
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// The message, prefixed with the files the project was read from.
fn in_files(project: &Project, message: String) -> String {
    let files: Vec<String> = project
        .files
        .iter()
        .map(|f| {
            f.file_name()
                .map_or(f.display().to_string(), |n| n.to_string_lossy().into())
        })
        .collect();
    if files.is_empty() {
        message
    } else {
        format!("{}: {message}", files.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FileRef, Service};

    fn project(source: FileSource, unapplied: &[&str]) -> Project {
        let mut s = Service {
            name: "app".into(),
            secrets: vec![FileRef {
                source: "token".into(),
                target: "/run/secrets/token".into(),
                ..FileRef::default()
            }],
            ..Service::default()
        };
        for k in unapplied {
            s.unapplied.insert(k.to_string(), serde_json::json!({}));
        }
        Project {
            services: [("app".to_string(), s)].into(),
            secrets: [("token".to_string(), source)].into(),
            ..Project::default()
        }
    }

    fn mounting(kind: MountKind, subpath: bool) -> Project {
        let mount = crate::model::Mount {
            kind,
            source: Some("data".into()),
            target: "/data".into(),
            read_only: false,
            options: subpath
                .then(|| "subpath=etc".to_string())
                .into_iter()
                .collect(),
            create_host_path: false,
            tmpfs_size: None,
        };
        let s = Service {
            name: "app".into(),
            volumes: vec![mount.clone(), mount],
            ..Service::default()
        };
        Project {
            services: [("app".to_string(), s)].into(),
            files: vec!["/src/compose.yaml".into()],
            ..Project::default()
        }
    }

    #[test]
    fn a_subpath_needs_the_podman_that_has_it() {
        let app = ["app".to_string()];
        let image = mounting(MountKind::Image, true);
        let m = too_old(&image, &app, "4.3.1\n").unwrap_err();
        assert_eq!(
            m,
            "service \"app\": volumes[0].image.subpath needs podman 5.1 or newer, and this \
             host has podman 4.3.1; upgrade podman, or mount the whole volume or image instead"
        );
        assert_eq!(too_old(&image, &app, "5.1.0"), Ok(()));
        let volume = mounting(MountKind::Volume, true);
        let m = too_old(&volume, &app, "5.3.2").unwrap_err();
        assert!(
            m.contains("volumes[0].volume.subpath needs podman 5.4"),
            "{m}"
        );
        assert_eq!(too_old(&volume, &app, "5.4.0-dev"), Ok(()));
        assert_eq!(too_old(&volume, &app, "6.0.0"), Ok(()));
        // Without a subpath, any podman; a version it cannot read does not stop it.
        assert_eq!(
            too_old(&mounting(MountKind::Volume, false), &app, "4.3.1"),
            Ok(())
        );
        assert_eq!(too_old(&volume, &app, "fake"), Ok(()));
    }

    #[tokio::test]
    async fn podmans_version_is_asked_only_when_a_service_needs_it() {
        use crate::backend::fake::{Call, FakeBackend};
        let app = ["app".to_string()];
        let fake = FakeBackend::new();
        check(&fake, &mounting(MountKind::Volume, false), &app)
            .await
            .unwrap();
        assert!(!fake.calls().contains(&Call::Version));
        check(&fake, &mounting(MountKind::Volume, true), &app)
            .await
            .unwrap();
        assert_eq!(fake.calls(), [Call::Version]);
    }

    fn message(p: &Project) -> String {
        check_services(p, &["app".into()]).unwrap_err().to_string()
    }

    #[test]
    fn a_missing_secret_file_is_refused_before_anything_starts() {
        let p = project(FileSource::File("/nonexistent/token".into()), &[]);
        let m = message(&p);
        assert!(m.contains("secret \"token\" of service \"app\""), "{m}");
        assert!(m.contains("/nonexistent/token does not exist"), "{m}");
    }

    #[test]
    fn an_unset_variable_secret_is_refused() {
        let p = project(
            FileSource::Environment {
                var: "TOKEN".into(),
                value: None,
            },
            &[],
        );
        assert!(message(&p).contains("variable TOKEN, which is not set"));
    }

    #[test]
    fn provider_services_are_refused_and_the_rest_pass() {
        let p = project(FileSource::Content("x".into()), &["provider"]);
        assert!(message(&p).contains("uses `provider`"));
        let ok = project(FileSource::Content("x".into()), &["ipc"]);
        assert!(check_services(&ok, &["app".into()]).is_ok());
    }
}
