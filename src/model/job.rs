//! A validated job: the main container, its sidecars and its steps, whatever file format
//! it was read from.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use super::{Mount, MountKind, Project, PullPolicy, RegistryAuth, RestartPolicy, Service};

/// The service name of the job's main container.
pub const MAIN: &str = "main";

/// Where a job's main container mounts the workspace unless `working_dir` says otherwise.
pub const DEFAULT_WORKDIR: &str = "/workspace";

#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub file: PathBuf,
    /// The sidecars, their volumes and networks; `project.name` names the job's pod.
    pub project: Project,
    /// The main container, where steps run; its `working_dir` is always set.
    pub container: Service,
    pub steps: Vec<Step>,
    /// The file's own `timeout:` for the whole job.
    pub timeout: Option<Duration>,
    /// The file's `ready_timeout:`: how long sidecars may take to be ready.
    pub ready_timeout: Option<Duration>,
    /// The file's `graceful_stop:`: at the end, stop everything in its grace period
    /// instead of removing it at once.
    pub graceful_stop: bool,
    /// Secret values, to be masked wherever sidepod writes: those of the variables the
    /// file's `mask:` names, and the contents of its secrets.
    pub secrets: Vec<String>,
    /// Paths kept between runs, each in a volume of its own (`cache:`).
    pub caches: Vec<Cache>,
}

/// A path of the main container (or a sidecar) kept between runs in a labelled volume,
/// which teardown leaves: the same key finds it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cache {
    pub service: String,
    pub path: String,
    /// As the file gives it (or made from the path), with the hash of its files.
    pub key: String,
    /// `sidepod-cache-<job>-<key>`: the same on every run with the same key.
    pub volume: String,
}

/// FNV-1a, 64 bits, as hex: stable across runs, builds and hosts.
pub fn fingerprint(bytes: &[u8]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// How long a job's sidecars may take to be ready, unless the file or a flag says.
pub const DEFAULT_READY_TIMEOUT: Duration = Duration::from_secs(120);

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Step {
    pub name: String,
    /// Run with `sh -c` in the main container, as written (never interpolated by sidepod:
    /// the shell expands its variables).
    pub run: String,
    pub env: BTreeMap<String, String>,
    pub timeout: Option<Duration>,
    pub working_dir: Option<String>,
    /// Whether it runs after an earlier step failed.
    pub when: StepWhen,
    /// A failure is reported but does not fail the job, and later steps run as if it
    /// had passed (GitHub's `continue-on-error`).
    pub continue_on_error: bool,
    /// Its own image (Drone's steps, a job file's `image:`): it runs in a container of
    /// its own in the pod, with the workspace mounted read-write, instead of in the main
    /// container.
    pub image: Option<String>,
    /// How that image is pulled (Drone's `pull:`); none: when it is missing.
    pub pull: Option<PullPolicy>,
    /// The registry login that image is pulled with (Drone's `auth_config`).
    pub registry_auth: Option<RegistryAuth>,
}

/// When a step runs, by how the steps before it went (GitHub's `if: success()`,
/// `failure()`, `always()`; GitLab's `after_script`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StepWhen {
    /// Only while every earlier step passed (the default).
    #[default]
    OnSuccess,
    /// Only once an earlier step failed.
    OnFailure,
    /// Whatever happened before.
    Always,
    /// Never: its condition is false here (`if: false`, a comparison that does not hold).
    Never,
}

impl Job {
    /// Where the main container works and the workspace is mounted.
    pub fn workdir(&self) -> String {
        self.container
            .working_dir
            .clone()
            .unwrap_or_else(|| DEFAULT_WORKDIR.into())
    }

    /// A step's working directory: its own, relative to the container's, or the
    /// container's.
    pub fn step_workdir(&self, step: &Step) -> String {
        let base = self.workdir();
        match step.working_dir.as_deref() {
            Some(w) if w.starts_with('/') => w.to_string(),
            Some(w) => format!("{}/{w}", base.trim_end_matches('/')),
            None => base,
        }
    }

    /// The job as one project: the sidecars, and the main container as service `main`,
    /// kept alive for the steps, with the workspace mounted (read-write in `main`,
    /// read-only in the sidecars).
    pub fn project(&self) -> Project {
        let mut project = self.project.clone();
        let workdir = self.workdir();
        let workspace = |read_only: bool| Mount {
            kind: MountKind::Bind,
            source: Some(project.directory.to_string_lossy().into_owned()),
            target: workdir.clone(),
            read_only,
            options: Vec::new(),
            create_host_path: false,
            tmpfs_size: None,
        };
        for s in project.services.values_mut() {
            if !s.volumes.iter().any(|m| m.target == workdir) {
                s.volumes.push(workspace(true));
            }
        }
        let mut main: Service = self.container.clone();
        main.volumes.retain(|m| m.target != workdir);
        main.volumes.push(workspace(false));
        // Kept alive for the steps; an init makes it stop at once.
        main.entrypoint = Some(vec!["sleep".into()]);
        main.command = Some(vec!["1000000000".into()]);
        main.init = true;
        main.restart = RestartPolicy::No;
        main.depends_on.clear();
        project.services.insert(MAIN.into(), main);
        for (i, cache) in self.caches.iter().enumerate() {
            let key = format!("sidepod-cache-{i}");
            project.volumes.insert(
                key.clone(),
                super::Volume {
                    name: Some(cache.volume.clone()),
                    // Made by the job runner, and never removed with the job.
                    external: true,
                    ..Default::default()
                },
            );
            if let Some(s) = project.services.get_mut(&cache.service) {
                s.volumes.retain(|m| m.target != cache.path);
                s.volumes.push(Mount {
                    kind: MountKind::Volume,
                    source: Some(key),
                    target: cache.path.clone(),
                    read_only: false,
                    options: Vec::new(),
                    create_host_path: false,
                    tmpfs_size: None,
                });
            }
        }
        project
    }
}
