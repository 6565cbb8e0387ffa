//! What `up`, `run` and `job` check before they create anything: what the loader accepts
//! but only a running stack needs. A secret's file must exist by now and its variable
//! be set; a service another program provides cannot run here; its limits must be ones
//! the host lets podman set.

use super::EngineError;
use crate::model::{FileSource, Project};

/// Checks the services about to start; the first problem is the error.
pub fn check(project: &Project, services: &[String]) -> Result<(), EngineError> {
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

    fn message(p: &Project) -> String {
        check(p, &["app".into()]).unwrap_err().to_string()
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
        assert!(check(&ok, &["app".into()]).is_ok());
    }
}
