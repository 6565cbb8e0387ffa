//! `EngineError`: why running a stack failed.

use crate::backend::BackendError;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Backend(#[from] BackendError),
    /// A service did not come up: unhealthy, exited, or not ready in time.
    #[error("service {service:?} {reason}{}", if detail.is_empty() { String::new() } else { format!("\n{detail}") })]
    ServiceFailed {
        service: String,
        reason: String,
        /// Its last health output or log lines, for the user.
        detail: String,
    },
    #[error("no such service: {0} (the project has: {1}){2}")]
    NoSuchService(String, String, String),
    #[error("cannot create {path}: {source}")]
    HostPath {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("service {service:?}: {message}")]
    Image { service: String, message: String },
    #[error("project {0:?} is already running ({1}); give this run another name with -p, or, if that run is gone, remove what it left with `sidepod -p {0} down -v`")]
    Busy(String, String),
    #[error("service {0:?} has no container; run `sidepod up` first")]
    NotCreated(String),
    #[error("service {service:?} does not publish port {port}; its `ports:` say which it does")]
    NotPublished { service: String, port: String },
    #[error("{0} has no containers to wait for; run `sidepod up` first")]
    NothingToWaitFor(String),
    #[error("external volume {0:?} does not exist; create it with `podman volume create {0}`")]
    MissingExternalVolume(String),
    /// The stack cannot run as loaded (a secret's file is missing, ...); nothing was
    /// created.
    #[error("{0}")]
    Unrunnable(String),
    /// Watching files failed (the host's inotify limits, ...).
    #[error("{0}")]
    Watch(String),
    /// Stopped by a signal, after cleaning up as asked.
    #[error("stopped by signal {0}")]
    Interrupted(i32),
}

impl EngineError {
    /// Fails on the first of `names` that is not a service of `project`.
    pub fn check_services(names: &[String], project: &crate::model::Project) -> Result<(), Self> {
        match names.iter().find(|n| !project.services.contains_key(*n)) {
            Some(unknown) => Err(Self::no_such_service(unknown, project)),
            None => Ok(()),
        }
    }

    /// `name` is not a service of `project`; the message lists the ones it has.
    pub fn no_such_service(name: &str, project: &crate::model::Project) -> Self {
        let known: Vec<&str> = project.services.keys().map(String::as_str).collect();
        // `logs -f compose.yaml`: after the command, -f is the command's own.
        let file_like = [".yaml", ".yml", ".json"].iter().any(|e| name.ends_with(e))
            || std::path::Path::new(name).is_file();
        let hint = if file_like {
            format!(
                "; {name:?} looks like a file: after the command, -f is the command's own \
                 (logs -f follows); name a file before the command: sidepod -f {name} ..."
            )
        } else {
            String::new()
        };
        EngineError::NoSuchService(name.to_string(), known.join(", "), hint)
    }
}
