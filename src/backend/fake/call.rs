//! The calls the fake backend records, typed, for tests to match on.

/// One call to the backend, with what it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    Version,
    PodCreate(String),
    PodStart(String),
    PodPs,
    PodStop(String),
    PodRemove(String),
    Run(String),
    Create(String),
    Passthrough(crate::backend::Passthrough),
    Events,
    RunForeground {
        name: String,
        remove: bool,
    },
    /// `exec`, in the foreground or streamed.
    Exec {
        container: String,
        command: Vec<String>,
    },
    Start(Vec<String>),
    Restart(Vec<String>),
    Stop(Vec<String>),
    Kill {
        names: Vec<String>,
        signal: String,
    },
    Pause(Vec<String>),
    Unpause(Vec<String>),
    Port(String),
    Top(String),
    Remove {
        names: Vec<String>,
        volumes: bool,
    },
    RemoveNow {
        names: Vec<String>,
        volumes: bool,
    },
    Ps,
    Inspect(Vec<String>),
    Healthcheck(String),
    Listening(String),
    Http(String),
    Reclaim(std::path::PathBuf),
    Wait(String),
    Logs(String),
    LogsMany(Vec<String>),
    VolumeCreate(String),
    VolumeLs,
    VolumeExists(String),
    VolumeRemove(Vec<String>),
    NetworkCreate(String),
    NetworkLs,
    NetworkRemove(Vec<String>),
    ImageExists(String),
    ImageInspect(String),
    Pull(String),
    /// A pull with a login: the image and the user (never the password).
    PullAuth(String, String),
    Build(String),
    ImageId(String),
    ImageRemove(Vec<String>),
    /// `copy_into`: the container, its directory, and the files copied (relative paths,
    /// sorted), read from the source directory when the call was made.
    Copy {
        container: String,
        dest: String,
        files: Vec<String>,
    },
    /// `copy`: from, to.
    Cp(String, String),
}

impl Call {
    /// A `run` of container `name`.
    pub fn run(name: &str) -> Call {
        Call::Run(name.into())
    }

    /// A `stop` of these containers, together.
    pub fn stop(names: &[&str]) -> Call {
        Call::Stop(names.iter().map(|n| n.to_string()).collect())
    }

    /// An exec of `sh -c SCRIPT` in `container`.
    pub fn sh(container: &str, script: &str) -> Call {
        Call::Exec {
            container: container.into(),
            command: vec!["sh".into(), "-c".into(), script.into()],
        }
    }
}
